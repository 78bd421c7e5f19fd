/*
 * bare_seccomp: the two ways a seccomp-based kernel can take a guest's system call, each
 * reduced to its bare round trip, so umlab's --mode seccomp can be compared with the floor.
 *
 *   bare_seccomp notif  ITERS   SECCOMP_RET_USER_NOTIF: the guest blocks in the host kernel,
 *                               the supervisor takes the call with NOTIF_RECV and answers it
 *                               with NOTIF_SEND (flag SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP set
 *                               when the kernel has it, as umlab does).
 *   bare_seccomp notif-async ITERS   the same without SYNC_WAKE_UP (the wake-up goes through
 *                               the scheduler's ordinary path).
 *   bare_seccomp sigsys ITERS   SECCOMP_RET_TRAP: the host delivers SIGSYS to a handler in the
 *                               guest, which puts the call in shared memory, wakes the
 *                               supervisor with a futex and sleeps on another until the answer
 *                               is there (UML 6.16's seccomp mode and gVisor's systrap, without
 *                               spinning: tracer and guest share one CPU here).
 *
 * In both, the guest calls getppid ITERS times and the supervisor answers 424242; every other
 * call runs natively. Both processes are pinned to CPU 0. Prints `ns_per_call <float>` (the
 * guest's own clock around its loop) on stdout; exit status 0 only if every answer arrived.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "bench_common.h"

#define ANSWER 424242

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

static void pin(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        die("sched_setaffinity");
}

static long install(struct sock_filter *code, unsigned short len, unsigned flags)
{
    struct sock_fprog prog = {.len = len, .filter = code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        die("PR_SET_NO_NEW_PRIVS");
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static void report(long iters, long long t0, long long t1, long bad)
{
    printf("ns_per_call %.1f\n", (double)(t1 - t0) / (double)iters);
    fflush(stdout);
    _exit(bad == 0 ? 0 : 1);
}

/* ---- USER_NOTIF ---------------------------------------------------------------------- */

static void send_fd(int sock, int fd)
{
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    if (sendmsg(sock, &msg, 0) != 1)
        die("sendmsg");
}

static int recv_fd(int sock)
{
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    if (recvmsg(sock, &msg, 0) != 1)
        die("recvmsg");
    int fd;
    memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof fd);
    return fd;
}

static int run_notif(long iters, int sync_wake)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        die("socketpair");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        struct sock_filter code[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        int listener = (int)install(code, 4, SECCOMP_FILTER_FLAG_NEW_LISTENER);
        if (listener < 0)
            die("seccomp(NEW_LISTENER)");
        send_fd(sv[1], listener);
        close(listener);
        long bad = 0;
        long long t0 = now_ns();
        for (long i = 0; i < iters; i++)
            bad += syscall(SYS_getppid) != ANSWER;
        report(iters, t0, now_ns(), bad);
    }
    int listener = recv_fd(sv[0]);
    if (sync_wake && ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (uint64_t)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) != 0)
        fprintf(stderr, "bare_seccomp: no SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (%s); measuring without\n", strerror(errno));
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    for (long i = 0; i < iters; i++) {
        memset(&req, 0, sizeof req);
        while (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
            if (errno != EINTR)
                die("NOTIF_RECV");
        resp.id = req.id;
        resp.val = ANSWER;
        resp.error = 0;
        resp.flags = 0;
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0)
            die("NOTIF_SEND");
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* ---- SIGSYS + shared memory + futex ------------------------------------------------- */

/* The page both processes share: the guest's request and the supervisor's answer. */
struct mailbox {
    _Atomic uint32_t state; /* 0 idle, 1 request posted, 2 answer posted */
    uint32_t pad;
    int64_t nr, args[6], result;
};
static struct mailbox *box;

static long futex(_Atomic uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static void on_sigsys(int sig, siginfo_t *info, void *uc_)
{
    (void)sig;
    ucontext_t *uc = uc_;
    greg_t *g = uc->uc_mcontext.gregs;
    box->nr = info->si_syscall;
    box->args[0] = g[REG_RDI];
    box->args[1] = g[REG_RSI];
    box->args[2] = g[REG_RDX];
    box->state = 1;
    futex(&box->state, FUTEX_WAKE, 1);
    while (box->state != 2)
        futex(&box->state, FUTEX_WAIT, 1);
    g[REG_RAX] = box->result;
    box->state = 0;
}

static int run_sigsys(long iters)
{
    box = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (box == MAP_FAILED)
        die("mmap");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sigsys;
        sa.sa_flags = SA_SIGINFO;
        if (sigaction(SIGSYS, &sa, NULL) != 0)
            die("sigaction");
        struct sock_filter code[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        if (install(code, 4, 0) != 0)
            die("seccomp");
        long bad = 0;
        long long t0 = now_ns();
        for (long i = 0; i < iters; i++)
            bad += syscall(SYS_getppid) != ANSWER;
        report(iters, t0, now_ns(), bad);
    }
    for (long i = 0; i < iters; i++) {
        uint32_t s;
        while ((s = box->state) != 1)
            futex(&box->state, FUTEX_WAIT, s);
        box->result = box->nr == SYS_getppid ? ANSWER : -ENOSYS;
        box->state = 2;
        futex(&box->state, FUTEX_WAKE, 1);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
    const char *m = argc >= 2 ? argv[1] : "";
    if (strcmp(m, "notif") != 0 && strcmp(m, "notif-async") != 0 && strcmp(m, "sigsys") != 0) {
        fprintf(stderr, "usage: %s notif|notif-async|sigsys [ITERS]\n", argv[0]);
        return 2;
    }
    long iters = parse_count(argc, argv, 2, 100000);
    pin();
    if (strcmp(m, "sigsys") == 0)
        return run_sigsys(iters);
    return run_notif(iters, strcmp(m, "notif") == 0);
}
