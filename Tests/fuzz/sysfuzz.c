/* sysfuzz: a guest program that makes hostile system calls, to check that umlab survives them.
 *
 *   sysfuzz SEED START COUNT [BATCH]
 *
 * Call k (START <= k < START + COUNT) is a pure function of (SEED, k): a number across the
 * table and beyond it, and six arguments drawn from values that break arithmetic and pointer
 * checks (0, -1, INT_MIN/MAX, LONG_MAX, huge lengths, NULL, unmapped, read-only and kernel-space
 * pointers, pointers to buffers of hostile structures: iovecs with huge lengths, timespecs of
 * LONG_MAX seconds, all-ones signal sets, paths). Calls run in a child per batch, so a call that
 * kills or wedges its caller ends only the batch: the parent resumes after it. The child
 * reports which call it is on through a shared page; a watchdog in the parent kills a child
 * that makes no progress for 200 ms, and calls that block by design (pause, sleeps, waits)
 * are preceded by a 20 ms interval timer so they end with EINTR instead.
 *
 * Avoided, because they end or wedge the fuzzer legitimately: exit and exit_group; signals to
 * other processes than the caller (kill(0/-1, ...) would kill the fuzzer: the pid arguments of
 * kill, tkill, tgkill and the sigqueue calls are made the caller, init, an unused pid or
 * INT_MIN); execve of a real program (execve's path is never a valid executable).
 *
 * Before each batch it prints "sysfuzz: batch FROM TO" (so a crash of umlab names its batch);
 * the last line on standard output is the summary the campaign (Tests/fuzz/fuzz.py) reads:
 *   sysfuzz: calls N batches B child-signals S watchdog W fork-failures F
 * Built statically for x86-64 (gcc) and PowerPC (powerpc-linux-gnu-gcc).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TABLE_SIZE 470     /* both tables end below this (x86-64: 0..461, PowerPC: 0..462) */
#define SLOT 256           /* hostile structures in the buffers, one per slot */
#define BUFFER (64 * 1024)

static uint64_t mix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

struct shared { volatile long next; volatile long issued; };

static struct shared *sh;
static unsigned char *rw, *ro, *unmapped;
static pid_t self;

/* Kernel space and the TT arena, as each ISA lays them out. */
#if defined(__x86_64__)
static const unsigned long kernel_pointers[] = {0xffffffff81000000UL, 0xffff880000000000UL, 0x7fffe0000000UL, 0x7fffe0001000UL, 0x800000000000UL};
#else
static const unsigned long kernel_pointers[] = {0xc0000000UL, 0xbe000000UL, 0xbe001000UL, 0xfffff000UL, 0xbdfff000UL};
#endif

static const char *const paths[] = {
    "/tmp/sysfuzz-a", "/tmp", "/proc/self/mem", "/proc/self/fd/0", "/proc/1/root", "/dev/tty", "/dev/null",
    "../../../../etc/passwd", "/etc/passwd", "/", ".", "", "/sysfuzz-host-write", "/etc/sysfuzz-x",
    "/dev/shm/x", "/proc/self/exe", "/proc/sys/kernel/hostname", "/tmp/\xff\xfe", "/dev/zero",
};

/* Fills the buffer with one hostile structure per slot: the kinds a pointer argument may meet. */
static void fill(unsigned char *buf, uint64_t *s) {
    for (int off = 0; off + SLOT <= BUFFER; off += SLOT) {
        unsigned char *p = buf + off;
        long *w = (long *)p;
        int n = SLOT / sizeof(long);
        switch (mix(s) % 10) {
        case 0: for (int i = 0; i < SLOT; i++) p[i] = mix(s); break;                     /* noise */
        case 1: memset(p, 0xff, SLOT); break;                                           /* all ones */
        case 2: for (int i = 0; i + 1 < n; i += 2) {                                    /* iovecs */
                    static const long lens[] = {LONG_MAX, -1, 1 << 30, 4096, 0, INT_MAX};
                    w[i] = (mix(s) & 1) ? (long)(rw + mix(s) % BUFFER) : (long)kernel_pointers[mix(s) % 5];
                    w[i + 1] = lens[mix(s) % 6];
                } break;
        case 3: for (int i = 0; i + 1 < n; i += 2) {                                    /* timespecs */
                    static const long secs[] = {LONG_MAX, LONG_MIN, -1, 0, 1, INT_MAX, 10000000000L & LONG_MAX};
                    static const long nsecs[] = {999999999, 1000000000, -1, 0, LONG_MAX, 1};
                    w[i] = secs[mix(s) % 7]; w[i + 1] = nsecs[mix(s) % 6];
                } break;
        case 4: { const char *path = paths[mix(s) % (sizeof paths / sizeof *paths)];     /* a path */
                  strncpy((char *)p, path, SLOT - 1); p[SLOT - 1] = 0; } break;
        case 5: memset(p, 'a', SLOT); break;                                            /* no NUL */
        case 6: memset(p, 0, SLOT); break;
        case 7: for (int i = 0; i < n; i++) w[i] = (long)(mix(s) % 3 == 0 ? -1 : mix(s) % 64); break; /* fds, small */
        case 8: for (int i = 0; i < n; i++) w[i] = (long)(rw + mix(s) % BUFFER); break; /* pointers */
        default: for (int i = 0; i < n; i++) w[i] = (mix(s) & 1) ? INT_MIN : LONG_MAX; break;
        }
    }
}

static long argument(uint64_t *s) {
    switch (mix(s) % 24) {
    case 0: return 0;
    case 1: return -1;
    case 2: return INT_MIN;
    case 3: return INT_MAX;
    case 4: return LONG_MAX;
    case 5: return LONG_MIN;
    case 6: return (long)UINT_MAX;
    case 7: case 8: return mix(s) % 16;                                  /* flags, small fds */
    case 9: return -100;                                                 /* AT_FDCWD */
    case 10: return (long)(1UL << (mix(s) % (8 * sizeof(long))));       /* a power of two */
    case 11: return 4096;
    case 12: case 13: case 14: return (long)(rw + (mix(s) % (BUFFER / SLOT)) * SLOT);   /* a structure */
    case 15: return (long)(rw + BUFFER - (mix(s) % 16));                 /* straddles the end */
    case 16: return (long)(ro + (mix(s) % 16) * SLOT);                   /* read-only */
    case 17: return (long)(unmapped + mix(s) % 4096);
    case 18: return (long)kernel_pointers[mix(s) % 5];
    case 19: return (long)(-4096L + (long)(mix(s) % 4096));
    case 20: return (long)(mix(s) % 4096);                               /* near NULL */
    case 21: return 1000 + (long)(mix(s) % 100000);
    default: return (long)mix(s);
    }
}

static void on_alarm(int sig) { (void)sig; }

/* Calls that wait by design: a short interval timer turns them into EINTR. */
static int blocks(long nr) {
    switch (nr) {
#ifdef SYS_pause
    case SYS_pause:
#endif
#ifdef SYS_sigsuspend
    case SYS_sigsuspend:
#endif
#ifdef SYS_select
    case SYS_select:
#endif
#ifdef SYS__newselect
    case SYS__newselect:
#endif
#ifdef SYS_poll
    case SYS_poll:
#endif
#ifdef SYS_wait4
    case SYS_wait4:
#endif
#ifdef SYS_waitpid
    case SYS_waitpid:
#endif
    case SYS_rt_sigsuspend: case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_pselect6: case SYS_ppoll:
    case SYS_waitid: case SYS_futex: case SYS_read: case SYS_readv: case SYS_pread64: case SYS_rt_sigtimedwait:
    case SYS_recvfrom: case SYS_recvmsg: case SYS_accept: case SYS_accept4: case SYS_openat: case SYS_open:
    case SYS_write: case SYS_writev: case SYS_sendto: case SYS_sendmsg: case SYS_flock: case SYS_fcntl:
#ifdef SYS_semtimedop
    case SYS_msgrcv: case SYS_semop: case SYS_semtimedop:
#endif
    case SYS_epoll_pwait: case SYS_sched_yield:
    case SYS_sendfile: case SYS_splice: case SYS_tee: case SYS_vmsplice: case SYS_pwrite64: case SYS_preadv:
    case SYS_pwritev: case SYS_copy_file_range: case SYS_io_getevents: case SYS_mq_timedreceive: case SYS_mq_timedsend:
        return 1;
    default:
        return 0;
    }
}

/* Makes the arguments of calls that would end the fuzzer legitimately harmless; returns 0 to
   skip the call. */
static int tame(long nr, long *a, uint64_t *s) {
    static const long pids[] = {0, 1, 99999, INT_MIN};
    switch (nr) {
    case SYS_exit: case SYS_exit_group:
        return 0;
    case SYS_kill: case SYS_tkill: case SYS_rt_sigqueueinfo:
        a[0] = mix(s) % 2 ? self : pids[1 + mix(s) % 3];
        return 1;
    case SYS_tgkill: case SYS_rt_tgsigqueueinfo:
        a[0] = mix(s) % 2 ? self : pids[1 + mix(s) % 3];
        a[1] = mix(s) % 2 ? self : pids[1 + mix(s) % 3];
        return 1;
#ifdef SYS_pidfd_send_signal
    case SYS_pidfd_send_signal:
        return 0;
#endif
    case SYS_execve: case SYS_execveat: {
        static const char *const targets[] = {"/etc/passwd", "/nonexistent", "/dev/null", "/", "/proc/self/fd/0"};
        int i = nr == SYS_execve ? 0 : 1;
        if (mix(s) % 2) a[i] = (long)targets[mix(s) % 5];
        else if (a[i] >= (long)rw && a[i] < (long)(rw + BUFFER)) a[i] = (long)unmapped;
        return 1;
    }
    default:
        return 1;
    }
}

/* Runs calls [from, to) in this (child) process; never returns. */
static void batch(uint64_t seed, long from, long to) {
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) { dup2(devnull, 1); dup2(devnull, 2); }
    self = getpid();
    setpgid(0, 0);
    uint64_t fs = seed ^ (uint64_t)from * 0x2545F4914F6CDD1DULL;
    fill(rw, &fs);
    for (long k = from; k < to; k++) {
        sh->next = k;
        uint64_t s = seed ^ ((uint64_t)k * 0x9E3779B97F4A7C15ULL);
        mix(&s);
        long nr;
        switch (mix(&s) % 20) {
        case 0: { static const long beyond[] = {-1, INT_MIN, INT_MAX, 512, 1000, 4096, 0x40000000};
                  nr = beyond[mix(&s) % 7]; break; }
        case 1: nr = TABLE_SIZE + (long)(mix(&s) % 600); break;
        default: nr = (long)(mix(&s) % TABLE_SIZE); break;
        }
        long a[6];
        for (int i = 0; i < 6; i++) a[i] = argument(&s);
        if (!tame(nr, a, &s)) continue;
        if (blocks(nr)) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_alarm;
            sigaction(SIGALRM, &sa, NULL);
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGALRM);
            sigprocmask(SIG_UNBLOCK, &set, NULL);
            struct itimerval t = {{0, 0}, {0, 20000}};
            setitimer(ITIMER_REAL, &t, NULL);
        }
        sh->issued++;
        long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (r == 0 && syscall(SYS_getpid) != self) _exit(0);  /* a fork's child: not ours to run */
    }
    sh->next = to;
    _exit(0);
}

static volatile sig_atomic_t ticked;
static void on_tick(int sig) { (void)sig; ticked = 1; }

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: sysfuzz SEED START COUNT [BATCH]\n");
        return 2;
    }
    /* Never on a real kernel: as root, hostile calls change the host's clock, host name and
       device permissions (they did, once). umlab's release string names it. */
    struct utsname u;
    if (uname(&u) != 0 || !strstr(u.release, "umlab")) {
        fprintf(stderr, "sysfuzz: refusing to run outside umlab (uname -r lacks \"umlab\")\n");
        return 2;
    }
    uint64_t seed = strtoull(argv[1], NULL, 0);
    long start = strtol(argv[2], NULL, 0), count = strtol(argv[3], NULL, 0);
    long per = argc > 4 ? strtol(argv[4], NULL, 0) : 1000;
    sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    rw = mmap(NULL, BUFFER + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unmapped = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED || rw == MAP_FAILED || ro == MAP_FAILED || unmapped == MAP_FAILED) return 3;
    munmap(rw + BUFFER, 4096);      /* the page after the buffer is a hole: straddling pointers fault */
    munmap(unmapped, 4096);
    uint64_t fs = seed;
    fill(ro, &fs);
    mprotect(ro, 4096, PROT_READ);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick;        /* no SA_RESTART: the tick interrupts the wait */
    sigaction(SIGALRM, &sa, NULL);

    long calls = 0, batches = 0, signals = 0, watchdog = 0, forkFailures = 0;
    long k = start, end = start + count;
    while (k < end) {
        long to = k + per < end ? k + per : end;
        /* Where a crash of umlab happened, for the campaign: the batch it was in. */
        printf("sysfuzz: batch %ld %ld\n", k, to);
        fflush(stdout);
        sh->next = k;
        pid_t child = fork();
        if (child < 0) {
            /* Some hostile call left processes behind (a guest's task limit): wait for them. */
            forkFailures++;
            while (waitpid(-1, NULL, WNOHANG) > 0) {}
            struct timespec pause = {0, 10000000};
            nanosleep(&pause, NULL);
            if (forkFailures > 1000) break;
            continue;
        }
        if (child == 0) batch(seed, k, to);
        batches++;
        long seen = k;
        int quiet = 0, status = 0;
        for (;;) {
            struct itimerval t = {{0, 0}, {0, 10000}};
            ticked = 0;
            setitimer(ITIMER_REAL, &t, NULL);
            pid_t w = waitpid(child, &status, 0);
            if (w == child) break;
            if (w < 0 && errno != EINTR) break;
            long now = sh->next;
            if (now != seen) { seen = now; quiet = 0; }
            else if (++quiet >= 20) {   /* 200 ms without progress */
                kill(-child, SIGKILL);
                kill(child, SIGKILL);
                watchdog++;
            }
        }
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL);
        kill(-child, SIGKILL);          /* whatever the batch left in its process group */
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
        if (WIFSIGNALED(status)) signals++;
        long reached = sh->next;
        if (reached < k || reached > to) reached = k;   /* the child may have scribbled on it */
        /* The call it stopped at counts as made; resume after it. */
        long next = reached >= to ? to : reached + 1;
        (void)calls;
        k = next;
    }
    calls = sh->issued;
    printf("sysfuzz: calls %ld batches %ld child-signals %ld watchdog %ld fork-failures %ld\n",
           calls, batches, signals, watchdog, forkFailures);
    return 0;
}
