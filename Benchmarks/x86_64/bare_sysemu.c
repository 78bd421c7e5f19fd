/*
 * bare_sysemu: the minimal PTRACE_SYSEMU tracer that umlab's per-syscall cost
 * is compared against.
 *
 *   bare_sysemu <program> [args...]
 *
 * - Pins itself to CPU 0 before forking, so tracer and tracee share a CPU.
 * - Child: PTRACE_TRACEME; raise(SIGSTOP); execv(program, args).
 * - Phase 1: the child runs under PTRACE_SYSCALL (syscalls execute natively)
 *   until its first getppid entry, which is emulated (skipped via
 *   orig_rax = -1, result written at the exit stop).
 * - Phase 2: PTRACE_SYSEMU. At each SYSEMU stop:
 *     getppid  -> rax = FAKE_PPID (GETREGS/SETREGS), resume with PTRACE_SYSEMU;
 *     anything else -> rip -= 2, rax = orig_rax, resume with PTRACE_SYSCALL so
 *       the syscall instruction re-executes natively; after its exit stop go
 *       back to PTRACE_SYSEMU.
 * - Exits with the child's exit status (or re-raises its fatal signal).
 * - Single process only: fork/clone children are not traced (no
 *   PTRACE_O_TRACEFORK), so only use it for single-process workloads.
 *
 * Set BARE_SYSEMU_STATS=1 to get syscall counts on stderr when the child ends
 * (phase-1 traced, emulated getppid, phase-2 natively re-executed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_PPID 424242

static pid_t child;
static unsigned long n_traced, n_emulated, n_native; /* for BARE_SYSEMU_STATS */

static void fail(const char *what)
{
    perror(what);
    if (child > 0)
        kill(child, SIGKILL);
    exit(125);
}

static void get_regs(struct user_regs_struct *r)
{
    if (ptrace(PTRACE_GETREGS, child, 0, r) == -1)
        fail("PTRACE_GETREGS");
}

static void set_regs(const struct user_regs_struct *r)
{
    if (ptrace(PTRACE_SETREGS, child, 0, r) == -1)
        fail("PTRACE_SETREGS");
}

static void resume(enum __ptrace_request req, int sig)
{
    if (ptrace(req, child, 0, (void *)(long)sig) == -1)
        fail("ptrace resume");
}

static void child_gone(int status)
{
    if (getenv("BARE_SYSEMU_STATS"))
        fprintf(stderr, "bare_sysemu: phase1_traced=%lu emulated=%lu native=%lu\n",
                n_traced, n_emulated, n_native);
    if (WIFEXITED(status))
        exit(WEXITSTATUS(status));
    int sig = WTERMSIG(status);
    signal(sig, SIG_DFL);
    raise(sig);
    exit(128 + sig);
}

/*
 * Wait for the next stop of the child. Returns 1 for a syscall stop, 0 for
 * anything else; *inject receives the signal to pass on when resuming (0 for
 * syscall and ptrace-event stops). Exits if the child terminated.
 */
static int wait_stop(int *inject)
{
    int status;
    while (waitpid(child, &status, __WALL) == -1)
        if (errno != EINTR)
            fail("waitpid");
    if (WIFEXITED(status) || WIFSIGNALED(status))
        child_gone(status);
    *inject = 0;
    int sig = WSTOPSIG(status);
    if (sig == (SIGTRAP | 0x80))
        return 1;          /* syscall stop (PTRACE_O_TRACESYSGOOD) */
    if (status >> 16)
        return 0;          /* ptrace event stop, e.g. PTRACE_EVENT_EXEC */
    *inject = sig;         /* signal-delivery stop: forward it */
    return 0;
}

static int syscall_stop_op(void)
{
    struct __ptrace_syscall_info info;
    if (ptrace(PTRACE_GET_SYSCALL_INFO, child, sizeof info, &info) == -1)
        fail("PTRACE_GET_SYSCALL_INFO");
    return info.op;
}

/*
 * Called at a SYSEMU stop for a syscall we don't emulate: rewind to the
 * syscall instruction and let it run natively under PTRACE_SYSCALL, until the
 * exit stop of that re-executed syscall. (Depending on the kernel, resuming a
 * SYSEMU stop with PTRACE_SYSCALL first reports an exit stop for the skipped
 * syscall; that one comes before any entry stop and is ignored.)
 */
static void run_natively(struct user_regs_struct *r)
{
    r->rip -= 2;            /* length of the `syscall` instruction */
    r->rax = r->orig_rax;
    set_regs(r);
    n_native++;

    int entered = 0, sig = 0;
    for (;;) {
        resume(PTRACE_SYSCALL, sig);
        if (!wait_stop(&sig))
            continue;
        int op = syscall_stop_op();
        if (op == PTRACE_SYSCALL_INFO_ENTRY)
            entered = 1;
        else if (op == PTRACE_SYSCALL_INFO_EXIT && entered)
            return;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s <program> [args...]\n", argv[0]);
        return 2;
    }

    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    if (sched_setaffinity(0, sizeof cpus, &cpus) != 0)
        fail("sched_setaffinity");

    child = fork();
    if (child < 0)
        fail("fork");
    if (child == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) == -1) {
            perror("PTRACE_TRACEME");
            _exit(126);
        }
        raise(SIGSTOP);
        execv(argv[1], &argv[1]);
        perror(argv[1]);
        _exit(127);
    }

    int status;
    if (waitpid(child, &status, __WALL) != child || !WIFSTOPPED(status) ||
        WSTOPSIG(status) != SIGSTOP) {
        fprintf(stderr, "bare_sysemu: unexpected initial child status 0x%x\n", status);
        kill(child, SIGKILL);
        return 125;
    }
    if (ptrace(PTRACE_SETOPTIONS, child, 0,
               PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL) == -1)
        fail("PTRACE_SETOPTIONS");

    struct user_regs_struct r;
    int sig = 0;

    /* Phase 1: native syscalls under PTRACE_SYSCALL until the first getppid. */
    for (;;) {
        resume(PTRACE_SYSCALL, sig);
        if (!wait_stop(&sig) || syscall_stop_op() != PTRACE_SYSCALL_INFO_ENTRY)
            continue;
        get_regs(&r);
        n_traced++;
        if (r.orig_rax != SYS_getppid)
            continue;
        /* Emulate it: skip the syscall, then fill in rax at its exit stop. */
        r.orig_rax = -1;
        set_regs(&r);
        do {
            resume(PTRACE_SYSCALL, sig);
        } while (!wait_stop(&sig));
        get_regs(&r);
        r.rax = FAKE_PPID;
        set_regs(&r);
        n_emulated++;
        break;
    }

    /* Phase 2: PTRACE_SYSEMU; emulate getppid, run everything else natively. */
    for (;;) {
        resume(PTRACE_SYSEMU, sig);
        if (!wait_stop(&sig))
            continue;
        get_regs(&r);
        if (r.orig_rax == SYS_getppid) {
            r.rax = FAKE_PPID;
            set_regs(&r);
            n_emulated++;
        } else {
            run_natively(&r);
        }
    }
}
