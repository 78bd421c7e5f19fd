/*
 * opath.c - O_PATH descriptors: on a symlink itself (O_NOFOLLOW), a fifo (no waiting), a
 * directory and a file; what works through them (fstat, fchdir, *at() bases, AT_EMPTY_PATH,
 * readlinkat "", /proc/self/fd, dup, close_range) and what gives EBADF as on Linux.
 */
#include "testutil.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

static const char *kind(mode_t m)
{
    return S_ISLNK(m) ? "symlink" : S_ISDIR(m) ? "directory" : S_ISFIFO(m) ? "fifo" : S_ISREG(m) ? "regular" : "other";
}

int main(void)
{
    t_init("opath");
    const char *dir = t_mktmpdir();
    char path[512], buf[256];
    struct stat st;
    CHECK_SYS(chdir(dir));
    int f = open("f", O_CREAT | O_WRONLY, 0640);
    CHECK_SYS(f);
    CHECK_SYS(write(f, "data", 4));
    close(f);
    CHECK_SYS(mkdir("d", 0750));
    CHECK_SYS(symlink("f", "l"));
    CHECK_SYS(symlink("nowhere", "dangling"));
    CHECK_SYS(mkfifo("p", 0600));

    /* The link itself (what tar's extraction does), creation and access flags ignored. */
    int l = open("l", O_PATH | O_NOFOLLOW | O_CREAT | O_WRONLY | O_TRUNC);
    CHECK_SYS(l);
    CHECK_SYS(fstat(l, &st));
    printf("O_PATH|O_NOFOLLOW on a symlink: %s, F_GETFL == O_PATH|O_NOFOLLOW: %s\n", kind(st.st_mode),
           fcntl(l, F_GETFL) == (O_PATH | O_NOFOLLOW) ? "yes" : "no");
    ssize_t n = readlinkat(l, "", buf, sizeof buf);
    printf("readlinkat(fd, \"\"): %s %.*s\n", t_result(n), n > 0 ? (int)n : 0, buf);
    printf("readlinkat(AT_FDCWD, \"\"): %s\n", t_result(readlinkat(AT_FDCWD, "", buf, sizeof buf)));
    CHECK_SYS(fstatat(l, "", &st, AT_EMPTY_PATH));
    printf("fstatat AT_EMPTY_PATH: %s\n", kind(st.st_mode));
    snprintf(path, sizeof path, "/proc/self/fd/%d", l);
    n = readlink(path, buf, sizeof buf);
    CHECK_SYS(n);
    buf[n] = 0;
    printf("/proc/self/fd link ends in /l: %s\n", n > 2 && strcmp(buf + n - 2, "/l") == 0 ? "yes" : "no");

    /* Calls that use the file refuse it. */
    printf("read %s write %s lseek %s fsync %s\n", t_result(read(l, buf, 1)), t_result(write(l, "x", 1)),
           t_result(lseek(l, 0, SEEK_SET)), t_result(fsync(l)));
    int nread = 0;
    printf("ioctl FIONREAD %s fchmod %s fchown %s\n", t_result(ioctl(l, FIONREAD, &nread)), t_result(fchmod(l, 0600)),
           t_result(fchown(l, -1, -1)));
    printf("fgetxattr %s fsetxattr %s flistxattr %s\n", t_result(fgetxattr(l, "user.x", buf, sizeof buf)),
           t_result(fsetxattr(l, "user.x", "v", 1, 0)), t_result(flistxattr(l, buf, sizeof buf)));
    printf("fcntl F_SETFL %s F_GETLK %s F_GETFD %s\n", t_result(fcntl(l, F_SETFL, O_NONBLOCK)),
           t_result(fcntl(l, F_GETLK, &(struct flock){ .l_type = F_RDLCK })), t_result(fcntl(l, F_GETFD)));
    printf("utimensat(fd, NULL) %s\n", t_result(syscall(SYS_utimensat, l, NULL, NULL, 0)));
    struct pollfd pfd = { .fd = l, .events = POLLIN };
    CHECK_SYS(poll(&pfd, 1, 0));
    printf("poll revents POLLNVAL: %s\n", pfd.revents == POLLNVAL ? "yes" : "no");
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN };
    printf("epoll_ctl ADD %s\n", t_result(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev)));
    close(ep);

    /* Descriptor operations work. */
    int d2 = dup(l);
    CHECK_SYS(d2);
    CHECK_SYS(fstat(d2, &st));
    printf("dup: %s, F_DUPFD_CLOEXEC %s\n", kind(st.st_mode), fcntl(l, F_DUPFD_CLOEXEC, 50) >= 50 ? "ok" : "failed");
    CHECK_SYS(syscall(SYS_close_range, 50, 60, 0));
    printf("fd 50 after close_range: %s\n", t_result(fcntl(50, F_GETFD)));
    close(d2);
    close(l);

    /* Without O_NOFOLLOW the link is followed; a dangling one is ENOENT. */
    l = open("l", O_PATH);
    CHECK_SYS(fstat(l, &st));
    printf("O_PATH on a symlink: %s of size %lld\n", kind(st.st_mode), (long long)st.st_size);
    printf("O_PATH on a dangling symlink: %s\n", t_result(open("dangling", O_PATH)));
    printf("O_PATH|O_CREAT of a missing file: %s\n", t_result(open("missing", O_PATH | O_CREAT, 0600)));
    printf("O_PATH|O_DIRECTORY on a file: %s\n", t_result(open("f", O_PATH | O_DIRECTORY)));
    close(l);

    /* A fifo opens without a partner. */
    int p = open("p", O_PATH);
    CHECK_SYS(p);
    CHECK_SYS(fstat(p, &st));
    printf("O_PATH on a fifo: %s\n", kind(st.st_mode));
    close(p);

    /* A directory: an *at() base, AT_EMPTY_PATH, fchdir, fstatfs; getdents refuses it. */
    int d = open("d", O_PATH | O_DIRECTORY);
    CHECK_SYS(d);
    int g = openat(d, "g", O_CREAT | O_WRONLY, 0600);
    printf("openat(O_PATH dir, \"g\", O_CREAT): %s\n", g >= 0 ? "ok" : errname(errno));
    close(g);
    CHECK_SYS(fstatat(d, "g", &st, 0));
    printf("fstatat(O_PATH dir, \"g\"): %s\n", kind(st.st_mode));
    printf("fchownat AT_EMPTY_PATH %s faccessat AT_EMPTY_PATH %s fchmodat \"\" %s\n",
           t_result(fchownat(d, "", -1, -1, AT_EMPTY_PATH)), t_result(faccessat(d, "", R_OK, AT_EMPTY_PATH)),
           t_result(fchmodat(d, "", 0700, 0)));
    printf("getdents64 %s\n", t_result(syscall(SYS_getdents64, d, buf, sizeof buf)));
    int ff = open("f", O_PATH);
    printf("linkat(O_PATH file, \"\", AT_EMPTY_PATH) %s\n", t_result(linkat(ff, "", d, "hard", AT_EMPTY_PATH)));
    CHECK_SYS(stat("d/hard", &st));
    printf("the hard link: %s, %d links, size %lld\n", kind(st.st_mode), (int)st.st_nlink, (long long)st.st_size);
    printf("mmap of an O_PATH file %s\n", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, ff, 0) == MAP_FAILED ? errname(errno) : "mapped");
    close(ff);
    CHECK_SYS(fchdir(d));
    CHECK_SYS(stat("g", &st));
    printf("fchdir(O_PATH dir): g is %s\n", kind(st.st_mode));
    CHECK_SYS(chdir(".."));
    close(d);
    t_done();
}
