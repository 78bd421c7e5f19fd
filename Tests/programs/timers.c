/*
 * timers.c - POSIX timers (timer_create errnos and notifications: SIGEV_SIGNAL with si_code,
 * si_value, si_timerid and si_overrun, SIGEV_NONE, SIGEV_THREAD_ID to one thread, glibc's
 * SIGEV_THREAD; one-shot, periodic with overruns, TIMER_ABSTIME, old values, delete, not
 * inherited by fork), CPU-time clocks (process, thread, another thread's and another
 * process's clock ids, a timer on the process CPU clock, getrusage and times, a reaped child's
 * time), priorities (getpriority/setpriority, inherited by fork) and scheduling calls
 * (affinity with CPU 0, policies and their priority ranges). Prints relations, never times or
 * CPU counts; the output must match Linux.
 */
#include "testutil.h"

#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static void block(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    CHECK_SYS(sigprocmask(SIG_BLOCK, &s, NULL));
}

static int wait_signal(int sig, siginfo_t *info)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    struct timespec five = { 5, 0 };
    return sigtimedwait(&s, info, &five);
}

static int create(clockid_t clock, int notify, int sig, int value, timer_t *t)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = notify;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_int = value;
    return timer_create(clock, &ev, t) < 0 ? errno : 0;
}

static int arm(timer_t t, int flags, long value_ns, long interval_ns, struct itimerspec *old)
{
    struct itimerspec its = { { interval_ns / 1000000000, interval_ns % 1000000000 }, { value_ns / 1000000000, value_ns % 1000000000 } };
    return timer_settime(t, flags, &its, old) < 0 ? errno : 0;
}

static long ns_of(struct timespec ts) { return ts.tv_sec * 1000000000L + ts.tv_nsec; }

static void test_errnos(void)
{
    printf("-- errnos\n");
    timer_t t;
    printf("clock 10: %s\n", errname(create(10, SIGEV_SIGNAL, SIGALRM, 0, &t)));
    printf("CLOCK_MONOTONIC_RAW: %s\n", errname(create(CLOCK_MONOTONIC_RAW, SIGEV_SIGNAL, SIGALRM, 0, &t)));
    printf("CLOCK_REALTIME_COARSE: %s\n", errname(create(CLOCK_REALTIME_COARSE, SIGEV_SIGNAL, SIGALRM, 0, &t)));
    printf("sigev_notify 7: %s\n", errname(create(CLOCK_MONOTONIC, 7, SIGALRM, 0, &t)));
    printf("signal 0: %s\n", errname(create(CLOCK_MONOTONIC, SIGEV_SIGNAL, 0, 0, &t)));
    printf("signal 65: %s\n", errname(create(CLOCK_MONOTONIC, SIGEV_SIGNAL, 65, 0, &t)));
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGALRM;
    ev.sigev_notify_thread_id = 1;  /* init: not a thread of this process */
    printf("SIGEV_THREAD_ID of another process: %s\n", timer_create(CLOCK_MONOTONIC, &ev, &t) < 0 ? errname(errno) : "0");
    printf("bad sigevent pointer: %s\n", t_result(syscall(SYS_timer_create, CLOCK_MONOTONIC, (void *)8, &t)));
    printf("bad timerid pointer: %s\n", t_result(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, (void *)8)));
    printf("timer_gettime of id 4711: %s\n", t_result(syscall(SYS_timer_gettime, 4711, &(struct itimerspec){ 0 })));
    printf("timer_getoverrun of id -1: %s\n", t_result(syscall(SYS_timer_getoverrun, -1)));
    printf("timer_delete of id 4711: %s\n", t_result(syscall(SYS_timer_delete, 4711)));
    CHECK(create(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, &t) == 0, "create");
    struct itimerspec bad = { { 0, 0 }, { 0, 1000000000 } };
    printf("tv_nsec 10^9: %s\n", timer_settime(t, 0, &bad, NULL) < 0 ? errname(errno) : "0");
    bad.it_value.tv_nsec = -1;
    printf("tv_nsec -1: %s\n", timer_settime(t, 0, &bad, NULL) < 0 ? errname(errno) : "0");
    bad.it_value.tv_sec = -1; bad.it_value.tv_nsec = 0;
    printf("tv_sec -1: %s\n", timer_settime(t, 0, &bad, NULL) < 0 ? errname(errno) : "0");
    printf("no new value: %s\n", t_result(syscall(SYS_timer_settime, t, 0, NULL, NULL)));
    printf("new value at a bad pointer: %s\n", t_result(syscall(SYS_timer_settime, t, 0, (void *)8, NULL)));
    CHECK_SYS(timer_delete(t));
    printf("deleted twice: %s\n", timer_delete(t) < 0 ? errname(errno) : "0");
}

static void test_signal_timers(void)
{
    printf("-- SIGEV_SIGNAL\n");
    block(SIGRTMIN + 1);
    block(SIGALRM);
    timer_t t;
    CHECK(create(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN + 1, 1234, &t) == 0, "create");
    struct itimerspec cur;
    CHECK_SYS(timer_gettime(t, &cur));
    printf("new timer disarmed: %s\n", yesno(ns_of(cur.it_value) == 0 && ns_of(cur.it_interval) == 0));
    CHECK(arm(t, 0, 20000000, 0, NULL) == 0, "arm");
    CHECK_SYS(timer_gettime(t, &cur));
    printf("armed: 0 < value <= 20 ms: %s, interval 0: %s\n", yesno(ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 20000000),
           yesno(ns_of(cur.it_interval) == 0));
    siginfo_t si;
    int s = wait_signal(SIGRTMIN + 1, &si);
    printf("one-shot: signal %s, si_code SI_TIMER: %s, si_value %d, si_timerid is the id: %s, si_overrun %d\n",
           s == SIGRTMIN + 1 ? "SIGRTMIN+1" : "?", yesno(si.si_code == SI_TIMER), si.si_value.sival_int,
           yesno(si.si_timerid == (int)(long)t), si.si_overrun);
    CHECK_SYS(timer_gettime(t, &cur));
    printf("after firing: disarmed: %s\n", yesno(ns_of(cur.it_value) == 0));

    /* Periodic 1 ms, signal blocked for 30 ms: the missed periods are the overrun. */
    CHECK(arm(t, 0, 1000000, 1000000, NULL) == 0, "arm periodic");
    usleep(30000);
    s = wait_signal(SIGRTMIN + 1, &si);
    int over = timer_getoverrun(t);
    printf("periodic: one signal, si_overrun >= 10: %s, timer_getoverrun the same: %s\n", yesno(si.si_overrun >= 10),
           yesno(over == si.si_overrun));
    s = wait_signal(SIGRTMIN + 1, &si);
    printf("  the next period comes: %s, small overrun: %s\n", yesno(s == SIGRTMIN + 1), yesno(si.si_overrun < 10));
    struct itimerspec old;
    CHECK(arm(t, 0, 0, 0, &old) == 0, "disarm");
    printf("  disarmed; old interval 1 ms: %s, old value <= 1 ms: %s\n", yesno(ns_of(old.it_interval) == 1000000),
           yesno(ns_of(old.it_value) <= 1000000));

    /* TIMER_ABSTIME in the past fires at once, on each clock. */
    clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME };
    const char *names[] = { "CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_BOOTTIME" };
    for (int i = 0; i < 3; i++) {
        timer_t a;
        CHECK(create(clocks[i], SIGEV_SIGNAL, SIGALRM, i, &a) == 0, "create");
        struct timespec now;
        clock_gettime(clocks[i], &now);
        struct itimerspec its = { { 0, 0 }, { now.tv_sec - 1, now.tv_nsec } };
        CHECK_SYS(timer_settime(a, TIMER_ABSTIME, &its, NULL));
        s = wait_signal(SIGALRM, &si);
        int past = s == SIGALRM && si.si_value.sival_int == i;
        its.it_value.tv_sec = now.tv_sec; its.it_value.tv_nsec = now.tv_nsec + 20000000;
        if (its.it_value.tv_nsec >= 1000000000) { its.it_value.tv_sec++; its.it_value.tv_nsec -= 1000000000; }
        CHECK_SYS(timer_settime(a, TIMER_ABSTIME, &its, NULL));
        s = wait_signal(SIGALRM, &si);
        printf("%s absolute: past fires: %s, future fires: %s\n", names[i], yesno(past), yesno(s == SIGALRM));
        CHECK_SYS(timer_delete(a));
    }

    /* No sigevent: SIGALRM with the id as the value. */
    int kid;
    CHECK_SYS(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &kid));
    struct itimerspec ms = { { 0, 0 }, { 0, 1000000 } };
    CHECK_SYS(syscall(SYS_timer_settime, kid, 0, &ms, NULL));
    s = wait_signal(SIGALRM, &si);
    printf("no sigevent: SIGALRM: %s, si_value is the timer id: %s\n", yesno(s == SIGALRM),
           yesno(si.si_value.sival_int == kid && si.si_timerid == kid));
    CHECK_SYS(syscall(SYS_timer_delete, kid));

    /* Not inherited by fork. */
    pid_t p = t_fork();
    if (p == 0) _exit(timer_gettime(t, &cur) < 0 && errno == EINVAL ? 0 : 1);
    printf("child sees the parent's timer: %s\n", yesno(t_wait(p) != 0));
    /* A timer deleted with its signal pending: the signal shows as pending but is dropped when
       taken (Linux 6.13 on: a deleted or re-armed timer's signal is not delivered). */
    CHECK(arm(t, 0, 1000000, 0, NULL) == 0, "arm");
    usleep(5000);
    sigset_t pend;
    sigpending(&pend);
    int was = sigismember(&pend, SIGRTMIN + 1);
    CHECK_SYS(timer_delete(t));
    sigpending(&pend);
    int after = sigismember(&pend, SIGRTMIN + 1);
    struct timespec zero = { 0, 0 };
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGRTMIN + 1);
    printf("pending before timer_delete: %s, after: %s, delivered: %s\n", yesno(was), yesno(after),
           yesno(sigtimedwait(&one, &si, &zero) == SIGRTMIN + 1));

    /* SIGEV_NONE: no signal; timer_gettime tells the time left. */
    timer_t n;
    CHECK(create(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, &n) == 0, "create");
    CHECK(arm(n, 0, 5000000, 0, NULL) == 0, "arm");
    CHECK_SYS(timer_gettime(n, &cur));
    int before = ns_of(cur.it_value) > 0;
    usleep(10000);
    CHECK_SYS(timer_gettime(n, &cur));
    sigpending(&pend);
    printf("SIGEV_NONE: running: %s, expired reads 0: %s, nothing pending: %s\n", yesno(before), yesno(ns_of(cur.it_value) == 0),
           yesno(!sigismember(&pend, SIGALRM) && !sigismember(&pend, SIGRTMIN + 1)));
    CHECK(arm(n, 0, 1000000, 2000000, NULL) == 0, "arm periodic");
    usleep(10000);
    CHECK_SYS(timer_gettime(n, &cur));
    printf("SIGEV_NONE periodic: 0 < value <= 2 ms: %s\n", yesno(ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 2000000));
    CHECK_SYS(timer_delete(n));
}

/* SIGEV_THREAD_ID: the timer's signal goes to the thread named. */
static void *thread_target(void *arg)
{
    (void)arg;
    timer_t t;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR2;
    ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &ev, &t) < 0) return (void *)"create failed";
    if (arm(t, 0, 2000000, 0, NULL) != 0) return (void *)"arm failed";
    siginfo_t si;
    int s = wait_signal(SIGUSR2, &si);
    timer_delete(t);
    return (void *)(s == SIGUSR2 && si.si_code == SI_TIMER ? "this thread got it" : "lost");
}

static sem_t fired;
static int thread_calls;
static void on_timer(union sigval v)
{
    thread_calls += v.sival_int;
    sem_post(&fired);
}

static void test_threads(void)
{
    printf("-- threads\n");
    block(SIGUSR2);  /* inherited by the thread: only sigtimedwait takes it */
    pthread_t th;
    void *r;
    CHECK(pthread_create(&th, NULL, thread_target, NULL) == 0, "pthread_create");
    CHECK(pthread_join(th, &r) == 0, "join");
    printf("SIGEV_THREAD_ID: %s\n", (char *)r);
    sigset_t pend;
    sigpending(&pend);
    printf("  nothing pending for the process: %s\n", yesno(!sigismember(&pend, SIGUSR2)));

    /* glibc's SIGEV_THREAD: a helper thread takes SIGEV_THREAD_ID signals and runs the function. */
    CHECK_SYS(sem_init(&fired, 0, 0));
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_timer;
    ev.sigev_value.sival_int = 7;
    timer_t t;
    CHECK_SYS(timer_create(CLOCK_MONOTONIC, &ev, &t));
    CHECK(arm(t, 0, 1000000, 0, NULL) == 0, "arm");
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    int ok = sem_timedwait(&fired, &until) == 0;
    CHECK(arm(t, 0, 1000000, 0, NULL) == 0, "arm again");
    ok = ok && sem_timedwait(&fired, &until) == 0;
    printf("SIGEV_THREAD: function ran twice with the value: %s\n", yesno(ok && thread_calls == 14));
    CHECK_SYS(timer_delete(t));
}

static volatile unsigned long sink;
static void spin_ms(clockid_t clock, long ms)
{
    struct timespec a, b;
    clock_gettime(clock, &a);
    do {
        for (int i = 0; i < 10000; i++) sink += i;
        clock_gettime(clock, &b);
    } while (ns_of(b) - ns_of(a) < ms * 1000000L);
}

static void *spinner(void *arg) { (void)arg; spin_ms(CLOCK_THREAD_CPUTIME_ID, 10); return NULL; }

static void test_cpu_clocks(void)
{
    printf("-- CPU-time clocks\n");
    struct timespec p0, p1, t0, t1;
    CHECK_SYS(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p0));
    CHECK_SYS(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0));
    spin_ms(CLOCK_PROCESS_CPUTIME_ID, 20);  /* CPU time: a loaded host would give less of 20 ms wall */
    CHECK_SYS(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1));
    CHECK_SYS(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1));
    printf("process clock advanced by >= 10 ms of 20 ms of spinning: %s\n", yesno(ns_of(p1) - ns_of(p0) >= 10000000));
    printf("thread clock advanced: %s, process >= thread: %s\n", yesno(ns_of(t1) > ns_of(t0)), yesno(ns_of(p1) >= ns_of(t1)));
    struct timespec res;
    printf("clock_getres(PROCESS_CPUTIME_ID): %s\n", clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res) < 0 ? errname(errno) : "0");

    pthread_t th;
    CHECK(pthread_create(&th, NULL, spinner, NULL) == 0, "pthread_create");
    clockid_t tc;
    CHECK(pthread_getcpuclockid(th, &tc) == 0, "pthread_getcpuclockid");
    CHECK(pthread_join(th, NULL) == 0, "join");
    clockid_t pc;
    printf("clock_getcpuclockid(self): %s\n", errname(clock_getcpuclockid(getpid(), &pc)));
    struct timespec v;
    printf("  reads: %s, at least the thread's: %s\n", yesno(clock_gettime(pc, &v) == 0), yesno(ns_of(v) >= ns_of(t1)));
    clockid_t mine;
    CHECK(pthread_getcpuclockid(pthread_self(), &mine) == 0, "own clock");
    printf("own thread clock id reads: %s\n", yesno(clock_gettime(mine, &v) == 0 && ns_of(v) >= ns_of(t1)));
    printf("clock id of pid 999999: %s\n", t_result(syscall(SYS_clock_gettime, (clockid_t)((~999999 << 3) | 2), &v)));
    printf("clock id with which 3: %s\n", t_result(syscall(SYS_clock_gettime, (clockid_t)((~0 << 3) | 3), &v)));

    /* Another process's clock: a child spinning 20 ms, looked at before it exits. */
    int go[2];
    CHECK_SYS(pipe(go));
    pid_t p = t_fork();
    if (p == 0) {
        spin_ms(CLOCK_PROCESS_CPUTIME_ID, 20);
        char c;
        if (read(go[0], &c, 1) != 1) _exit(2);
        _exit(0);
    }
    clockid_t cc;
    CHECK(clock_getcpuclockid(p, &cc) == 0, "child clock");
    do { CHECK_SYS(clock_gettime(cc, &v)); usleep(1000); } while (ns_of(v) < 20000000);
    printf("a child's clock reaches 20 ms: yes\n");
    CHECK(write(go[1], "x", 1) == 1, "write");
    t_wait_ok(p, "spinner");
    struct rusage ru;
    CHECK_SYS(getrusage(RUSAGE_CHILDREN, &ru));
    long child_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    printf("RUSAGE_CHILDREN after reaping it: >= 10 ms: %s\n", yesno(child_us >= 10000));
    CHECK_SYS(getrusage(RUSAGE_SELF, &ru));
    long self_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    printf("RUSAGE_SELF >= 20 ms: %s\n", yesno(self_us >= 20000));
    printf("getrusage(7): %s\n", getrusage(7, &ru) < 0 ? errname(errno) : "0");
    struct tms tm;
    CHECK(times(&tm) != (clock_t)-1, "times");
    printf("times: own ticks >= 2: %s, children's >= 1: %s\n", yesno(tm.tms_utime + tm.tms_stime >= 2),
           yesno(tm.tms_cutime + tm.tms_cstime >= 1));
    close(go[0]); close(go[1]);

    /* A timer on the process CPU clock fires once the process has run 10 ms. */
    block(SIGVTALRM);
    timer_t t;
    CHECK(create(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, SIGVTALRM, 5, &t) == 0, "create cpu timer");
    CHECK_SYS(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p0));
    CHECK(arm(t, 0, 10000000, 0, NULL) == 0, "arm cpu timer");
    struct itimerspec cur;
    CHECK_SYS(timer_gettime(t, &cur));
    printf("CPU timer armed: 0 < value <= 10 ms: %s\n", yesno(ns_of(cur.it_value) > 0 && ns_of(cur.it_value) <= 10000000));
    sigset_t pend;
    int fired_cpu = 0;
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    do {
        for (int i = 0; i < 10000; i++) sink += i;
        sigpending(&pend);
        fired_cpu = sigismember(&pend, SIGVTALRM);
        clock_gettime(CLOCK_MONOTONIC, &w1);
    } while (!fired_cpu && ns_of(w1) - ns_of(w0) < 5000000000L);
    CHECK_SYS(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1));
    printf("CPU timer fired: %s, after >= 10 ms of CPU: %s\n", yesno(fired_cpu), yesno(ns_of(p1) - ns_of(p0) >= 10000000));
    siginfo_t si;
    wait_signal(SIGVTALRM, &si);
    CHECK_SYS(timer_delete(t));
}

static void test_priorities(void)
{
    printf("-- priorities and scheduling\n");
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, 0);
    printf("getpriority: %d (%s)\n", prio, errname(errno));
    printf("setpriority(5): %s\n", setpriority(PRIO_PROCESS, 0, 5) < 0 ? errname(errno) : "0");
    printf("getpriority: %d\n", getpriority(PRIO_PROCESS, 0));
    printf("raw getpriority: %ld\n", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    pid_t p = t_fork();
    if (p == 0) _exit(getpriority(PRIO_PROCESS, 0));
    printf("child inherits: %d\n", t_wait(p) >> 8);
    const char *r = setpriority(PRIO_PROCESS, 0, -25) < 0 ? errname(errno) : "0";
    printf("setpriority(-25) as root: %s, now %d\n", r, getpriority(PRIO_PROCESS, 0));
    r = setpriority(PRIO_PROCESS, 0, 40) < 0 ? errname(errno) : "0";
    printf("setpriority(40): %s, now %d\n", r, getpriority(PRIO_PROCESS, 0));
    printf("PRIO_PGRP 0: %s\n", setpriority(PRIO_PGRP, 0, 0) < 0 ? errname(errno) : "0");
    printf("PRIO_USER 0 reads: %s\n", yesno(getpriority(PRIO_USER, 0) <= 19));
    errno = 0;
    int q = getpriority(PRIO_PROCESS, 999999);
    printf("pid 999999: %d %s\n", q, errname(errno));
    printf("which 9: %s\n", setpriority(9, 0, 0) < 0 ? errname(errno) : "0");
    CHECK_SYS(setpriority(PRIO_PROCESS, 0, 0));

    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_SYS(sched_getaffinity(0, sizeof set, &set));
    printf("CPU 0 in the affinity mask: %s\n", yesno(CPU_ISSET(0, &set)));
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    printf("sched_setaffinity(CPU 0): %s\n", sched_setaffinity(0, sizeof set, &set) < 0 ? errname(errno) : "0");
    cpu_set_t *big = CPU_ALLOC(8192);
    size_t bigsize = CPU_ALLOC_SIZE(8192);
    CPU_ZERO_S(bigsize, big);
    CPU_SET_S(4000, bigsize, big);
    printf("sched_setaffinity(CPU 4000 only): %s\n", sched_setaffinity(0, bigsize, big) < 0 ? errname(errno) : "0");
    CPU_ZERO_S(bigsize, big);
    printf("sched_setaffinity(empty): %s\n", sched_setaffinity(0, bigsize, big) < 0 ? errname(errno) : "0");
    CPU_FREE(big);
    printf("sched_setaffinity(pid 999999): %s\n", sched_setaffinity(999999, sizeof set, &set) < 0 ? errname(errno) : "0");
    printf("sched_getaffinity(len 0): %s\n", t_result(syscall(SYS_sched_getaffinity, 0, 0, &set)));
    printf("sched_getaffinity(len 3): %s\n", t_result(syscall(SYS_sched_getaffinity, 0, 3, &set)));
    printf("sched_getaffinity(bad pointer): %s\n", t_result(syscall(SYS_sched_getaffinity, 0, sizeof set, (void *)8)));

    printf("priority range FIFO: %d..%d, RR: %d..%d, OTHER: %d..%d, BATCH: %d..%d\n",
           sched_get_priority_min(SCHED_FIFO), sched_get_priority_max(SCHED_FIFO), sched_get_priority_min(SCHED_RR),
           sched_get_priority_max(SCHED_RR), sched_get_priority_min(SCHED_OTHER), sched_get_priority_max(SCHED_OTHER),
           sched_get_priority_min(SCHED_BATCH), sched_get_priority_max(SCHED_BATCH));
    printf("policy 99: %s\n", sched_get_priority_max(99) < 0 ? errname(errno) : "0");
    printf("sched_getscheduler: %d\n", sched_getscheduler(0));
    struct sched_param sp = { .sched_priority = 0 };
    r = sched_setscheduler(0, SCHED_BATCH, &sp) < 0 ? errname(errno) : "0";
    printf("SCHED_BATCH: %s, now %d\n", r, sched_getscheduler(0));
    sp.sched_priority = 1;
    printf("SCHED_OTHER with priority 1: %s\n", sched_setscheduler(0, SCHED_OTHER, &sp) < 0 ? errname(errno) : "0");
    sp.sched_priority = 0;
    printf("SCHED_FIFO with priority 0: %s\n", sched_setscheduler(0, SCHED_FIFO, &sp) < 0 ? errname(errno) : "0");
    r = sched_setscheduler(0, SCHED_OTHER, &sp) < 0 ? errname(errno) : "0";
    printf("SCHED_OTHER: %s, now %d\n", r, sched_getscheduler(0));
    r = sched_getparam(0, &sp) < 0 ? errname(errno) : "0";
    printf("getparam: %s, priority %d\n", r, sp.sched_priority);
    printf("getscheduler(-1): %s\n", sched_getscheduler(-1) < 0 ? errname(errno) : "0");
    printf("getscheduler(999999): %s\n", sched_getscheduler(999999) < 0 ? errname(errno) : "0");
    printf("setscheduler(NULL param): %s\n", t_result(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL)));
}

int main(void)
{
    t_init("timers");
    test_errnos();
    test_signal_timers();
    test_threads();
    test_cpu_clocks();
    test_priorities();
    t_done();
    return 0;
}
