/*
 * study.c -- the workloads of the TT-vs-SKAS study (`umlab bench`), one static program for
 * x86-64 (gcc -static -O2) and 32-bit PowerPC (powerpc-linux-gnu-gcc -static -O2).
 * study-ia64.s is its IA-64 twin and prints the same lines.
 *
 *   study WORKLOAD ITERS
 *       syscall   ITERS x getppid
 *       pipe      ITERS one-byte round trips with a forked child over two pipes
 *       forkexec  ITERS x (fork; the child execs this program with "exit"; wait4)
 *       file      ITERS x (open /tmp file O_TRUNC; write 4 KiB; lseek 0; read 4 KiB; close)
 *       mmap      ITERS x (mmap 64 KiB anonymous; write and read one byte; munmap)
 *       fault     ITERS x (mmap 1 MiB; write and read one byte in each of its 256 pages; munmap)
 *       compute   ITERS passes of table CRC-32 over a 4 KiB buffer (no system calls)
 *     and the rest of lmbench's process and file-system latencies:
 *       stat      ITERS x stat(argv[0])
 *       openclose ITERS x (open argv[0] O_RDONLY; close)
 *       siginstall ITERS x sigaction(SIGUSR1) (alternating two handlers)
 *       sighandle ITERS x (kill(getpid(), SIGUSR1) caught by a handler)
 *       fork      ITERS x (fork; the child _exits 42 at once; wait4)
 *       forksh    ITERS x (fork; the child execs /bin/busybox sh -c 'exit 42'; wait4)
 *       create    ITERS x (creat a new empty file in the scratch directory; close; unlink)
 *   study exit    exits with status 42 at once (what forkexec's children run)
 *
 * The scratch directory of file and create is $STUDY_TMPDIR, or /tmp.
 *
 * Output, two lines:
 *   check WORKLOAD ITERS VALUE     VALUE is deterministic: the number of iterations that
 *                                  behaved (pages for fault; the CRC for compute)
 *   loop_ns NS                     CLOCK_MONOTONIC time of the measured loop only
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_STATUS 42
#define FILE_BYTES 4096
#define MMAP_BYTES (64 * 1024)
#define FAULT_PAGES 256
#define PAGE 4096
#define CRC_BYTES 4096

extern char **environ;

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static unsigned long w_syscall(unsigned long n)
{
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++)
        ok += syscall(SYS_getppid) > 0;
    return ok;
}

static unsigned long w_pipe(unsigned long n)
{
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    unsigned char b;
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        while (read(down[0], &b, 1) == 1) {
            b++;
            if (write(up[1], &b, 1) != 1)
                _exit(1);
        }
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++) {
        b = (unsigned char)i;
        if (write(down[1], &b, 1) != 1 || read(up[0], &b, 1) != 1)
            break;
        ok += b == (unsigned char)(i + 1);
    }
    close(down[1]);
    int status;
    if (waitpid(pid, &status, 0) != pid || status != 0)
        die("child");
    return ok;
}

/* 1 if the child exited with EXIT_STATUS. */
static unsigned long wait_for_42(pid_t pid)
{
    int status;
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == EXIT_STATUS;
}

static unsigned long w_forkexec(unsigned long n, char *self)
{
    char *args[] = {self, "exit", NULL};
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            execve(self, args, environ);
            _exit(1);
        }
        ok += wait_for_42(pid);
    }
    return ok;
}

static const char *scratch_dir(void)
{
    const char *d = getenv("STUDY_TMPDIR");
    return d && *d ? d : "/tmp";
}

static unsigned long w_file(unsigned long n)
{
    static unsigned char wbuf[FILE_BYTES], rbuf[FILE_BYTES];
    char path[256];
    snprintf(path, sizeof path, "%s/umlab-study-%d.dat", scratch_dir(), (int)getpid());
    for (int k = 0; k < FILE_BYTES; k++)
        wbuf[k] = (unsigned char)(k * 31 + 7);
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++) {
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            die("open");
        uint64_t stamp = i;
        memcpy(wbuf, &stamp, sizeof stamp);
        if (write(fd, wbuf, FILE_BYTES) != FILE_BYTES || lseek(fd, 0, SEEK_SET) != 0)
            die("write");
        ssize_t got = read(fd, rbuf, FILE_BYTES);
        memcpy(&stamp, rbuf, sizeof stamp);
        ok += got == FILE_BYTES && stamp == i;
        close(fd);
    }
    unlink(path);
    return ok;
}

static unsigned long w_mmap(unsigned long n)
{
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++) {
        volatile unsigned char *p = mmap(NULL, MMAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            die("mmap");
        p[0] = (unsigned char)(i | 1);
        ok += p[0] == (unsigned char)(i | 1);
        if (munmap((void *)p, MMAP_BYTES) != 0)
            die("munmap");
    }
    return ok;
}

static unsigned long w_fault(unsigned long n)
{
    unsigned long sum = 0;
    for (unsigned long i = 0; i < n; i++) {
        volatile unsigned char *p = mmap(NULL, FAULT_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            die("mmap");
        for (int k = 0; k < FAULT_PAGES; k++) {
            p[k * PAGE] = 1;
            sum += p[k * PAGE];
        }
        if (munmap((void *)p, FAULT_PAGES * PAGE) != 0)
            die("munmap");
    }
    return sum;
}

static unsigned long w_stat(unsigned long n, const char *self)
{
    struct stat st;
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++)
        ok += stat(self, &st) == 0 && st.st_size > 0;
    return ok;
}

static unsigned long w_openclose(unsigned long n, const char *self)
{
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++) {
        int fd = open(self, O_RDONLY);
        ok += fd >= 0 && close(fd) == 0;
    }
    return ok;
}

static volatile sig_atomic_t caught;
static void on_usr1(int sig) { (void)sig; caught++; }
static void on_usr1_other(int sig) { (void)sig; caught += 2; }

static unsigned long w_siginstall(unsigned long n)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++) {
        sa.sa_handler = i & 1 ? on_usr1_other : on_usr1;
        ok += sigaction(SIGUSR1, &sa, NULL) == 0;
    }
    return ok;
}

static unsigned long w_sighandle(unsigned long n)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        die("sigaction");
    pid_t self = getpid();
    caught = 0;
    for (unsigned long i = 0; i < n; i++)
        kill(self, SIGUSR1);
    return (unsigned long)caught;
}

static unsigned long w_fork(unsigned long n)
{
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0)
            _exit(EXIT_STATUS);
        ok += wait_for_42(pid);
    }
    return ok;
}

static unsigned long w_forksh(unsigned long n)
{
    char *args[] = {"sh", "-c", "exit 42", NULL};
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            execve("/bin/busybox", args, environ);
            _exit(1);
        }
        ok += wait_for_42(pid);
    }
    return ok;
}

static unsigned long w_create(unsigned long n)
{
    char path[256];
    unsigned long ok = 0;
    for (unsigned long i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/umlab-study-%d-%lu", scratch_dir(), (int)getpid(), i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0)
            die("create");
        ok += close(fd) == 0 && unlink(path) == 0;
    }
    return ok;
}

static uint32_t crc_table[256];
static unsigned char crc_buf[CRC_BYTES];

static void w_compute_setup(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
    for (int k = 0; k < CRC_BYTES; k++)
        crc_buf[k] = (unsigned char)((k * 31 + 7) ^ (k >> 8));
}

static unsigned long w_compute(unsigned long n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (unsigned long i = 0; i < n; i++)
        for (int k = 0; k < CRC_BYTES; k++)
            crc = crc_table[(crc ^ crc_buf[k]) & 0xff] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "exit") == 0)
        return EXIT_STATUS;
    if (argc != 3) {
        fprintf(stderr, "usage: study syscall|pipe|forkexec|file|mmap|fault|compute|stat|openclose|siginstall|sighandle|fork|forksh|create ITERS\n"
                        "       study exit\n");
        return 2;
    }
    const char *w = argv[1];
    unsigned long n = strtoul(argv[2], NULL, 10);
    if (strcmp(w, "compute") == 0)
        w_compute_setup();
    unsigned long long t0 = now_ns();
    unsigned long value;
    if (strcmp(w, "syscall") == 0) value = w_syscall(n);
    else if (strcmp(w, "pipe") == 0) value = w_pipe(n);
    else if (strcmp(w, "forkexec") == 0) value = w_forkexec(n, argv[0]);
    else if (strcmp(w, "file") == 0) value = w_file(n);
    else if (strcmp(w, "mmap") == 0) value = w_mmap(n);
    else if (strcmp(w, "fault") == 0) value = w_fault(n);
    else if (strcmp(w, "compute") == 0) value = w_compute(n);
    else if (strcmp(w, "stat") == 0) value = w_stat(n, argv[0]);
    else if (strcmp(w, "openclose") == 0) value = w_openclose(n, argv[0]);
    else if (strcmp(w, "siginstall") == 0) value = w_siginstall(n);
    else if (strcmp(w, "sighandle") == 0) value = w_sighandle(n);
    else if (strcmp(w, "fork") == 0) value = w_fork(n);
    else if (strcmp(w, "forksh") == 0) value = w_forksh(n);
    else if (strcmp(w, "create") == 0) value = w_create(n);
    else {
        fprintf(stderr, "study: unknown workload %s\n", w);
        return 2;
    }
    unsigned long long t1 = now_ns();
    printf("check %s %lu %lu\nloop_ns %llu\n", w, n, value, t1 - t0);
    return 0;
}
