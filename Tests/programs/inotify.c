/*
 * inotify.c - inotify on the temp directory: init flags, add/rm watch and their errors, the
 * events a directory watch sees for the program's own changes (create, open, modify, close,
 * attrib, moves with one cookie, delete, directories with IN_ISDIR), self events on a file
 * watch (IN_ATTRIB, IN_DELETE_SELF, IN_IGNORED), IN_ONESHOT, IN_MASK_ADD/IN_MASK_CREATE,
 * the packed read format (names padded to 16), FIONREAD, poll/epoll readiness, EINVAL for a
 * buffer smaller than the first event, EAGAIN, and the queue limit (IN_Q_OVERFLOW).
 */
#include "testutil.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

static const struct { uint32_t bit; const char *name; } bits[] = {
    { IN_ACCESS, "ACCESS" }, { IN_MODIFY, "MODIFY" }, { IN_ATTRIB, "ATTRIB" }, { IN_CLOSE_WRITE, "CLOSE_WRITE" },
    { IN_CLOSE_NOWRITE, "CLOSE_NOWRITE" }, { IN_OPEN, "OPEN" }, { IN_MOVED_FROM, "MOVED_FROM" },
    { IN_MOVED_TO, "MOVED_TO" }, { IN_CREATE, "CREATE" }, { IN_DELETE, "DELETE" }, { IN_DELETE_SELF, "DELETE_SELF" },
    { IN_MOVE_SELF, "MOVE_SELF" }, { IN_Q_OVERFLOW, "Q_OVERFLOW" }, { IN_IGNORED, "IGNORED" }, { IN_ISDIR, "ISDIR" },
};

static int wd_dir, wd_file;
static uint32_t last_cookie;

/* Reads and prints every queued event: the watch (by role), the mask, the name, the padded
 * length, and whether a move's cookie pairs with the one before. */
static void drain(int fd, const char *what)
{
    char buf[8192] __attribute__((aligned(8)));
    printf("-- %s\n", what);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EAGAIN)
            return;
        CHECK_SYS(n);
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            printf("%s", e->wd == wd_dir ? "dir" : e->wd == wd_file ? "file" : e->wd == -1 ? "-" : "other");
            const char *sep = " ";
            for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
                if (e->mask & bits[i].bit) { printf("%s%s", sep, bits[i].name); sep = "|"; }
            if (e->len) printf(" %s (len %u)", e->name, e->len);
            if (e->mask & IN_MOVED_FROM) last_cookie = e->cookie;
            if (e->mask & IN_MOVED_TO) printf(" cookie %s", e->cookie == last_cookie && e->cookie ? "pairs" : "differs");
            printf("\n");
            p += sizeof *e + e->len;
        }
    }
}

/* dnotify (fcntl F_NOTIFY): the F_SETSIG signal with si_fd for each event of a directory's
 * entries; one-shot unless DN_MULTISHOT; ENOTDIR on a file; 0 removes the mark. */
static volatile sig_atomic_t dn_count, dn_fd;
static void dn_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    dn_count++;
    dn_fd = si->si_fd;
}

static void dnotify(const char *dir)
{
    printf("-- dnotify\n");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = dn_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    CHECK_SYS(sigaction(SIGRTMIN + 2, &sa, NULL));
    char sub[600], path[700];
    snprintf(sub, sizeof sub, "%s/dn", dir);
    CHECK_SYS(mkdir(sub, 0755));
    int d = open(sub, O_RDONLY | O_DIRECTORY);
    CHECK_SYS(d);
    CHECK_SYS(fcntl(d, F_SETSIG, SIGRTMIN + 2));
    printf("F_NOTIFY DN_CREATE|DN_MULTISHOT: %s\n", t_result(fcntl(d, F_NOTIFY, DN_CREATE | DN_MULTISHOT)));
    printf("owner is the caller: %s\n", yesno(fcntl(d, F_GETOWN) == getpid()));
    snprintf(path, sizeof path, "%s/a", sub);
    int f = open(path, O_CREAT | O_WRONLY, 0644);
    CHECK_SYS(f);
    printf("create: signals %d, si_fd is the directory's descriptor: %s\n", (int)dn_count, yesno(dn_fd == d));
    CHECK_SYS(write(f, "x", 1));
    printf("a write (DN_MODIFY not asked): signals %d\n", (int)dn_count);
    snprintf(path, sizeof path, "%s/b", sub);
    close(open(path, O_CREAT | O_WRONLY, 0644));
    printf("second create (multishot): signals %d\n", (int)dn_count);
    /* DN_MODIFY added to the mark: the bits add up, DN_MULTISHOT included. */
    printf("F_NOTIFY DN_MODIFY: %s\n", t_result(fcntl(d, F_NOTIFY, DN_MODIFY)));
    CHECK_SYS(write(f, "y", 1));
    CHECK_SYS(write(f, "z", 1));
    printf("two writes after adding DN_MODIFY: signals %d\n", (int)dn_count);
    snprintf(path, sizeof path, "%s/c", sub);
    close(open(path, O_CREAT | O_WRONLY, 0644));
    printf("a create: signals %d\n", (int)dn_count);
    printf("F_NOTIFY 0 removes: %s\n", t_result(fcntl(d, F_NOTIFY, 0)));
    CHECK_SYS(unlink(path));
    printf("after removal: signals %d\n", (int)dn_count);
    /* One-shot: a second description of the directory asks DN_DELETE alone. */
    int d2 = open(sub, O_RDONLY | O_DIRECTORY);
    CHECK_SYS(d2);
    CHECK_SYS(fcntl(d2, F_SETSIG, SIGRTMIN + 2));
    CHECK_SYS(fcntl(d2, F_NOTIFY, DN_DELETE));
    snprintf(path, sizeof path, "%s/a", sub);
    CHECK_SYS(unlink(path));
    printf("one-shot DN_DELETE: first delete: signals %d, si_fd the second descriptor: %s\n", (int)dn_count, yesno(dn_fd == d2));
    snprintf(path, sizeof path, "%s/b", sub);
    CHECK_SYS(unlink(path));
    printf("second delete: signals %d\n", (int)dn_count);
    close(d2);
    printf("F_NOTIFY on a file: %s\n", t_result(fcntl(f, F_NOTIFY, DN_MODIFY)));
    close(f);
    close(d);
}

int main(void)
{
    t_init("inotify");
    const char *dir = t_mktmpdir();
    char path[512];
    CHECK_SYS(chdir(dir));

    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK_SYS(in);
    printf("IN_CLOEXEC: %s IN_NONBLOCK: %s\n", fcntl(in, F_GETFD) & FD_CLOEXEC ? "yes" : "no",
           fcntl(in, F_GETFL) & O_NONBLOCK ? "yes" : "no");
    char small[8];
    printf("empty read: %s\n", t_result(read(in, small, sizeof small)));
    printf("bad flags: %s\n", t_result(inotify_init1(0x4)));

    wd_dir = inotify_add_watch(in, dir, IN_ALL_EVENTS);
    CHECK_SYS(wd_dir);
    printf("same path again gives the same wd: %s\n", inotify_add_watch(in, dir, IN_ALL_EVENTS) == wd_dir ? "yes" : "no");
    printf("IN_MASK_CREATE on a watched path: %s\n", t_result(inotify_add_watch(in, dir, IN_CREATE | IN_MASK_CREATE)));
    printf("IN_MASK_ADD|IN_MASK_CREATE: %s\n", t_result(inotify_add_watch(in, dir, IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE)));
    printf("no event bits: %s\n", t_result(inotify_add_watch(in, dir, 0)));
    printf("bad descriptor: %s\n", t_result(inotify_add_watch(999, dir, IN_CREATE)));
    printf("not an inotify descriptor: %s\n", t_result(inotify_add_watch(1, dir, IN_CREATE)));
    printf("missing path: %s\n", t_result(inotify_add_watch(in, "missing", IN_CREATE)));
    printf("bad path pointer: %s\n", t_result(inotify_add_watch(in, (const char *)8, IN_CREATE)));
    printf("rm_watch of no watch: %s %s\n", t_result(inotify_rm_watch(in, 12345)), t_result(inotify_rm_watch(in, -1)));

    /* A directory watch sees the program's changes, with names. */
    int fd = open("a", O_CREAT | O_WRONLY, 0644);
    CHECK_SYS(fd);
    CHECK_SYS(write(fd, "hello", 5));
    CHECK_SYS(write(fd, "hello", 5));   /* merged with the first MODIFY */
    close(fd);
    CHECK_SYS(chmod("a", 0600));
    fd = open("a", O_RDONLY);
    char c[5];
    CHECK_SYS(read(fd, c, 5));
    close(fd);
    CHECK_SYS(rename("a", "a-sixteen-chars"));
    CHECK_SYS(truncate("a-sixteen-chars", 2));
    CHECK_SYS(mkdir("sub", 0755));
    CHECK_SYS(rmdir("sub"));
    CHECK_SYS(symlink("a", "link"));
    CHECK_SYS(link("a-sixteen-chars", "hard"));
    CHECK_SYS(unlink("link"));
    int pending = 0;
    CHECK_SYS(ioctl(in, FIONREAD, &pending));
    printf("FIONREAD > 0: %s\n", pending > 0 ? "yes" : "no");
    struct pollfd pfd = { .fd = in, .events = POLLIN };
    printf("poll: %s\n", t_result(poll(&pfd, 1, 0)));
    printf("revents POLLIN: %s\n", pfd.revents & POLLIN ? "yes" : "no");
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN }, got;
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, in, &ev));
    printf("epoll_wait: %s\n", t_result(epoll_wait(ep, &got, 1, 0)));
    printf("read into 8 bytes: %s\n", t_result(read(in, small, sizeof small)));
    drain(in, "directory watch");
    CHECK_SYS(ioctl(in, FIONREAD, &pending));
    printf("FIONREAD after reading: %d, epoll_wait: %s\n", pending, t_result(epoll_wait(ep, &got, 1, 0)));
    close(ep);

    /* A file watch: its own events, then its end. */
    snprintf(path, sizeof path, "%s/hard", dir);
    wd_file = inotify_add_watch(in, path, IN_ATTRIB | IN_MODIFY | IN_DELETE_SELF | IN_OPEN);
    CHECK_SYS(wd_file);
    printf("IN_ONLYDIR on a file: %s\n", t_result(inotify_add_watch(in, path, IN_ATTRIB | IN_ONLYDIR)));
    printf("IN_MASK_ADD keeps the wd: %s\n", inotify_add_watch(in, path, IN_CLOSE_WRITE | IN_MASK_ADD) == wd_file ? "yes" : "no");
    fd = open("hard", O_WRONLY | O_APPEND);
    CHECK_SYS(write(fd, "x", 1));
    close(fd);
    CHECK_SYS(unlink("a-sixteen-chars"));   /* one link of two: IN_ATTRIB */
    CHECK_SYS(unlink("hard"));              /* the last: IN_DELETE_SELF, IN_IGNORED */
    drain(in, "file watch");
    printf("rm_watch of an ended watch: %s\n", t_result(inotify_rm_watch(in, wd_file)));

    /* IN_ONESHOT: one event, then IN_IGNORED; rm_watch queues IN_IGNORED. */
    fd = open("one", O_CREAT | O_WRONLY, 0644);
    wd_file = inotify_add_watch(in, "one", IN_MODIFY | IN_ONESHOT);
    CHECK_SYS(write(fd, "1", 1));
    CHECK_SYS(write(fd, "22", 2));
    CHECK_SYS(pwrite(fd, "3", 1, 9));
    close(fd);
    drain(in, "oneshot");
    wd_file = inotify_add_watch(in, "one", IN_MODIFY);
    printf("rm_watch: %s\n", t_result(inotify_rm_watch(in, wd_file)));
    drain(in, "rm_watch");
    CHECK_SYS(inotify_rm_watch(in, wd_dir));
    drain(in, "rm_watch of the directory");

    /* The queue holds 16384 events; then one IN_Q_OVERFLOW stands for the rest. */
    int q = inotify_init1(IN_NONBLOCK);
    CHECK_SYS(inotify_add_watch(q, dir, IN_MODIFY));
    int f1 = open("x", O_CREAT | O_WRONLY, 0644), f2 = open("y", O_CREAT | O_WRONLY, 0644);
    for (int i = 0; i < 8200; i++) {
        CHECK_SYS(write(f1, "1", 1));
        CHECK_SYS(write(f2, "2", 1));
    }
    close(f1);
    close(f2);
    int events = 0, overflows = 0, last_overflow = 0;
    char buf[4096] __attribute__((aligned(8)));
    ssize_t n;
    while ((n = read(q, buf, sizeof buf)) > 0)
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            events++;
            if (e->mask & IN_Q_OVERFLOW) { overflows++; last_overflow = events; }
            p += sizeof *e + e->len;
        }
    printf("queued %d events, %d overflow, last: %s\n", events, overflows, last_overflow == events ? "yes" : "no");
    close(q);
    close(in);
    dnotify(dir);
    t_done();
}
