/*
 * fork_wait.c - process creation, exit status and reaping, process groups.
 */
#include "testutil.h"

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

static volatile int vfork_shared;

static void test_exit_codes(void)
{
    static const int codes[] = { 0, 7, 255 };
    unsigned i;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        pid_t pid = t_fork();
        int st;
        if (pid == 0)
            _exit(codes[i]);
        st = t_wait(pid);
        CHECK(WIFEXITED(st) && !WIFSIGNALED(st) && !WIFSTOPPED(st),
              "exit %d: status 0x%x", codes[i], st);
        CHECK(WEXITSTATUS(st) == codes[i], "exit %d: got %d", codes[i], WEXITSTATUS(st));
        printf("fork: child exit status %d ok\n", WEXITSTATUS(st));
    }
    {
        pid_t pid = t_fork();
        int st;
        if (pid == 0)
            _exit(259);
        st = t_wait(pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "exit 259: status 0x%x", st);
        printf("fork: _exit(259) seen as exit status %d\n", WEXITSTATUS(st));
    }
    {
        /* exit() (not _exit) from the child, returning through atexit/stdio. */
        pid_t pid = t_fork();
        int st;
        if (pid == 0)
            exit(17);
        st = t_wait(pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 17, "exit(17): status 0x%x", st);
        printf("fork: exit(17) via libc exit ok\n");
    }
}

static void test_wait4_waitid(void)
{
    pid_t pid, r;
    int st = 0;
    struct rusage ru;
    siginfo_t si;

    pid = t_fork();
    if (pid == 0)
        _exit(42);
    memset(&ru, 0, sizeof ru);
    do
        r = wait4(pid, &st, 0, &ru);
    while (r < 0 && errno == EINTR);
    CHECK(r == pid, "wait4 returned %ld (%s)", (long)r, errname(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42, "wait4 status 0x%x", st);
    CHECK(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 &&
          ru.ru_utime.tv_usec < 1000000, "wait4 rusage utime insane");
    printf("wait4: returned child pid, WIFEXITED yes, WEXITSTATUS 42\n");

    pid = t_fork();
    if (pid == 0)
        _exit(9);
    memset(&si, 0, sizeof si);
    CHECK_SYS(waitid(P_PID, (id_t)pid, &si, WEXITED));
    CHECK(si.si_pid == pid, "waitid si_pid mismatch");
    CHECK(si.si_signo == SIGCHLD, "waitid si_signo %d", si.si_signo);
    CHECK(si.si_code == CLD_EXITED, "waitid si_code %d", si.si_code);
    CHECK(si.si_status == 9, "waitid si_status %d", si.si_status);
    printf("waitid: si_signo SIGCHLD, si_code CLD_EXITED, si_status 9\n");

    /* WNOWAIT leaves the zombie in place: kill(pid, 0) still succeeds. */
    pid = t_fork();
    if (pid == 0)
        _exit(11);
    memset(&si, 0, sizeof si);
    CHECK_SYS(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT));
    CHECK(si.si_pid == pid && si.si_status == 11, "waitid WNOWAIT info");
    CHECK(kill(pid, 0) == 0, "kill(zombie, 0): %s", errname(errno));
    printf("waitid WNOWAIT: zombie still exists (kill 0 ok)\n");
    st = t_wait(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 11, "reap after WNOWAIT: 0x%x", st);
    CHECK_ERR(kill(pid, 0), ESRCH);
    printf("after reaping: kill(pid, 0) -> ESRCH\n");
}

static void test_killed(int sig, const char *name)
{
    int p[2], st;
    char c;
    pid_t pid;

    CHECK_SYS(pipe(p));
    pid = t_fork();
    if (pid == 0) {
        close(p[0]);
        if (write(p[1], "r", 1) != 1)
            _exit(100);
        for (;;)
            pause();
    }
    close(p[1]);
    CHECK(t_read_full(p[0], &c, 1) == 1, "child ready byte");
    close(p[0]);
    CHECK_SYS(kill(pid, sig));
    st = t_wait(pid);
    CHECK(WIFSIGNALED(st) && !WIFEXITED(st), "%s: status 0x%x", name, st);
    CHECK(WTERMSIG(st) == sig, "%s: WTERMSIG %d", name, WTERMSIG(st));
    printf("fork: child killed by %s: WIFSIGNALED yes, WTERMSIG %s\n", name, name);
}

static void test_wnohang(void)
{
    int p[2], st;
    pid_t pid, r;
    char c;

    CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
    printf("waitpid(-1, WNOHANG) with no children: ECHILD\n");

    CHECK_SYS(pipe(p));
    pid = t_fork();
    if (pid == 0) {
        close(p[1]);
        if (t_read_full(p[0], &c, 1) != 1)
            _exit(100);
        _exit(3);
    }
    close(p[0]);
    r = waitpid(pid, &st, WNOHANG);
    CHECK(r == 0, "WNOHANG before exit returned %ld (%s)", (long)r, errname(errno));
    printf("waitpid WNOHANG before child exits: returned 0\n");
    CHECK(write(p[1], "x", 1) == 1, "write go byte");
    close(p[1]);
    st = t_wait(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "WNOHANG child status 0x%x", st);
    printf("then blocking waitpid: exit status 3\n");
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void test_many_children(void)
{
    enum { N = 6 };
    static const int codes[N] = { 13, 11, 15, 10, 14, 12 };
    pid_t pids[N];
    int got[N], i, j, st;

    for (i = 0; i < N; i++) {
        pids[i] = t_fork();
        if (pids[i] == 0) {
            /* a little work of varying length so they finish in mixed order */
            volatile unsigned x = 0;
            unsigned k;
            for (k = 0; k < (unsigned)(N - i) * 20000u; k++)
                x += k;
            _exit(codes[i]);
        }
    }
    for (i = 0; i < N; i++) {
        pid_t r;
        do
            r = wait(&st);
        while (r < 0 && errno == EINTR);
        CHECK(r > 0, "wait: %s", errname(errno));
        for (j = 0; j < N; j++)
            if (pids[j] == r)
                break;
        CHECK(j < N, "wait returned unknown pid");
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == codes[j],
              "child %d status 0x%x", j, st);
        pids[j] = -1;
        got[i] = WEXITSTATUS(st);
    }
    qsort(got, N, sizeof got[0], cmp_int);
    printf("reaped %d children, exit codes sorted:", N);
    for (i = 0; i < N; i++)
        printf(" %d", got[i]);
    printf("\n");
    CHECK_ERR(wait(&st), ECHILD);
    printf("wait with no children left: ECHILD\n");
}

static void test_vfork(void)
{
    pid_t pid;
    int st;

    vfork_shared = 0;
    fflush(stdout);
    pid = vfork();
    if (pid < 0)
        fail("vfork: %s", errname(errno));
    if (pid == 0) {
        vfork_shared = 1;
        _exit(42);
    }
    st = t_wait(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42, "vfork status 0x%x", st);
    printf("vfork: child _exit(42) reaped ok\n");
    printf("vfork: child's store visible in parent (shared memory): %s\n",
           yesno(vfork_shared == 1));
}

static void test_getppid(void)
{
    pid_t me = getpid(), pid;
    int st;

    pid = t_fork();
    if (pid == 0)
        _exit(getppid() == me ? 0 : 1);
    st = t_wait(pid);
    CHECK(WIFEXITED(st), "getppid child status 0x%x", st);
    CHECK(WEXITSTATUS(st) == 0, "getppid in child != parent pid");
    printf("getppid in child equals parent's getpid: ok\n");
    CHECK(pid != me, "child pid == parent pid");
    CHECK(getpid() == me, "getpid changed");
}

static void test_pgrp(void)
{
    pid_t mypg = getpgid(0), mysid = getsid(0), pid;
    int p[2], q[2], st;
    unsigned char bits;

    /* 0 is a valid answer natively: a session or group led from outside our
     * PID namespace (CI containers) reads as 0. Only -1 is a failure. */
    CHECK(mypg >= 0 && mysid >= 0, "getpgid/getsid failed: %s", errname(errno));
    CHECK(getpgrp() == mypg, "getpgrp != getpgid(0)");

    CHECK_SYS(pipe(p));
    CHECK_SYS(pipe(q));
    pid = t_fork();
    if (pid == 0) {
        unsigned char b = 0;
        char c;
        close(p[0]);
        close(q[1]);
        if (setpgid(0, 0) == 0)
            b |= 1;
        if (getpgid(0) == getpid())
            b |= 2;
        if (getpgrp() == getpid())
            b |= 4;
        if (getsid(0) == mysid)
            b |= 8;
        if (getpgid(getppid()) == mypg)
            b |= 16;
        if (write(p[1], &b, 1) != 1)
            _exit(100);
        if (t_read_full(q[0], &c, 1) != 1)
            _exit(101);
        _exit(0);
    }
    close(p[1]);
    close(q[0]);
    /* Parent also sets it (the classic race-free idiom); must succeed. */
    CHECK(setpgid(pid, pid) == 0 || errno == EACCES, "parent setpgid: %s", errname(errno));
    CHECK(t_read_full(p[0], &bits, 1) == 1, "pgrp child report");
    printf("child setpgid(0,0) ok: %s\n", yesno(bits & 1));
    printf("child pgid == child pid: %s\n", yesno(bits & 2));
    printf("child getpgrp == child pid: %s\n", yesno(bits & 4));
    printf("child session == parent session: %s\n", yesno(bits & 8));
    printf("child sees parent's pgid unchanged: %s\n", yesno(bits & 16));
    printf("parent getpgid(child) == child pid: %s\n", yesno(getpgid(pid) == pid));
    printf("parent pgid unchanged: %s\n", yesno(getpgid(0) == mypg));
    CHECK(write(q[1], "g", 1) == 1, "go byte");
    close(q[1]);
    close(p[0]);
    t_wait_ok(pid, "pgrp child");

    /* setsid in a child */
    pid = t_fork();
    if (pid == 0) {
        int b = 0;
        pid_t s = setsid();
        if (s == getpid())
            b |= 1;
        if (getsid(0) == getpid())
            b |= 2;
        if (getpgid(0) == getpid())
            b |= 4;
        if (setsid() == -1 && errno == EPERM)
            b |= 8;
        _exit(b);
    }
    st = t_wait(pid);
    CHECK(WIFEXITED(st), "setsid child status 0x%x", st);
    bits = (unsigned char)WEXITSTATUS(st);
    printf("setsid child: returned own pid: %s\n", yesno(bits & 1));
    printf("setsid child: getsid == own pid: %s\n", yesno(bits & 2));
    printf("setsid child: pgid == own pid: %s\n", yesno(bits & 4));
    printf("setsid child: second setsid fails with EPERM: %s\n", yesno(bits & 8));
    CHECK_ERR(setpgid(0, -1), EINVAL);
    printf("setpgid(0, -1): EINVAL\n");
}

/* Two children in one process group, killed together with kill(-pgid). */
static void test_group_kill(void)
{
    int ready[2], st, i;
    pid_t a, b;
    char c;

    CHECK_SYS(pipe(ready));
    a = t_fork();
    if (a == 0) {
        close(ready[0]);
        setpgid(0, 0);
        if (write(ready[1], "a", 1) != 1)
            _exit(100);
        for (;;)
            pause();
    }
    setpgid(a, a);
    CHECK(t_read_full(ready[0], &c, 1) == 1, "child a ready");
    b = t_fork();
    if (b == 0) {
        close(ready[0]);
        if (setpgid(0, a) != 0)
            _exit(101);
        if (write(ready[1], "b", 1) != 1)
            _exit(100);
        for (;;)
            pause();
    }
    setpgid(b, a);
    close(ready[1]);
    CHECK(t_read_full(ready[0], &c, 1) == 1, "child b ready");
    close(ready[0]);
    printf("second child joined first child's group: %s\n", yesno(getpgid(b) == a));
    CHECK_SYS(kill(-a, SIGTERM));
    for (i = 0; i < 2; i++) {
        pid_t who = i == 0 ? a : b;
        st = t_wait(who);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "group member %d status 0x%x", i, st);
    }
    printf("kill(-pgid, SIGTERM) terminated both group members\n");
    CHECK_ERR(kill(-a, 0), ESRCH);
    printf("kill(-pgid, 0) after reaping: ESRCH\n");
}

static void test_stop_continue(void)
{
    int p[2], st;
    pid_t pid, r;
    char c;

    CHECK_SYS(pipe(p));
    pid = t_fork();
    if (pid == 0) {
        close(p[1]);
        kill(getpid(), SIGSTOP);
        if (t_read_full(p[0], &c, 1) != 1)
            _exit(100);
        _exit(5);
    }
    close(p[0]);
    do
        r = waitpid(pid, &st, WUNTRACED);
    while (r < 0 && errno == EINTR);
    CHECK(r == pid, "waitpid WUNTRACED: %s", errname(errno));
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "stop status 0x%x", st);
    printf("waitpid WUNTRACED: WIFSTOPPED yes, WSTOPSIG SIGSTOP\n");
    CHECK_SYS(kill(pid, SIGCONT));
    do
        r = waitpid(pid, &st, WCONTINUED);
    while (r < 0 && errno == EINTR);
    CHECK(r == pid, "waitpid WCONTINUED: %s", errname(errno));
    CHECK(WIFCONTINUED(st), "continued status 0x%x", st);
    printf("waitpid WCONTINUED: WIFCONTINUED yes\n");
    CHECK(write(p[1], "g", 1) == 1, "go byte");
    close(p[1]);
    st = t_wait(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "after continue: 0x%x", st);
    printf("continued child exited with status 5\n");
}

int main(void)
{
    t_init("fork_wait");
    test_exit_codes();
    test_wait4_waitid();
    test_killed(SIGKILL, "SIGKILL");
    test_killed(SIGTERM, "SIGTERM");
    test_wnohang();
    test_many_children();
    test_vfork();
    test_getppid();
    test_pgrp();
    test_group_kill();
    test_stop_continue();
    t_done();
    return 0;
}
