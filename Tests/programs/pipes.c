/*
 * pipes.c - pipes and FIFOs: bulk transfer, EOF, EPIPE/SIGPIPE, non-blocking
 * mode, poll/select readiness, dup2 redirection, atomic small writes.
 */
#include "testutil.h"

#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static uint32_t fnv1a(uint32_t h, const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static void fill_bytes(unsigned char *buf, size_t n, uint32_t *state)
{
    size_t i;
    for (i = 0; i < n; i++)
        buf[i] = (unsigned char)(t_lcg(state) >> 24);
}

static const char *pollbits(short r)
{
    static char buf[128];
    buf[0] = 0;
#define PB(f) if (r & f) { if (buf[0]) strcat(buf, "|"); strcat(buf, #f); }
    PB(POLLIN) PB(POLLPRI) PB(POLLOUT) PB(POLLERR) PB(POLLHUP) PB(POLLNVAL)
#undef PB
    if (!buf[0])
        strcpy(buf, "0");
    return buf;
}

static void test_bulk(void)
{
    enum { TOTAL = 1 << 20 };
    int down[2], up[2];
    pid_t pid;
    unsigned char *buf;
    uint32_t st = 12345, expect = 2166136261u, lens = 777;
    size_t sent = 0;
    char report[64];
    ssize_t n;
    unsigned long got_bytes = 0;
    unsigned got_sum = 0;

    CHECK_SYS(pipe2(down, 0));
    CHECK_SYS(pipe2(up, 0));
    pid = t_fork();
    if (pid == 0) {
        static unsigned char rb[7001];
        uint32_t h = 2166136261u;
        unsigned long total = 0;
        close(down[1]);
        close(up[0]);
        for (;;) {
            ssize_t r = read(down[0], rb, sizeof rb);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                _exit(100);
            if (r == 0)
                break;
            h = fnv1a(h, rb, (size_t)r);
            total += (unsigned long)r;
        }
        snprintf(report, sizeof report, "%lu %u", total, (unsigned)h);
        if (t_write_full(up[1], report, strlen(report)) < 0)
            _exit(101);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    buf = malloc(TOTAL);
    CHECK(buf != NULL, "malloc");
    fill_bytes(buf, TOTAL, &st);
    expect = fnv1a(expect, buf, TOTAL);
    while (sent < TOTAL) {
        size_t chunk = 1 + t_lcg(&lens) % 20000u;
        if (chunk > TOTAL - sent)
            chunk = TOTAL - sent;
        CHECK(t_write_full(down[1], buf + sent, chunk) == (ssize_t)chunk,
              "bulk write: %s", errname(errno));
        sent += chunk;
    }
    close(down[1]);
    n = t_read_full(up[0], report, sizeof report - 1);
    CHECK(n > 0, "no report from child");
    report[n] = 0;
    close(up[0]);
    CHECK(sscanf(report, "%lu %u", &got_bytes, &got_sum) == 2, "bad report");
    t_wait_ok(pid, "bulk reader");
    printf("pipe: child read %lu bytes, fnv1a checksum 0x%08x, matches: %s\n",
           got_bytes, got_sum, yesno(got_bytes == TOTAL && got_sum == expect));
    CHECK(got_bytes == TOTAL && got_sum == expect, "bulk transfer mismatch");
    free(buf);
}

static void test_eof_and_flags(void)
{
    int p[2], fl;
    char b[8];

    CHECK_SYS(pipe2(p, O_CLOEXEC));
    fl = fcntl(p[0], F_GETFD);
    printf("pipe2(O_CLOEXEC): FD_CLOEXEC set on both ends: %s\n",
           yesno((fl & FD_CLOEXEC) && (fcntl(p[1], F_GETFD) & FD_CLOEXEC)));
    printf("pipe ends are O_RDONLY / O_WRONLY: %s\n",
           yesno((fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY &&
                 (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY));
    CHECK(write(p[1], "abc", 3) == 3, "write abc");
    close(p[1]);
    {
        ssize_t r1 = read(p[0], b, sizeof b);
        ssize_t r2 = read(p[0], b, sizeof b);
        printf("EOF after writer close: read returned %ld then %ld\n", (long)r1, (long)r2);
    }
    close(p[0]);

    /* Writing to the read end / reading from the write end fails with EBADF. */
    CHECK_SYS(pipe(p));
    CHECK_ERR(write(p[0], "x", 1), EBADF);
    CHECK_ERR(read(p[1], b, 1), EBADF);
    printf("write to read end / read from write end: EBADF\n");
    CHECK_ERR(lseek(p[0], 0, SEEK_SET), ESPIPE);
    printf("lseek on a pipe: ESPIPE\n");
    close(p[0]);
    close(p[1]);
}

static void test_epipe(void)
{
    int p[2], st;
    pid_t pid;

    signal(SIGPIPE, SIG_IGN);
    CHECK_SYS(pipe(p));
    close(p[0]);
    CHECK_ERR(write(p[1], "x", 1), EPIPE);
    printf("write with reader closed, SIGPIPE ignored: %s\n", "EPIPE");
    close(p[1]);
    signal(SIGPIPE, SIG_DFL);

    CHECK_SYS(pipe(p));
    close(p[0]);
    pid = t_fork();
    if (pid == 0) {
        (void)!write(p[1], "x", 1);
        _exit(0);
    }
    close(p[1]);
    st = t_wait(pid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "SIGPIPE child status 0x%x", st);
    printf("write with reader closed, default SIGPIPE: child killed by SIGPIPE\n");
}

static void test_nonblock(void)
{
    int p[2];
    char b[4096];
    size_t cap = 0;
    ssize_t r;
    int n = -1;

    CHECK_SYS(pipe2(p, O_NONBLOCK));
    printf("pipe2(O_NONBLOCK): F_GETFL has O_NONBLOCK: %s\n",
           yesno(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    CHECK_ERR(read(p[0], b, sizeof b), EAGAIN);
    printf("O_NONBLOCK read on empty pipe: EAGAIN\n");
    memset(b, 'z', sizeof b);
    for (;;) {
        r = write(p[1], b, sizeof b);
        if (r < 0)
            break;
        cap += (size_t)r;
        CHECK(cap < (64u << 20), "pipe never fills");
    }
    CHECK(errno == EAGAIN, "fill ended with %s", errname(errno));
    printf("non-blocking writes fill the pipe then EAGAIN; capacity >= 4096: %s\n",
           yesno(cap >= 4096));
    CHECK_ERR(write(p[1], b, 1), EAGAIN);
    CHECK_SYS(ioctl(p[0], FIONREAD, &n));
    printf("FIONREAD on full pipe equals bytes written: %s\n", yesno((size_t)n == cap));
    close(p[0]);
    close(p[1]);

    CHECK_SYS(pipe(p));
    CHECK(write(p[1], b, 100) == 100, "write 100");
    CHECK_SYS(ioctl(p[0], FIONREAD, &n));
    printf("FIONREAD after writing 100 bytes: %d\n", n);
    close(p[0]);
    close(p[1]);
}

static void test_poll(void)
{
    int p[2];
    struct pollfd pf[2];
    char c;
    int r;
    pid_t pid;

    CHECK_SYS(pipe(p));
    pf[0].fd = p[0]; pf[0].events = POLLIN; pf[0].revents = 0;
    r = poll(pf, 1, 0);
    printf("poll empty pipe, timeout 0: returned %d\n", r);
    r = poll(pf, 1, 10);
    printf("poll empty pipe, timeout 10ms: returned %d\n", r);

    pf[1].fd = p[1]; pf[1].events = POLLOUT; pf[1].revents = 0;
    r = poll(&pf[1], 1, 0);
    printf("poll write end: returned %d, revents %s\n", r, pollbits(pf[1].revents));

    CHECK(write(p[1], "q", 1) == 1, "write q");
    r = poll(pf, 1, 0);
    printf("poll after write: returned %d, revents %s\n", r, pollbits(pf[0].revents));

    close(p[1]);
    r = poll(pf, 1, 0);
    printf("poll after writer closed (data left): returned %d, revents %s\n", r,
           pollbits(pf[0].revents));
    CHECK(read(p[0], &c, 1) == 1, "read q");
    r = poll(pf, 1, 0);
    printf("poll after writer closed (drained): returned %d, revents %s\n", r,
           pollbits(pf[0].revents));
    close(p[0]);

    CHECK_SYS(pipe(p));
    close(p[0]);
    pf[1].fd = p[1]; pf[1].events = POLLOUT; pf[1].revents = 0;
    r = poll(&pf[1], 1, 0);
    printf("poll write end after reader closed: returned %d, revents %s\n", r,
           pollbits(pf[1].revents));
    close(p[1]);

    /* poll on a closed fd number -> POLLNVAL */
    pf[0].fd = p[1]; pf[0].events = POLLIN; pf[0].revents = 0;
    r = poll(pf, 1, 0);
    printf("poll on closed fd: returned %d, revents %s\n", r, pollbits(pf[0].revents));
    /* negative fd is ignored */
    pf[0].fd = -1; pf[0].events = POLLIN; pf[0].revents = 0;
    r = poll(pf, 1, 0);
    printf("poll on fd -1: returned %d, revents %s\n", r, pollbits(pf[0].revents));

    /* Blocking poll woken by a write from a child. */
    CHECK_SYS(pipe(p));
    pid = t_fork();
    if (pid == 0) {
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        close(p[0]);
        nanosleep(&ts, NULL);
        if (write(p[1], "w", 1) != 1)
            _exit(100);
        _exit(0);
    }
    close(p[1]);
    pf[0].fd = p[0]; pf[0].events = POLLIN; pf[0].revents = 0;
    do
        r = poll(pf, 1, 5000);
    while (r < 0 && errno == EINTR);
    printf("blocking poll woken by child's write: returned %d, revents has POLLIN: %s\n",
           r, yesno(pf[0].revents & POLLIN));
    t_wait_ok(pid, "poll writer");
    close(p[0]);
}

static void test_select(void)
{
    int p[2], r;
    fd_set rf, wf;
    struct timeval tv;
    int maxfd;

    CHECK_SYS(pipe(p));
    maxfd = (p[0] > p[1] ? p[0] : p[1]) + 1;
    FD_ZERO(&rf);
    FD_SET(p[0], &rf);
    tv.tv_sec = 0; tv.tv_usec = 0;
    r = select(maxfd, &rf, NULL, NULL, &tv);
    printf("select empty pipe, zero timeout: returned %d\n", r);

    FD_ZERO(&rf);
    FD_SET(p[0], &rf);
    tv.tv_sec = 0; tv.tv_usec = 10000;
    r = select(maxfd, &rf, NULL, NULL, &tv);
    printf("select empty pipe, 10ms timeout: returned %d, remaining timeout zero: %s\n", r,
           yesno(tv.tv_sec == 0 && tv.tv_usec == 0));

    CHECK(write(p[1], "s", 1) == 1, "write s");
    FD_ZERO(&rf);
    FD_ZERO(&wf);
    FD_SET(p[0], &rf);
    FD_SET(p[1], &wf);
    tv.tv_sec = 1; tv.tv_usec = 0;
    r = select(maxfd, &rf, &wf, NULL, &tv);
    printf("select after write: returned %d, read end readable: %s, write end writable: %s\n",
           r, yesno(FD_ISSET(p[0], &rf)), yesno(FD_ISSET(p[1], &wf)));

    close(p[1]);
    {
        char c;
        CHECK(read(p[0], &c, 1) == 1, "read s");
    }
    FD_ZERO(&rf);
    FD_SET(p[0], &rf);
    tv.tv_sec = 1; tv.tv_usec = 0;
    r = select(p[0] + 1, &rf, NULL, NULL, &tv);
    printf("select after writer closed: returned %d, readable (EOF): %s\n", r,
           yesno(FD_ISSET(p[0], &rf)));
    close(p[0]);

    FD_ZERO(&rf);
    FD_SET(p[0], &rf);
    tv.tv_sec = 0; tv.tv_usec = 0;
    CHECK_ERR(select(p[0] + 1, &rf, NULL, NULL, &tv), EBADF);
    printf("select on closed fd: EBADF\n");
}

static void test_dup2_filter(void)
{
    int in[2], out[2];
    pid_t pid;
    char buf[64];
    ssize_t n;
    const char *msg = "hello, pipes\n";

    CHECK_SYS(pipe(in));
    CHECK_SYS(pipe(out));
    pid = t_fork();
    if (pid == 0) {
        char b[16];
        if (dup2(in[0], 0) != 0 || dup2(out[1], 1) != 1)
            _exit(100);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]);
        for (;;) {
            ssize_t r = read(0, b, sizeof b), i;
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            for (i = 0; i < r; i++)
                b[i] = (char)toupper((unsigned char)b[i]);
            if (t_write_full(1, b, (size_t)r) != r)
                _exit(101);
        }
        _exit(0);
    }
    close(in[0]);
    close(out[1]);
    CHECK(t_write_full(in[1], msg, strlen(msg)) == (ssize_t)strlen(msg), "filter write");
    close(in[1]);
    n = t_read_full(out[0], buf, sizeof buf - 1);
    CHECK(n >= 0, "filter read");
    buf[n] = 0;
    close(out[0]);
    t_wait_ok(pid, "dup2 filter");
    printf("dup2 stdin/stdout child filter output: %s", buf);
}

/* Several writers, 64-byte records (< PIPE_BUF) must never interleave. */
static void test_atomic_writers(void)
{
    enum { WRITERS = 4, RECS = 500, RL = 64 };
    int p[2], w, counts[WRITERS] = { 0 };
    pid_t pids[WRITERS];
    static unsigned char stream[WRITERS * RECS * RL];
    ssize_t n;
    size_t i;
    int bad = 0;

    CHECK_SYS(pipe(p));
    for (w = 0; w < WRITERS; w++) {
        pids[w] = t_fork();
        if (pids[w] == 0) {
            unsigned char rec[RL];
            int k;
            close(p[0]);
            for (k = 0; k < RECS; k++) {
                memset(rec, 'A' + w, RL);
                rec[1] = (unsigned char)(k & 0xff);
                rec[2] = (unsigned char)(k >> 8);
                if (write(p[1], rec, RL) != RL)
                    _exit(100);
            }
            _exit(0);
        }
    }
    close(p[1]);
    n = t_read_full(p[0], stream, sizeof stream);
    close(p[0]);
    for (w = 0; w < WRITERS; w++)
        t_wait_ok(pids[w], "atomic writer");
    CHECK(n == (ssize_t)sizeof stream, "atomic stream short: %ld", (long)n);
    {
        int next[WRITERS] = { 0 };
        for (i = 0; i < sizeof stream; i += RL) {
            int who = stream[i] - 'A', k, j;
            if (who < 0 || who >= WRITERS) { bad++; continue; }
            k = stream[i + 1] | (stream[i + 2] << 8);
            if (k != next[who]) bad++;
            next[who] = k + 1;
            for (j = 3; j < RL; j++)
                if (stream[i + j] != stream[i]) { bad++; break; }
            counts[who]++;
        }
    }
    printf("%d writers x %d records of %d bytes: all intact and in order per writer: %s\n",
           WRITERS, RECS, RL, yesno(bad == 0 && counts[0] == RECS && counts[1] == RECS &&
                                    counts[2] == RECS && counts[3] == RECS));
}

static void test_fifo(void)
{
    char path[512], buf[32];
    struct stat sb;
    pid_t pid;
    int fd;
    ssize_t n;

    t_mktmpdir();
    snprintf(path, sizeof path, "%s/fifo", t_tmpdir);
    CHECK_SYS(mkfifo(path, 0600));
    CHECK_SYS(stat(path, &sb));
    printf("mkfifo: S_ISFIFO: %s\n", yesno(S_ISFIFO(sb.st_mode)));
    pid = t_fork();
    if (pid == 0) {
        int w = open(path, O_WRONLY);   /* blocks until the reader opens */
        if (w < 0)
            _exit(100);
        if (write(w, "through the fifo", 16) != 16)
            _exit(101);
        _exit(0);
    }
    fd = open(path, O_RDONLY);
    CHECK_SYS(fd);
    n = t_read_full(fd, buf, sizeof buf - 1);
    CHECK(n >= 0, "fifo read");
    buf[n] = 0;
    close(fd);
    t_wait_ok(pid, "fifo writer");
    printf("fifo read: \"%s\", then EOF\n", buf);

    fd = open(path, O_WRONLY | O_NONBLOCK);
    CHECK(fd < 0 && errno == ENXIO, "open fifo O_WRONLY|O_NONBLOCK without reader: %s",
          errname(errno));
    printf("open fifo O_WRONLY|O_NONBLOCK without reader: ENXIO\n");
    fd = open(path, O_RDONLY | O_NONBLOCK);
    CHECK_SYS(fd);
    CHECK(read(fd, buf, 1) == 0, "nonblocking fifo read without writer should be EOF");
    printf("open fifo O_RDONLY|O_NONBLOCK without writer: ok, read returns 0\n");
    close(fd);
    t_cleanup();
}

int main(void)
{
    t_init("pipes");
    test_bulk();
    test_eof_and_flags();
    test_epipe();
    test_nonblock();
    test_poll();
    test_select();
    test_dup2_filter();
    test_atomic_writers();
    test_fifo();
    t_done();
    return 0;
}
