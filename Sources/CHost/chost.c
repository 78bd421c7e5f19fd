#define _GNU_SOURCE
#include "chost.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

_Static_assert(CH_O_PATH == O_PATH, "O_PATH");
_Static_assert(CH_SYS_getdents64 == SYS_getdents64, "getdents64");
_Static_assert(CH_SYS_getrandom == SYS_getrandom, "getrandom");
_Static_assert(sizeof(ch_x86_regs) == sizeof(struct user_regs_struct), "user_regs_struct layout");
_Static_assert(sizeof(ch_bpf_insn) == sizeof(struct sock_filter), "sock_filter layout");
_Static_assert(sizeof(ch_x86_fpregs) == sizeof(struct user_fpregs_struct), "user_fpregs_struct layout");

long ch_ptrace(long request, pid_t pid, uint64_t addr, uint64_t data) {
    return ptrace((enum __ptrace_request)request, pid, (void *)addr, (void *)data);
}

long ch_ptrace_getregs(pid_t pid, ch_x86_regs *regs) { return ptrace(PTRACE_GETREGS, pid, 0, regs); }
long ch_ptrace_setregs(pid_t pid, const ch_x86_regs *regs) { return ptrace(PTRACE_SETREGS, pid, 0, regs); }
long ch_ptrace_getfpregs(pid_t pid, ch_x86_fpregs *regs) { return ptrace(PTRACE_GETFPREGS, pid, 0, regs); }
long ch_ptrace_setfpregs(pid_t pid, const ch_x86_fpregs *regs) { return ptrace(PTRACE_SETFPREGS, pid, 0, regs); }

long ch_ptrace_peekuser(pid_t pid, uint64_t offset, uint64_t *value) {
    return syscall(SYS_ptrace, PTRACE_PEEKUSER, pid, (void *)offset, value);
}

uint64_t ch_debugreg_offset(int n) { return offsetof(struct user, u_debugreg) + (uint64_t)n * sizeof(unsigned long); }

long ch_ptrace_getsiginfo(pid_t pid, int *signo, int *code, uint64_t *addr) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    long r = ptrace(PTRACE_GETSIGINFO, pid, 0, &info);
    if (r < 0) return r;
    *signo = info.si_signo;
    *code = info.si_code;
    *addr = (uint64_t)(uintptr_t)info.si_addr;
    return 0;
}

static pid_t spawn(int exec_fd, long options, const ch_bpf_insn *filter, unsigned short length, int *listener) {
    int go[2];
    if (pipe2(go, O_CLOEXEC) < 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(go[0]);
        close(go[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        // Child of a multi-threaded process: async-signal-safe calls only from here on.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setpgid(0, 0);
        char byte;
        ssize_t n;
        do { n = read(go[0], &byte, 1); } while (n < 0 && errno == EINTR);
        if (n != 1) _exit(127);
        // No host descriptor survives into the guest's host process.
        syscall(SYS_close_range, 0, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
        long fd = -1;
        if (filter) {
            struct sock_fprog prog = {.len = length, .filter = (struct sock_filter *)filter};
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(127);
            fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
            if (fd < 0) _exit(127);
        }
        char *const argv[] = {"umlab-guest", NULL};
        char *const envp[] = {NULL};
        syscall(SYS_execveat, exec_fd, "", argv, envp, AT_EMPTY_PATH, fd);
        _exit(127);
    }
    close(go[0]);
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)options) < 0) goto fail;
    ssize_t n;
    do { n = write(go[1], "g", 1); } while (n < 0 && errno == EINTR);
    close(go[1]);
    go[1] = -1;
    if (filter) {
        // The execveat's seccomp stop: fetch the listener, then let the exec proceed.
        int status;
        while (waitpid(pid, &status, __WALL) < 0)
            if (errno != EINTR) goto fail;
        if (!WIFSTOPPED(status) || (status >> 16) != PTRACE_EVENT_SECCOMP) { errno = ECHILD; goto fail; }
        struct user_regs_struct regs;
        if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0) goto fail;
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) goto fail;
        int fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)regs.r9, 0);
        int e = errno;
        close(pidfd);
        if (fd < 0) { errno = e; goto fail; }
        *listener = fd;
        if (ptrace(PTRACE_CONT, pid, 0, 0) < 0) { close(fd); goto fail; }
    }
    return pid;
fail: {
        int e = errno;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, __WALL);
        if (go[1] >= 0) close(go[1]);
        errno = e;
        return -1;
    }
}

pid_t ch_spawn_traced(int exec_fd, long options) { return spawn(exec_fd, options, NULL, 0, NULL); }

pid_t ch_spawn_traced_filtered(int exec_fd, long options, const ch_bpf_insn *filter, unsigned short length,
                               int *listener) {
    if (!filter || !listener) { errno = EINVAL; return -1; }
    return spawn(exec_fd, options, filter, length, listener);
}

int ch_seccomp_receive(int listener, ch_seccomp_notice *notice) {
    struct seccomp_notif req;
    memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) return -1;
    notice->id = req.id;
    notice->pid = req.pid;
    notice->nr = req.data.nr;
    notice->arch = req.data.arch;
    notice->instruction_pointer = req.data.instruction_pointer;
    memcpy(notice->args, req.data.args, sizeof notice->args);
    return 0;
}

int ch_seccomp_answer(int listener, uint64_t id, int64_t value, int32_t error) {
    struct seccomp_notif_resp resp = {.id = id, .val = error ? 0 : value, .error = error, .flags = 0};
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

int ch_seccomp_sync_wakeups(int listener) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (uint64_t)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
}

pid_t ch_wait(pid_t pid, int *status, int extra_flags) {
    return waitpid(pid, status, __WALL | extra_flags);
}

long ch_process_vm_read(pid_t pid, void *local, uint64_t remote, uint64_t len) {
    struct iovec l = {local, len};
    struct iovec r = {(void *)remote, len};
    return process_vm_readv(pid, &l, 1, &r, 1, 0);
}

long ch_process_vm_write(pid_t pid, const void *local, uint64_t remote, uint64_t len) {
    struct iovec l = {(void *)local, len};
    struct iovec r = {(void *)remote, len};
    return process_vm_writev(pid, &l, 1, &r, 1, 0);
}

/* One host call for a scattered guest buffer: `count` (at most 1024) remote ranges, as pairs
 * (address, length) in `ranges`, against one local buffer of `len` bytes. */
static long ch_process_vm_ranges(pid_t pid, void *local, uint64_t len, const uint64_t *ranges, int count, int write) {
    struct iovec r[1024];
    if (count < 0 || count > 1024) { errno = EINVAL; return -1; }
    for (int i = 0; i < count; i++) r[i] = (struct iovec){(void *)ranges[2 * i], ranges[2 * i + 1]};
    struct iovec l = {local, len};
    return write ? process_vm_writev(pid, &l, 1, r, count, 0) : process_vm_readv(pid, &l, 1, r, count, 0);
}

long ch_process_vm_read_ranges(pid_t pid, void *local, uint64_t len, const uint64_t *ranges, int count) {
    return ch_process_vm_ranges(pid, local, len, ranges, count, 0);
}

long ch_process_vm_write_ranges(pid_t pid, const void *local, uint64_t len, const uint64_t *ranges, int count) {
    return ch_process_vm_ranges(pid, (void *)local, len, ranges, count, 1);
}

long ch_syscall6(long nr, long a, long b, long c, long d, long e, long f) {
    return syscall(nr, a, b, c, d, e, f);
}

int ch_openat(int dirfd, const char *path, int flags, unsigned mode) {
    return openat(dirfd, path, flags, mode);
}

int ch_open_beneath(int dirfd, const char *path, int flags, unsigned mode) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)flags;
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int ch_ioctl(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }

int ch_memfd(const char *name, int executable) {
    unsigned flags = MFD_CLOEXEC | (executable ? 0 : MFD_ALLOW_SEALING);
    return memfd_create(name, flags);
}

int ch_punch_hole(int fd, long long offset, long long length) {
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length);
}

int ch_mkdirat(int dirfd, const char *name, unsigned mode) { return mkdirat(dirfd, name, mode); }
int ch_mkfifoat(int dirfd, const char *name, unsigned mode) { return mknodat(dirfd, name, S_IFIFO | (mode & 07777), 0); }
int ch_unlinkat(int dirfd, const char *name, int directory) { return unlinkat(dirfd, name, directory ? AT_REMOVEDIR : 0); }
int ch_renameat2(int olddirfd, const char *oldname, int newdirfd, const char *newname, unsigned flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldname, newdirfd, newname, flags);
}
int ch_linkat(int olddirfd, const char *oldname, int newdirfd, const char *newname) {
    return linkat(olddirfd, oldname, newdirfd, newname, 0);
}
int ch_symlinkat(const char *target, int dirfd, const char *name) { return symlinkat(target, dirfd, name); }
int ch_chmodat(int dirfd, const char *name, unsigned mode) { return fchmodat(dirfd, name, mode, AT_SYMLINK_NOFOLLOW); }
int ch_chownat(int dirfd, const char *name, unsigned uid, unsigned gid) {
    return fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
}
int ch_utimesat(int dirfd, const char *name, long long asec, long long ansec, long long msec, long long mnsec) {
    struct timespec t[2] = {{(time_t)asec, ansec < 0 ? UTIME_OMIT : (long)ansec}, {(time_t)msec, mnsec < 0 ? UTIME_OMIT : (long)mnsec}};
    return utimensat(dirfd, name, t, AT_SYMLINK_NOFOLLOW);
}
int ch_fd_setxattr(int fd, const char *name, const void *value, size_t size) {
    char path[40];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return setxattr(path, name, value, size, 0);
}
long ch_fd_getxattr(int fd, const char *name, void *value, size_t size) {
    char path[40];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return (long)getxattr(path, name, value, size);
}

int ch_pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

int ch_current_cpu(void) { return sched_getcpu(); }

int ch_fcntl_int(int fd, int cmd, int arg) { return fcntl(fd, cmd, arg); }

// The tick's handler does nothing: the signal exists to interrupt the blocking call in progress
// (waitpid, epoll_pwait2) with EINTR. Installing it is idempotent, so any number of event loops
// (guests) in one process share it; each has its own timer aimed at its own thread.
static void tick_handler(int signo) { (void)signo; }

int ch_tick_create(int signo, void **timer) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tick_handler;  // no SA_RESTART: the point is to interrupt waitpid/poll
    sigemptyset(&sa.sa_mask);
    if (sigaction(signo, &sa, NULL) < 0) return -1;
    // Whoever started umlab may have blocked the signal; the tick must get through.
    sigset_t tick;
    sigemptyset(&tick);
    sigaddset(&tick, signo);
    pthread_sigmask(SIG_UNBLOCK, &tick, NULL);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = signo;
    ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t) < 0) return -1;
    *timer = (void *)t;
    return 0;
}

int ch_tick_arm(void *timer, uint64_t deadline_ns) {
    struct itimerspec it;
    memset(&it, 0, sizeof it);
    if (deadline_ns > 0) {
        it.it_value.tv_sec = (time_t)(deadline_ns / 1000000000u);
        it.it_value.tv_nsec = (long)(deadline_ns % 1000000000u);
        // Past the deadline the tick repeats every millisecond until it is re-armed: a signal
        // that lands between the kernel's last look at the clock and its blocking waitpid is
        // absorbed there, and the next one gets the kernel back.
        it.it_interval.tv_nsec = 1000000;
    }
    return timer_settime((timer_t)timer, TIMER_ABSTIME, &it, NULL);
}

int ch_tick_delete(void *timer) { return timer_delete((timer_t)timer); }

int ch_signal_fd(uint64_t mask) {
    sigset_t set;
    sigemptyset(&set);
    for (int s = 1; s <= 64; s++)
        if (mask & (1ull << (s - 1))) sigaddset(&set, s);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int ch_read_signal(int fd, int *signo, int *code, int *pid) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n != (ssize_t)sizeof info) return 0;
    *signo = (int)info.ssi_signo;
    *code = info.ssi_code;
    *pid = (int)info.ssi_pid;
    return 1;
}

int ch_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
long ch_send_record(int fd, const void *buf, unsigned long len, const int *fds, int nfds) {
    struct iovec iov = { (void *)buf, len };
    union { char bytes[CMSG_SPACE(sizeof(int) * 8)]; struct cmsghdr align; } control;
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds > 0) {
        if (nfds > 8) { errno = EINVAL; return -1; }
        memset(&control, 0, sizeof control);
        m.msg_control = control.bytes;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    return sendmsg(fd, &m, MSG_NOSIGNAL);
}
long ch_receive_record(int fd, void *buf, unsigned long len, int *fds, int maxfds, int *nfds) {
    struct iovec iov = { buf, len };
    union { char bytes[CMSG_SPACE(sizeof(int) * 8)]; struct cmsghdr align; } control;
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes };
    *nfds = 0;
    long n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0) return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *in = (int *)CMSG_DATA(c);
        for (int i = 0; i < count; i++) {
            if (*nfds < maxfds) fds[(*nfds)++] = in[i]; else close(in[i]);
        }
    }
    return n;
}
static int unix_address(const char *path, struct sockaddr_un *a) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a->sun_path) { errno = ENAMETOOLONG; return -1; }
    strcpy(a->sun_path, path);
    return 0;
}
int ch_unix_listen(const char *path) {
    struct sockaddr_un a;
    if (unix_address(path, &a) < 0) return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0) { int e = errno; close(fd); errno = e; return -1; }
    return fd;
}
int ch_unix_connect(const char *path) {
    struct sockaddr_un a;
    if (unix_address(path, &a) < 0) return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { int e = errno; close(fd); errno = e; return -1; }
    return fd;
}
int ch_stream_pair(int *pair) {
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair);
}
int ch_seqpacket_pair(int *pair) {
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair);
}
int ch_accept_nonblocking(int fd, void *addr, unsigned *len) {
    return accept4(fd, (struct sockaddr *)addr, (socklen_t *)len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int ch_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd, op, fd, op == EPOLL_CTL_DEL ? NULL : &ev);
}

int ch_epoll_wait(int epfd, ch_epoll_ready *ready, int max, int64_t timeout_ns) {
    struct epoll_event evs[64];
    if (max > 64) max = 64;
    struct timespec ts, *tp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000);
        ts.tv_nsec = (long)(timeout_ns % 1000000000);
        tp = &ts;
    }
    int n = (int)syscall(SYS_epoll_pwait2, epfd, evs, max, tp, NULL, 0);
    for (int i = 0; i < n; i++) {
        ready[i].token = evs[i].data.u64;
        ready[i].events = evs[i].events;
    }
    return n;
}

long ch_raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return -1;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) return -1;
    return (long)rl.rlim_cur;
}

uint64_t ch_memory_and_swap(void) {
    struct sysinfo info;
    if (sysinfo(&info) < 0) return UINT64_MAX;
    unsigned __int128 total = ((unsigned __int128)info.totalram + info.totalswap) * (info.mem_unit ? info.mem_unit : 1);
    return total > UINT64_MAX ? UINT64_MAX : (uint64_t)total;
}

uint64_t ch_vdso_base(void) {
    return (uint64_t)getauxval(AT_SYSINFO_EHDR);
}

int ch_spawn_actions_closefrom(posix_spawn_file_actions_t *actions, int low) {
    return posix_spawn_file_actions_addclosefrom_np(actions, low);
}
