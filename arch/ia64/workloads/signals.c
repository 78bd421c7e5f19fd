/* signals.c -- native twin of signals.s: the same signals, the same lines.
 * Where signals.s uses IA-64 specifics, this does the portable equivalent and prints what the
 * IA-64 version checks: the handler's gp and the interrupted frame's backing store (usr1),
 * the skip of a faulting instruction by editing sc_ip/sc_gr/sc_pr (segv: siglongjmp and
 * values set by the handler instead), f10/sc_fr[11] (fp), ar.bsp on the alternate stack and
 * the NaT bits of stacked registers (nat). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEPTH 20000
#define ALTSIZE 65536

static volatile uint64_t R[32];
static volatile uint64_t marker;
static sigjmp_buf segv_env;
static char altbuf[ALTSIZE] __attribute__((aligned(16)));

static void set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = flags | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void send_self(int sig, uint64_t m) {
    marker = m;
    kill(getpid(), sig);
}

static uint64_t hrec(uint64_t n) {
    volatile uint64_t keep = n;
    return n == 0 ? 0 : keep + hrec(n - 1);
}

static void usr1_handler(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    R[0] = sig;
    R[1] = si->si_code;
    R[2] = si->si_pid == getpid();
    R[3] = marker;  /* signals.s reads it from the interrupted frame on the backing store */
    R[4] = 1;       /* signals.s: gp from the function descriptor, r1 restored afterwards */
}

static void deep_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    R[6] = hrec(1000);
}

static uint64_t rec(uint64_t n) {
    volatile uint64_t a = 3 * n + 1, b = n ^ 0x55;
    uint64_t r;
    if (n == 0) {
        send_self(SIGUSR1, 0);
        r = 0;
    } else {
        r = rec(n - 1);
    }
    if (a != 3 * n + 1) R[5]++;
    if (b != (n ^ 0x55)) R[5]++;
    return r + a + b;
}

static void alrm_handler(int sig, siginfo_t *si, void *uc) {
    (void)si; (void)uc;
    R[7] = sig;
}

static void segv_handler(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    R[9] = sig;
    R[10] = si->si_code;
    R[11] = (uint64_t)(uintptr_t)si->si_addr;
    R[12] = 1;   /* signals.s: the faulting load is in slot 1 of its bundle */
    R[14] = 77;  /* signals.s: sc_gr[8] = 77 */
    R[15] = 1;   /* signals.s: the instruction after the faulting one ran (r9 + 1) */
    R[16] = 1;   /* signals.s: p7 set through sc_pr */
    siglongjmp(segv_env, 1);
}

static void fp_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    R[18] = 99;  /* signals.s: sc_fr[11] = 99 */
}

static void usr2_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    R[19]++;
}

static void hup_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    R[20]++;
}

static void alt_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    char local;
    uintptr_t sp = (uintptr_t)&local, base = (uintptr_t)altbuf;
    stack_t ss;
    sigaltstack(NULL, &ss);
    R[27] = sp - base < ALTSIZE;
    R[28] = 1;  /* signals.s: ar.bsp (the register backing store) on the alternate stack */
    R[29] = (ss.ss_flags & SS_ONSTACK) != 0;
    R[30] = hrec(200);
}

static volatile uint64_t order, alarms;

static void nest2_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    order = order * 8 + 2;
}

static void nest1_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    order = order * 8 + 1;
    send_self(SIGUSR2, 0);
    order = order * 8 + 3;
}

static void rst_handler(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)si; (void)uc;
    alarms++;
}

int main(void) {
    setvbuf(stdout, NULL, _IOFBF, 4096);

    set_action(SIGUSR1, usr1_handler, 0);
    send_self(SIGUSR1, 4242);
    printf("usr1: sig %llu code %llu pid %llu ctx %llu gp %llu\n", (unsigned long long)R[0],
           (unsigned long long)R[1], (unsigned long long)R[2], (unsigned long long)R[3], (unsigned long long)R[4]);

    set_action(SIGUSR1, deep_handler, 0);
    R[8] = rec(DEPTH);
    printf("deep: sum %llu handler %llu corrupt %llu\n", (unsigned long long)R[8], (unsigned long long)R[6],
           (unsigned long long)R[5]);

    sigset_t alrm, empty;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigemptyset(&empty);
    set_action(SIGALRM, alrm_handler, 0);
    sigprocmask(SIG_BLOCK, &alrm, NULL);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    int r = sigsuspend(&empty);
    R[13] = r == -1;
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);
    printf("alarm: sig %llu eintr %llu\n", (unsigned long long)R[7], (unsigned long long)R[13]);

    set_action(SIGSEGV, segv_handler, 0);
    if (!sigsetjmp(segv_env, 1)) {
        volatile uint64_t *volatile p = NULL;
        (void)*p;
    }
    printf("segv: sig %llu code %llu addr %llu slot %llu r8 %llu r9 %llu p7 %llu\n", (unsigned long long)R[9],
           (unsigned long long)R[10], (unsigned long long)R[11], (unsigned long long)R[12],
           (unsigned long long)R[14], (unsigned long long)R[15], (unsigned long long)R[16]);

    set_action(SIGUSR1, fp_handler, 0);
    volatile double f10 = 1234;
    R[18] = 5;
    send_self(SIGUSR1, 0);
    R[17] = (uint64_t)f10;
    printf("fp: f10 %llu f11 %llu\n", (unsigned long long)R[17], (unsigned long long)R[18]);

    sigset_t usr2, pend;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    set_action(SIGUSR2, usr2_handler, 0);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    send_self(SIGUSR2, 0);
    R[21] = R[19];
    sigpending(&pend);
    R[23] = sigismember(&pend, SIGUSR2) == 1;
    sigprocmask(SIG_UNBLOCK, &usr2, NULL);
    printf("mask: before %llu pending %llu after %llu\n", (unsigned long long)R[21], (unsigned long long)R[23],
           (unsigned long long)R[19]);

    set_action(SIGHUP, hup_handler, SA_RESETHAND);
    send_self(SIGHUP, 0);
    struct sigaction old;
    sigaction(SIGHUP, NULL, &old);
    R[24] = old.sa_handler == SIG_DFL;
    printf("resethand: calls %llu dfl %llu\n", (unsigned long long)R[20], (unsigned long long)R[24]);

    stack_t ss = {.ss_sp = altbuf, .ss_flags = 0, .ss_size = ALTSIZE};
    sigaltstack(&ss, NULL);
    set_action(SIGUSR1, alt_handler, SA_ONSTACK);
    volatile uint64_t local = 31337;
    send_self(SIGUSR1, 0);
    R[31] = local == 31337;
    printf("altstack: sp %llu bsp %llu onstack %llu sum %llu local %llu\n", (unsigned long long)R[27],
           (unsigned long long)R[28], (unsigned long long)R[29], (unsigned long long)R[30],
           (unsigned long long)R[31]);

    set_action(SIGUSR1, nest1_handler, 0);
    set_action(SIGUSR2, nest2_handler, 0);
    send_self(SIGUSR1, 0);
    printf("nested: order %llu\n", (unsigned long long)order);

    /* SIGALRM (30 ms) interrupts the read; SA_RESTART restarts it; the child writes at 150 ms. */
    int fds[2];
    set_action(SIGALRM, rst_handler, SA_RESTART);
    if (pipe(fds) != 0) return 1;
    struct itimerval it30 = {{0, 0}, {0, 30000}};
    setitimer(ITIMER_REAL, &it30, NULL);
    pid_t child = fork();
    if (child == 0) {
        struct timespec ts = {0, 150000000};
        nanosleep(&ts, NULL);
        char c = '*';
        if (write(fds[1], &c, 1) != 1) _exit(1);
        _exit(0);
    }
    unsigned char byte = 0;
    ssize_t n = read(fds[0], &byte, 1);
    waitpid(-1, NULL, 0);
    printf("restart: read %lld byte %u alarms %llu\n", (long long)n, byte, (unsigned long long)alarms);

    printf("nat: bad 0\n");  /* signals.s: NaT bits of 2002 frames' stacked registers survive */
    return 0;
}
