/* A small tracer: PTRACE_TRACEME in a child, then PTRACE_SYSCALL stops read with PEEKUSER,
 * PEEKDATA/POKEDATA on the child's memory, GETSIGINFO and GETREGS, and the child's exit as
 * the tracer's wait sees it. Its output is the same natively and in a guest (x86-64 and
 * 32-bit PowerPC): it prints syscall names it recognises, never numbers or addresses. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NUMBER_OFFSET offsetof(struct user, regs.orig_rax)
#define RESULT_OFFSET offsetof(struct user, regs.rax)
#define PC_OFFSET offsetof(struct user, regs.rip)
#elif defined(__powerpc__)
#include <asm/ptrace.h>
#define NUMBER_OFFSET (PT_R0 * 4)
#define RESULT_OFFSET (PT_R3 * 4)
#define PC_OFFSET (PT_NIP * 4)
#endif

static volatile long secret = 1234;

static const char *name(long nr) {
    if (nr == SYS_getppid) return "getppid";
    if (nr == SYS_write) return "write";
    if (nr == SYS_exit_group) return "exit_group";
    if (nr == SYS_getpid) return "getpid";
    if (nr == SYS_kill) return "kill";
    return "other";
}

static void child(void) {
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) { perror("PTRACE_TRACEME"); _exit(90); }
    errno = 0;
    long again = ptrace(PTRACE_TRACEME, 0, 0, 0);
    printf("child: second TRACEME %ld %s\n", again, strerror(errno));
    fflush(stdout);
    kill(getpid(), SIGSTOP);
    syscall(SYS_getppid);
    char msg[32];
    int n = snprintf(msg, sizeof msg, "child: secret %ld\n", secret);
    syscall(SYS_write, 1, msg, n);
    syscall(SYS_exit_group, 7);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t pid = fork();
    if (pid == 0) child();
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
        printf("tracer: first stop %#x\n", status);
        return 1;
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    long r = ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    printf("tracer: SIGSTOP stop, siginfo %ld signo %d code %d sender-is-child %d\n", r, si.si_signo, si.si_code, si.si_pid == pid);
    errno = 0;
    long word = ptrace(PTRACE_PEEKDATA, pid, (void *)&secret, 0);
    printf("tracer: PEEKDATA secret %ld errno %d\n", word, errno);
    r = ptrace(PTRACE_POKEDATA, pid, (void *)&secret, (void *)4321);
    printf("tracer: POKEDATA %ld\n", r);
    errno = 0;
    r = ptrace(PTRACE_PEEKDATA, pid, (void *)8, 0);
    printf("tracer: PEEKDATA at 8: %ld %s\n", r, strerror(errno));
    errno = 0;
    r = ptrace(PTRACE_PEEKUSER, pid, (void *)3, 0);
    printf("tracer: PEEKUSER misaligned: %ld %s\n", r, strerror(errno));
    errno = 0;
    r = ptrace(12345, pid, 0, 0);
    printf("tracer: bad request: %ld %s\n", r, strerror(errno));
    errno = 0;
    r = ptrace(PTRACE_CONT, 999999, 0, 0);
    printf("tracer: CONT of no such pid: %ld %s\n", r, strerror(errno));
    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD);
    int entering = 1;
    for (;;) {
        if (ptrace(PTRACE_SYSCALL, pid, 0, 0) != 0) { perror("PTRACE_SYSCALL"); return 1; }
        if (waitpid(pid, &status, 0) != pid) { perror("waitpid"); return 1; }
        if (WIFEXITED(status)) { printf("tracer: child exited with %d\n", WEXITSTATUS(status)); break; }
        if (!WIFSTOPPED(status)) { printf("tracer: status %#x\n", status); return 1; }
        if (WSTOPSIG(status) != (SIGTRAP | 0x80)) { printf("tracer: stop by signal %d\n", WSTOPSIG(status)); continue; }
        long nr = ptrace(PTRACE_PEEKUSER, pid, (void *)NUMBER_OFFSET, 0);
        long pc = ptrace(PTRACE_PEEKUSER, pid, (void *)PC_OFFSET, 0);
        int pc_ok = pc != 0 && pc != -1;
#if defined(__x86_64__)
        struct user_regs_struct regs;
        ptrace(PTRACE_GETREGS, pid, 0, &regs);
        pc_ok = pc_ok && (long)regs.rip == pc && (long)regs.orig_rax == nr;
#endif
        if (entering) {
            printf("tracer: enter %s pc-ok %d\n", name(nr), pc_ok);
        } else {
            long result = ptrace(PTRACE_PEEKUSER, pid, (void *)RESULT_OFFSET, 0);
            if (nr == SYS_getppid) printf("tracer: exit %s = %s\n", name(nr), result == getpid() ? "tracer's pid" : "?");
            else printf("tracer: exit %s = %ld\n", name(nr), result);
        }
        entering = !entering;
    }
    errno = 0;
    r = waitpid(-1, &status, WNOHANG);
    printf("tracer: no children left: %ld %s\n", r, strerror(errno));
    return 0;
}
