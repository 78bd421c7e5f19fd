/* What a tracer needs beyond ptrace_syscalls.c (Tests/UmlabTests/GuestPtrace.swift): the
 * auxiliary vector in /proc/PID/auxv, PTRACE_PEEKSIGINFO on both signal queues, a UML-style
 * tracer's PTRACE_SYSEMU and PTRACE_SYSEMU_SINGLESTEP (the call is not run, the tracer supplies
 * its result), PTRACE_EVENT_VFORK before the parent waits for its child and
 * PTRACE_EVENT_VFORK_DONE after, and a floating-point register read with PTRACE_GETFPREGS and
 * PEEKUSER. Its output is the same natively and in a guest (x86-64 and 32-bit PowerPC): no
 * numbers that differ between ISAs or runs. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NUMBER_OFFSET offsetof(struct user, regs.orig_rax)
#define RESULT_OFFSET offsetof(struct user, regs.rax)
#define REQ_SYSEMU 31
#define REQ_SYSEMU_SINGLESTEP 32
#elif defined(__powerpc__)
#include <asm/ptrace.h>
#define NUMBER_OFFSET (PT_R0 * 4)
#define RESULT_OFFSET (PT_R3 * 4)
#define REQ_SYSEMU 0x1d
#define REQ_SYSEMU_SINGLESTEP 0x1e
#endif

struct peek_args { unsigned long long off; unsigned int flags; int nr; };

static int expect_stop(pid_t pid, const char *what) {
    int status;
    if (waitpid(pid, &status, __WALL) != pid) { printf("%s: waitpid: %s\n", what, strerror(errno)); exit(1); }
    if (!WIFSTOPPED(status)) { printf("%s: not a stop: %#x\n", what, status); exit(1); }
    return status;
}

static void auxv(void) {
    unsigned long words[128];
    int fd = open("/proc/self/auxv", O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, words, sizeof words);
    int pagesz = 0, entry = 0, end = 0;
    for (ssize_t i = 0; n > 0 && i + 1 < n / (ssize_t)sizeof(long); i += 2) {
        if (words[i] == AT_PAGESZ) pagesz = words[i + 1] == getauxval(AT_PAGESZ);
        if (words[i] == AT_ENTRY) entry = words[i + 1] == getauxval(AT_ENTRY);
        if (words[i] == AT_NULL) { end = 1; break; }
    }
    printf("auxv: pagesz %d entry %d ends with AT_NULL %d\n", pagesz, entry, end);
}

static void peek_siginfo(void) {
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        sigset_t all;
        sigemptyset(&all);
        sigaddset(&all, SIGUSR1); sigaddset(&all, SIGUSR2); sigaddset(&all, SIGRTMIN);
        sigprocmask(SIG_BLOCK, &all, NULL);
        union sigval v;
        v.sival_int = 11; sigqueue(getpid(), SIGRTMIN, v);
        v.sival_int = 12; sigqueue(getpid(), SIGRTMIN, v);
        v.sival_int = 13; sigqueue(getpid(), SIGUSR1, v);
        syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2);
        kill(getpid(), SIGSTOP);
        _exit(0);
    }
    expect_stop(pid, "peeksiginfo");
    siginfo_t si[8];
    struct peek_args a = { 0, 1 /* PTRACE_PEEKSIGINFO_SHARED */, 8 };
    long n = ptrace(PTRACE_PEEKSIGINFO, pid, &a, si);
    printf("peeksiginfo shared: %ld:", n);
    for (long i = 0; i < n; i++) printf(" %s/%d", si[i].si_signo == SIGUSR1 ? "USR1" : si[i].si_signo == SIGRTMIN ? "RTMIN" : "?", si[i].si_value.sival_int);
    a.flags = 0;
    n = ptrace(PTRACE_PEEKSIGINFO, pid, &a, si);
    printf("; private: %ld: %s code %s", n, n == 1 && si[0].si_signo == SIGUSR2 ? "USR2" : "?", n == 1 && si[0].si_code == SI_TKILL ? "SI_TKILL" : "?");
    a = (struct peek_args){ 1, 1, 1 };
    n = ptrace(PTRACE_PEEKSIGINFO, pid, &a, si);
    printf("; from 1: %ld %d", n, n == 1 ? si[0].si_value.sival_int : -1);
    a = (struct peek_args){ 100, 1, 4 };
    printf("; past the end: %ld", ptrace(PTRACE_PEEKSIGINFO, pid, &a, si));
    a = (struct peek_args){ 0, 2, 4 };
    errno = 0;
    n = ptrace(PTRACE_PEEKSIGINFO, pid, &a, si);
    printf("; bad flags: %ld %s", n, strerror(errno));
    a = (struct peek_args){ 0, 0, -1 };
    errno = 0;
    n = ptrace(PTRACE_PEEKSIGINFO, pid, &a, si);
    printf("; nr -1: %ld %s", n, strerror(errno));
    a = (struct peek_args){ 0, 1, 2 };
    errno = 0;
    n = ptrace(PTRACE_PEEKSIGINFO, pid, &a, (void *)8);
    printf("; bad buffer: %ld %s\n", n, strerror(errno));
    ptrace(PTRACE_KILL, pid, 0, 0);
    waitpid(pid, NULL, __WALL);
}

static const char *call_name(long nr) {
    if (nr == SYS_getppid) return "getppid";
    if (nr == SYS_write) return "write";
    if (nr == SYS_exit_group) return "exit_group";
    return "other";
}

static void sysemu(void) {
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        kill(getpid(), SIGSTOP);
        long r = syscall(SYS_getppid);
        long w = syscall(SYS_write, 1, "never written\n", 14);
        syscall(SYS_exit_group, r == 4242 && w == 14 ? 21 : 22);
    }
    expect_stop(pid, "sysemu");
    for (int i = 0; i < 2; i++) {
        ptrace(REQ_SYSEMU, pid, 0, 0);
        int status = expect_stop(pid, "sysemu call");
        long nr = ptrace(PTRACE_PEEKUSER, pid, NUMBER_OFFSET, 0);
        printf("sysemu: stop %s at %s\n", WSTOPSIG(status) == SIGTRAP ? "SIGTRAP" : "?", call_name(nr));
        ptrace(PTRACE_POKEUSER, pid, RESULT_OFFSET, nr == SYS_getppid ? 4242 : 14);
    }
    // SYSEMU_SINGLESTEP from the write's entry: the call is skipped and the next stop is the
    // step's trap (or the next call's entry), never the write's exit.
    ptrace(REQ_SYSEMU_SINGLESTEP, pid, 0, 0);
    int status = expect_stop(pid, "sysemu step");
    printf("sysemu singlestep: %s\n", WSTOPSIG(status) == SIGTRAP ? "SIGTRAP" : "?");
    ptrace(PTRACE_CONT, pid, 0, 0);
    waitpid(pid, &status, __WALL);
    printf("sysemu: child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void vfork_events(void) {
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        kill(getpid(), SIGSTOP);
        pid_t c = vfork();
        if (c == 0) _exit(3);
        int st;
        waitpid(c, &st, 0);
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) + 40 : 1);
    }
    expect_stop(pid, "vfork");
    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE);
    ptrace(PTRACE_CONT, pid, 0, 0);
    // The parent stops at the event before it waits for its child: only the tracer can let the
    // child run, so waiting for the child here would never end otherwise.
    int status = expect_stop(pid, "vfork event");
    unsigned long child = 0;
    ptrace(PTRACE_GETEVENTMSG, pid, 0, &child);
    printf("vfork: parent event %s\n", status >> 8 == (SIGTRAP | PTRACE_EVENT_VFORK << 8) ? "VFORK" : "?");
    status = expect_stop(child, "vfork child");
    printf("vfork: child starts with %s\n", WSTOPSIG(status) == SIGSTOP ? "SIGSTOP" : "?");
    ptrace(PTRACE_CONT, child, 0, 0);
    waitpid(child, &status, __WALL);
    printf("vfork: child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    ptrace(PTRACE_CONT, pid, 0, 0);
    status = expect_stop(pid, "vfork done");
    unsigned long done = 0;
    ptrace(PTRACE_GETEVENTMSG, pid, 0, &done);
    printf("vfork: parent event %s, message the child %d\n",
           status >> 8 == (SIGTRAP | PTRACE_EVENT_VFORK_DONE << 8) ? "VFORK_DONE" : "?", done == child);
    // On to the end: the child's SIGCHLD stops the parent once more (passed on).
    int sig = 0;
    do {
        ptrace(PTRACE_CONT, pid, 0, sig);
        waitpid(pid, &status, __WALL);
        sig = WIFSTOPPED(status) ? WSTOPSIG(status) : 0;
    } while (WIFSTOPPED(status));
    printf("vfork: parent exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void fp_registers(void) {
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        volatile double d = 2.5;
#if defined(__x86_64__)
        __asm__ volatile("movsd %0, %%xmm7" : : "m"(d) : "xmm7");
#elif defined(__powerpc__)
        __asm__ volatile("lfd 31, %0" : : "m"(d) : "fr31");
#endif
        syscall(SYS_kill, getpid(), SIGSTOP);
        _exit(0);
    }
    expect_stop(pid, "fp");
    double value = 0, peeked = 0;
#if defined(__x86_64__)
    struct user_fpregs_struct fp;
    long r = ptrace(PTRACE_GETFPREGS, pid, 0, &fp);
    memcpy(&value, (char *)fp.xmm_space + 7 * 16, 8);
    unsigned long lo = ptrace(PTRACE_PEEKUSER, pid, offsetof(struct user, i387.xmm_space) + 7 * 16, 0);
    memcpy(&peeked, &lo, 8);
#elif defined(__powerpc__)
    double fp[33];
    long r = ptrace(PTRACE_GETFPREGS, pid, 0, fp);
    value = fp[31];
    unsigned int words[2];
    words[0] = ptrace(PTRACE_PEEKUSER, pid, (PT_FPR0 + 2 * 31) * 4, 0);
    words[1] = ptrace(PTRACE_PEEKUSER, pid, (PT_FPR0 + 2 * 31 + 1) * 4, 0);
    memcpy(&peeked, words, 8);
#endif
#if defined(__x86_64__)
    int peek_as_linux = peeked == 0;     // x86-64's PEEKUSER has no floating-point area: 0
#else
    int peek_as_linux = peeked == 2.5;   // PowerPC's has the FPRs from PT_FPR0
#endif
    printf("fp registers: %ld %.2f, peekuser as Linux %d\n", r, value, peek_as_linux);
    ptrace(PTRACE_KILL, pid, 0, 0);
    waitpid(pid, NULL, __WALL);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    auxv();
    peek_siginfo();
    sysemu();
    vfork_events();
    fp_registers();
    return 0;
}
