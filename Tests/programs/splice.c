/* splice.c - in-kernel copies and a file's storage, as Linux gives them: splice between pipes,
 * files and sockets (positions, partial moves, EOF, EAGAIN, ESPIPE/EINVAL/EBADF), tee, vmsplice
 * both ways, copy_file_range (positions, the source's end, overlap), fallocate's modes and
 * errors, readahead, sync_file_range, syncfs; renameat2's RENAME_NOREPLACE on the name itself;
 * mkdir of "./"; the clock's administration (adjtimex's read-only query, and the checks that
 * come before a change is refused — no call here may change the host's clock when run natively
 * as root). Only behaviour that is the same on every file system is printed. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <time.h>

static void fill(int fd, const char *s)
{
    CHECK(t_write_full(fd, s, strlen(s)) == (ssize_t)strlen(s), "write %s", s);
}

static const char *drain(int fd)
{
    static char buf[256];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0) return errname(errno);
    buf[n] = 0;
    return buf;
}

static int tmpfile_with(const char *dir, const char *name, const char *content)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK_SYS(fd);
    if (content) fill(fd, content);
    return fd;
}

static void splices(const char *dir)
{
    int p[2], q[2];
    CHECK_SYS(pipe(p));
    CHECK_SYS(pipe(q));
    int f = tmpfile_with(dir, "src", "0123456789abcdef");

    /* file -> pipe at a position the guest keeps: the file's own offset does not move. */
    loff_t off = 4;
    const char *res = t_result(splice(f, &off, p[1], NULL, 6, 0));
    printf("file->pipe: %s off=%lld pos=%lld\n", res, (long long)off, (long long)lseek(f, 0, SEEK_CUR));
    /* pipe -> pipe, then tee keeps the bytes in the first pipe. */
    printf("tee: %s\n", t_result(tee(p[0], q[1], 100, 0)));
    printf("pipe->pipe: %s\n", t_result(splice(p[0], NULL, q[1], NULL, 3, 0)));
    printf("q holds: %s\n", drain(q[0]));
    printf("p holds: %s\n", drain(p[0]));

    /* pipe -> file at the file's offset (it moves). */
    int g = tmpfile_with(dir, "dst", "");
    fill(p[1], "hello");
    res = t_result(splice(p[0], NULL, g, NULL, 100, 0));
    printf("pipe->file: %s pos=%lld\n", res, (long long)lseek(g, 0, SEEK_CUR));
    /* An empty pipe with no writer is the end; with a writer and SPLICE_F_NONBLOCK, EAGAIN. */
    printf("empty nonblock: %s\n", t_result(splice(p[0], NULL, g, NULL, 10, SPLICE_F_NONBLOCK)));
    /* From a file at its end: 0. */
    off = 16;
    printf("file at end: %s\n", t_result(splice(f, &off, p[1], NULL, 10, 0)));

    /* Errors. */
    printf("no pipe: %s\n", t_result(splice(f, NULL, g, NULL, 10, 0)));
    printf("offset on pipe: %s\n", t_result(splice(p[0], &off, g, NULL, 10, 0)));
    printf("same pipe: %s\n", t_result(splice(p[0], NULL, p[1], NULL, 10, 0)));
    printf("bad flags: %s\n", t_result(splice(f, NULL, p[1], NULL, 10, 0x100)));
    printf("write end as input: %s\n", t_result(splice(p[1], NULL, g, NULL, 10, 0)));
    off = -1;
    printf("negative offset: %s\n", t_result(splice(f, &off, p[1], NULL, 10, 0)));
    printf("bad offset pointer: %s\n", t_result(splice(f, (loff_t *)8, p[1], NULL, 10, 0)));
    printf("zero length: %s\n", t_result(splice(f, NULL, p[1], NULL, 0, 0)));
    int a = open("/dev/null", O_WRONLY);
    printf("tee not pipes: %s %s\n", t_result(tee(f, p[1], 10, 0)), t_result(tee(p[0], a, 10, 0)));
    printf("tee empty nonblock: %s\n", t_result(tee(p[0], q[1], 10, SPLICE_F_NONBLOCK)));

    /* A pipe full: splice into it with SPLICE_F_NONBLOCK is EAGAIN. */
    int r[2];
    CHECK_SYS(pipe(r));
    CHECK_SYS(fcntl(r[1], F_SETFL, O_NONBLOCK));
    static char big[65536];
    memset(big, 'x', sizeof big);
    ssize_t filled = 0, n;
    while ((n = write(r[1], big, sizeof big)) > 0) filled += n;
    printf("filled %zd; into a full pipe: %s\n", filled, t_result(splice(f, NULL, r[1], NULL, 10, SPLICE_F_NONBLOCK)));
    close(r[0]);
    /* No reader: EPIPE (SIGPIPE ignored here). */
    signal(SIGPIPE, SIG_IGN);
    printf("no reader: %s\n", t_result(splice(f, NULL, r[1], NULL, 10, 0)));
    signal(SIGPIPE, SIG_DFL);
    close(r[1]);

    /* Through a socket: pipe -> socket -> pipe. */
    int sv[2];
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    fill(p[1], "via socket");
    printf("pipe->socket: %s\n", t_result(splice(p[0], NULL, sv[0], NULL, 100, 0)));
    printf("socket->pipe: %s\n", t_result(splice(sv[1], NULL, q[1], NULL, 100, 0)));
    printf("q holds: %s\n", drain(q[0]));
    CHECK_SYS(fcntl(sv[1], F_SETFL, O_NONBLOCK));
    printf("socket empty: %s\n", t_result(splice(sv[1], NULL, q[1], NULL, 100, 0)));

    /* A blocked splice wakes when a writer arrives. */
    pid_t child = t_fork();
    if (child == 0) {
        usleep(20000);
        fill(p[1], "late");
        _exit(0);
    }
    printf("waited: %s\n", t_result(splice(p[0], NULL, q[1], NULL, 100, 0)));
    t_wait_ok(child, "writer");
    printf("q holds: %s\n", drain(q[0]));

    /* vmsplice: into a pipe from guest memory, and out of it into guest memory. */
    char one[] = "vm", two[] = "splice";
    struct iovec iov[2] = {{one, 2}, {two, 6}};
    printf("vmsplice in: %s\n", t_result(vmsplice(p[1], iov, 2, 0)));
    char o1[3] = {0}, o2[6] = {0};
    struct iovec out[2] = {{o1, 2}, {o2, 5}};
    printf("vmsplice out: %s %s %s\n", t_result(vmsplice(p[0], out, 2, 0)), o1, o2);
    printf("vmsplice not a pipe: %s\n", t_result(vmsplice(f, iov, 2, 0)));
    printf("vmsplice empty nonblock: %s\n", t_result(vmsplice(p[0], out, 2, SPLICE_F_NONBLOCK)));
    close(p[0]); close(p[1]); close(q[0]); close(q[1]); close(sv[0]); close(sv[1]); close(a);
    close(f); close(g);
}

static void copies(const char *dir)
{
    int f = tmpfile_with(dir, "c1", "The quick brown fox");
    int g = tmpfile_with(dir, "c2", "");
    loff_t in = 4, out = 2;
    const char *r = t_result(copy_file_range(f, &in, g, &out, 11, 0));
    printf("copy: %s in=%lld out=%lld pos=%lld\n", r, (long long)in, (long long)out, (long long)lseek(f, 0, SEEK_CUR));
    char buf[64] = {0};
    printf("read back: %zd [%s]\n", pread(g, buf, sizeof buf, 2), buf);
    /* File offsets when no positions are given; the copy stops at the source's end. */
    CHECK_SYS(lseek(f, 10, SEEK_SET));
    CHECK_SYS(lseek(g, 0, SEEK_SET));
    r = t_result(copy_file_range(f, NULL, g, NULL, 1000, 0));
    printf("copy to end: %s f=%lld g=%lld\n", r, (long long)lseek(f, 0, SEEK_CUR), (long long)lseek(g, 0, SEEK_CUR));
    in = 100;
    printf("past the end: %s\n", t_result(copy_file_range(f, &in, g, NULL, 10, 0)));
    in = 0; out = 5;
    printf("overlap: %s\n", t_result(copy_file_range(f, &in, f, &out, 10, 0)));
    in = 0; out = 10;
    printf("same file apart: %s\n", t_result(copy_file_range(f, &in, f, &out, 5, 0)));
    printf("flags: %s\n", t_result(copy_file_range(f, NULL, g, NULL, 5, 1)));
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    printf("directory: %s\n", t_result(copy_file_range(d, NULL, g, NULL, 5, 0)));
    int ro = open("/dev/null", O_RDONLY);
    printf("not regular: %s\n", t_result(copy_file_range(ro, NULL, g, NULL, 5, 0)));
    int gr = tmpfile_with(dir, "c3", "x");
    int grr = openat(d, "c3", O_RDONLY);
    printf("read-only target: %s\n", t_result(copy_file_range(f, NULL, grr, NULL, 5, 0)));
    int ap = openat(d, "c3", O_WRONLY | O_APPEND);
    printf("append target: %s\n", t_result(copy_file_range(f, NULL, ap, NULL, 5, 0)));
    in = -1;
    printf("negative: %s\n", t_result(copy_file_range(f, &in, g, NULL, 5, 0)));
    printf("bad fd: %s\n", t_result(copy_file_range(-1, NULL, g, NULL, 5, 0)));
    close(f); close(g); close(d); close(ro); close(gr); close(grr); close(ap);
}

static void storage(const char *dir)
{
    int f = tmpfile_with(dir, "s1", "abcdef");
    struct stat st;
    printf("fallocate extend: %s", t_result(fallocate(f, 0, 4, 8)));
    fstat(f, &st);
    printf(" size=%lld\n", (long long)st.st_size);
    printf("fallocate keep size: %s", t_result(fallocate(f, FALLOC_FL_KEEP_SIZE, 0, 100)));
    fstat(f, &st);
    printf(" size=%lld\n", (long long)st.st_size);
    printf("punch: %s", t_result(fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1, 2)));
    char buf[8] = {0};
    pread(f, buf, 6, 0);
    fstat(f, &st);
    printf(" size=%lld bytes=%c%d%d%c%c%c\n", (long long)st.st_size, buf[0], buf[1], buf[2], buf[3], buf[4], buf[5]);
    printf("punch without keep: %s\n", t_result(fallocate(f, FALLOC_FL_PUNCH_HOLE, 0, 1)));
    printf("zero length: %s\n", t_result(fallocate(f, 0, 0, 0)));
    printf("negative offset: %s\n", t_result(fallocate(f, 0, -1, 1)));
    printf("unknown mode: %s\n", t_result(fallocate(f, 0x100, 0, 1)));
    printf("past 2^63: %s\n", t_result(fallocate(f, 0, 0x7fffffffffffff00LL, 0x1000)));
    int ro = openat(AT_FDCWD, dir, O_RDONLY);
    char path[512];
    snprintf(path, sizeof path, "%s/s1", dir);
    int r = open(path, O_RDONLY);
    printf("read-only: %s\n", t_result(fallocate(r, 0, 0, 1)));
    int p[2];
    CHECK_SYS(pipe(p));
    printf("pipe: %s\n", t_result(fallocate(p[1], 0, 0, 1)));
    int null = open("/dev/null", O_WRONLY);
    printf("device: %s\n", t_result(fallocate(null, 0, 0, 1)));

    printf("readahead: %s %s %s\n", t_result(readahead(f, 0, 4096)), t_result(readahead(p[0], 0, 10)),
           t_result(readahead(-1, 0, 10)));
    printf("sync_file_range: %s %s %s %s\n", t_result(sync_file_range(f, 0, 0, SYNC_FILE_RANGE_WRITE)),
           t_result(sync_file_range(f, 0, 0, 0x100)), t_result(sync_file_range(f, -1, 0, 0)),
           t_result(sync_file_range(p[0], 0, 0, 0)));
    printf("syncfs: %s %s\n", t_result(syncfs(f)), t_result(syncfs(4097)));
    close(f); close(ro); close(r); close(p[0]); close(p[1]); close(null);
}

static void names(const char *dir)
{
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/n1", dir);
    snprintf(b, sizeof b, "%s/n2", dir);
    close(open(a, O_CREAT | O_WRONLY, 0644));
    printf("noreplace onto itself: %s\n", t_result(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, a, 1)));
    printf("exchange with nothing: %s\n", t_result(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2)));
    printf("exchange onto itself: %s\n", t_result(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, a, 2)));
    printf("both flags: %s\n", t_result(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 3)));
    printf("noreplace: %s\n", t_result(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 1)));
    CHECK_SYS(chdir(dir));
    printf("mkdir ./: %s, .: %s, ..: %s\n", t_result(mkdir("./", 0755)), t_result(mkdir(".", 0755)), t_result(mkdir("..", 0755)));
    printf("rename .: %s\n", t_result(rename(".", "x")));
}

static void clock_admin(void)
{
    struct timex tx = {0};
    struct timeval now;
    int r = adjtimex(&tx);
    gettimeofday(&now, NULL);
    long skew = (long)(now.tv_sec - tx.time.tv_sec);
    printf("adjtimex read: %s, time within 2s: %s, tick %s\n", r >= 0 ? "ok" : errname(errno),
           yesno(skew >= 0 && skew <= 2), yesno(tx.tick > 0));
    /* The raw calls below: 32-bit glibc converts a struct timex in user space. */
    printf("adjtimex bad pointer: %s\n", t_result(syscall(SYS_adjtimex, 8)));
    struct timex bad = {.modes = 0x8000};  /* ADJ_ADJTIME without ADJ_OFFSET_SINGLESHOT */
    printf("adjtimex adjtime alone: %s\n", t_result(syscall(SYS_adjtimex, &bad)));
    struct timeval invalid = {.tv_sec = 0, .tv_usec = 2000000};
    /* The raw call: glibc's wrapper reads the timeval itself. */
    printf("settimeofday invalid: %s\n", t_result(syscall(SYS_settimeofday, &invalid, NULL)));
    printf("settimeofday bad pointer: %s\n", t_result(syscall(SYS_settimeofday, 8, NULL)));
    struct timespec ts = {0, 0};
    printf("clock_settime monotonic: %s\n", t_result(clock_settime(CLOCK_MONOTONIC, &ts)));
    struct timespec bad_ts = {.tv_sec = 1, .tv_nsec = 2000000000};
    printf("clock_settime invalid: %s\n", t_result(clock_settime(CLOCK_REALTIME, &bad_ts)));
    printf("clock_adjtime monotonic: %s\n", t_result(syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, &tx)));
    printf("clock_adjtime unknown: %s\n", t_result(syscall(SYS_clock_adjtime, 99, &tx)));
}

int main(void)
{
    t_init("splice");
    const char *dir = t_mktmpdir();
    splices(dir);
    copies(dir);
    storage(dir);
    names(dir);
    clock_admin();
    t_done();
    return 0;
}
