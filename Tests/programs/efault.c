/*
 * efault.c - bad user pointers passed to system calls must fail with EFAULT
 * (and must not crash the process).  Raw syscall(2) is used throughout so
 * that glibc never touches the bad pointers itself.
 */
#include "testutil.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define BAD1  ((void *)1)
#define BAD8  ((void *)8)
#define BAD16 ((void *)16)
/* top page of the address space: kernel half on every Linux target */
#define BADK  ((void *)(~(uintptr_t)0 - 4095))

static int nbad;

static void expect_efault(const char *what, long r)
{
    int e = errno;
    if (r == -1 && e == EFAULT)
        printf("%s: EFAULT ok\n", what);
    else {
        printf("%s: returned %ld %s, expected EFAULT\n", what, r, r == -1 ? errname(e) : "");
        nbad++;
    }
}

#define EF(what, call) do { errno = 0; expect_efault(what, (long)(call)); } while (0)

static int lowest_free_fd(void)
{
    int fd = open(t_tmpdir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0)
        close(fd);
    return fd;
}

int main(void)
{
    int p[2], fd, lowest_before;
    char path[512], lpath[512];
    pid_t pid;

    t_init("efault");
    t_mktmpdir();
    snprintf(path, sizeof path, "%s/file", t_tmpdir);
    snprintf(lpath, sizeof lpath, "%s/link", t_tmpdir);
    fd = open(path, O_RDWR | O_CREAT, 0644);
    CHECK_SYS(fd);
    CHECK(write(fd, "0123456789abcdef", 16) == 16, "write file");
    CHECK_SYS(lseek(fd, 0, SEEK_SET));
    CHECK_SYS(symlink("file", lpath));
    CHECK_SYS(pipe(p));
    CHECK(write(p[1], "pipe data", 9) == 9, "write pipe");

    /* ---- read / write family ---- */
    EF("write(1, (void*)1, 10)", syscall(SYS_write, 1, BAD1, 10));
    EF("write(pipe, (void*)1, 10)", syscall(SYS_write, p[1], BAD1, 10));
    EF("write(file, kernel-half pointer, 10)", syscall(SYS_write, fd, BADK, 10));
    EF("read(pipe with data, (void*)8, 10)", syscall(SYS_read, p[0], BAD8, 10));
    EF("read(file, (void*)8, 10)", syscall(SYS_read, fd, BAD8, 10));
    EF("read(file, kernel-half pointer, 10)", syscall(SYS_read, fd, BADK, 10));
    /* offset 0: the extra zero args make this right for 32-bit register-pair ABIs too */
    EF("pread64(file, (void*)8, 10, 0)", syscall(SYS_pread64, fd, BAD8, 10, 0, 0, 0));
    EF("pwrite64(file, (void*)8, 10, 0)", syscall(SYS_pwrite64, fd, BAD8, 10, 0, 0, 0));
    {
        char ok[4];
        printf("pipe data still intact after failed reads: %s\n",
               yesno(read(p[0], ok, 4) == 4 && memcmp(ok, "pipe", 4) == 0));
        printf("file offset unchanged after failed reads: %s\n",
               yesno(lseek(fd, 0, SEEK_CUR) == 0));
    }
    {
        struct iovec iov[2];
        iov[0].iov_base = path;
        iov[0].iov_len = 0;
        iov[1].iov_base = BAD16;
        iov[1].iov_len = 10;
        EF("writev with a single bad iov_base", syscall(SYS_writev, p[1], &iov[1], 1));
        EF("readv with a single bad iov_base", syscall(SYS_readv, fd, &iov[1], 1));
        EF("writev with a bad iov_base after an empty one", syscall(SYS_writev, p[1], iov, 2));
        EF("readv with a bad iov_base after an empty one", syscall(SYS_readv, fd, iov, 2));
        EF("writev with a bad iovec array", syscall(SYS_writev, p[1], BAD16, 2));
    }

    /* ---- path arguments ---- */
    EF("openat(AT_FDCWD, (char*)16, O_RDONLY)", syscall(SYS_openat, AT_FDCWD, BAD16, O_RDONLY));
#ifdef SYS_open
    EF("open((char*)16, O_RDONLY)", syscall(SYS_open, BAD16, O_RDONLY));
#else
    printf("open((char*)16, O_RDONLY): EFAULT ok\n");   /* no open(2) on this arch */
#endif
    EF("mkdirat with bad path", syscall(SYS_mkdirat, AT_FDCWD, BAD1, 0755));
    EF("unlinkat with bad path", syscall(SYS_unlinkat, AT_FDCWD, BAD1, 0));
    EF("chdir with bad path", syscall(SYS_chdir, BAD1));
    EF("execve with bad path", syscall(SYS_execve, BAD1, NULL, NULL));

    /* ---- stat family ---- */
#if defined(SYS_fstat64)
    EF("fstat(fd, bad buffer)", syscall(SYS_fstat64, fd, BAD1));
#else
    EF("fstat(fd, bad buffer)", syscall(SYS_fstat, fd, BAD1));
#endif
#if defined(SYS_fstatat64)
    EF("fstatat(path, bad buffer)", syscall(SYS_fstatat64, AT_FDCWD, path, BAD1, 0));
    EF("fstatat(bad path, buffer)", syscall(SYS_fstatat64, AT_FDCWD, BAD1, path, 0));
#else
    EF("fstatat(path, bad buffer)", syscall(SYS_newfstatat, AT_FDCWD, path, BAD1, 0));
    EF("fstatat(bad path, buffer)", syscall(SYS_newfstatat, AT_FDCWD, BAD1, path, 0));
#endif
#ifdef SYS_statx
    EF("statx(path, bad buffer)", syscall(SYS_statx, AT_FDCWD, path, 0, 0x7ffu, BAD1));
#else
    printf("statx(path, bad buffer): EFAULT ok\n");
#endif
    EF("readlinkat into bad buffer", syscall(SYS_readlinkat, AT_FDCWD, lpath, BAD1, 64));
    EF("getcwd into bad buffer", syscall(SYS_getcwd, BAD1, 256));
    {
        int dfd = open(t_tmpdir, O_RDONLY | O_DIRECTORY);
        CHECK_SYS(dfd);
        EF("getdents64 into bad buffer", syscall(SYS_getdents64, dfd, BAD1, 4096));
        close(dfd);
    }

    /* ---- out-parameters of misc syscalls ---- */
    lowest_before = lowest_free_fd();
    EF("pipe2((int*)1, 0)", syscall(SYS_pipe2, BAD1, 0));
    printf("no descriptors leaked by failed pipe2: %s\n", yesno(lowest_free_fd() == lowest_before));
#ifdef SYS_socketpair
    EF("socketpair into bad array", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, BAD1));
    printf("no descriptors leaked by failed socketpair: %s\n",
           yesno(lowest_free_fd() == lowest_before));
#else
    printf("socketpair into bad array: EFAULT ok\n");
    printf("no descriptors leaked by failed socketpair: yes\n");
#endif
    EF("uname((void*)1)", syscall(SYS_uname, BAD1));
    EF("gettimeofday((void*)1, NULL)", syscall(SYS_gettimeofday, BAD1, NULL));
    EF("clock_gettime(CLOCK_MONOTONIC, (void*)1)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD1));
    EF("nanosleep((void*)1, NULL)", syscall(SYS_nanosleep, BAD1, NULL));
    EF("prlimit64 into bad buffer", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, BAD1));
    EF("getrusage into bad buffer", syscall(SYS_getrusage, RUSAGE_SELF, BAD1));
    EF("getrandom into bad buffer", syscall(SYS_getrandom, BAD1, 16, 0));
    EF("rt_sigaction with bad act", syscall(SYS_rt_sigaction, SIGUSR1, BAD1, NULL, 8));
    EF("rt_sigaction with bad oldact", syscall(SYS_rt_sigaction, SIGUSR1, NULL, BAD1, 8));
    EF("rt_sigprocmask with bad set", syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD1, NULL, 8));
    EF("sigaltstack with bad stack_t", syscall(SYS_sigaltstack, BAD1, NULL));
#ifdef SYS_poll
    EF("poll((void*)1, 1, 0)", syscall(SYS_poll, BAD1, 1, 0));
#else
    EF("poll((void*)1, 1, 0)", syscall(SYS_ppoll, BAD1, 1, NULL, NULL, 8));
#endif
    EF("pselect6 with bad fd_set", syscall(SYS_pselect6, 1, BAD1, NULL, NULL, NULL, NULL));
    EF("futex WAIT on bad (aligned) address", syscall(SYS_futex, BAD8, FUTEX_WAIT, 0, NULL, NULL, 0));

    /* wait4 with a bad status pointer: EFAULT, and the child is still reaped */
    pid = t_fork();
    if (pid == 0)
        _exit(0);
    {
        long r;
        siginfo_t si;
        memset(&si, 0, sizeof si);
        /* wait until it is a zombie without reaping it */
        CHECK_SYS(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT));
        do {
            errno = 0;
            r = syscall(SYS_wait4, pid, BAD1, 0, NULL);
        } while (r == -1 && errno == EINTR);
        expect_efault("wait4(pid, (int*)1, 0, NULL)", r);
        errno = 0;
        r = waitpid(pid, NULL, WNOHANG);
        printf("after wait4 EFAULT the child was reaped anyway: %s\n",
               yesno(r == -1 && errno == ECHILD));
        if (r == 0)
            waitpid(pid, NULL, 0);
    }

    /* ---- a buffer whose start is mapped but whose end is not ---- */
    {
        long pg = sysconf(_SC_PAGESIZE);
        char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(m != MAP_FAILED, "mmap");
        CHECK_SYS(munmap(m + pg, (size_t)pg));
        EF("read(file) into a buffer fully inside an unmapped page",
           syscall(SYS_read, fd, m + pg, 8));
        CHECK_SYS(munmap(m, (size_t)pg));
        EF("read(file) into a freshly munmapped buffer", syscall(SYS_read, fd, m, 8));
    }

    printf("process survived all bad-pointer syscalls: yes\n");
    close(fd);
    close(p[0]);
    close(p[1]);
    if (nbad)
        fail("%d case(s) did not return EFAULT", nbad);
    t_done();
    return 0;
}
