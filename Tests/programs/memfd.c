/*
 * memfd.c - memfd_create: flags and name checks, /proc/self/fd's "/memfd:NAME (deleted)",
 * F_GETFL, fstat, read/write, a MAP_SHARED mapping shared with a forked child and with
 * read(), and the seals (F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_SEAL) with EPERM
 * where they forbid, F_GET_SEALS on a memfd without sealing and on a pipe.
 */
#include "testutil.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

int main(void)
{
    t_init("memfd");
    char path[64], link[256], name[300];
    struct stat st;
    int fd = memfd_create("umlab-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK_SYS(fd);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    CHECK_SYS(n);
    link[n] = 0;
    printf("link: %s\n", link);
    printf("F_GETFD cloexec: %s, F_GETFL O_RDWR: %s\n", fcntl(fd, F_GETFD) & FD_CLOEXEC ? "yes" : "no",
           (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR ? "yes" : "no");
    CHECK_SYS(fstat(fd, &st));
    printf("fstat: regular %s, mode %o, links %d, size %lld\n", S_ISREG(st.st_mode) ? "yes" : "no",
           st.st_mode & 07777, (int)st.st_nlink, (long long)st.st_size);

    CHECK_SYS(write(fd, "hello memfd", 11));
    char buf[64] = { 0 };
    CHECK_SYS(pread(fd, buf, sizeof buf - 1, 0));
    printf("read back: %s\n", buf);
    CHECK_SYS(ftruncate(fd, 8192));
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mmap: %s", errname(errno));
    pid_t pid = t_fork();
    if (pid == 0) {
        memcpy(m + 4096, "from the child", 15);
        _exit(memcmp(m, "hello memfd", 11) == 0 ? 0 : 1);
    }
    t_wait_ok(pid, "child writing the shared mapping");
    CHECK_SYS(pread(fd, buf, 15, 4096));
    printf("the child's write through the mapping, seen by read(): %s\n", buf);
    CHECK_SYS(munmap(m, 8192));

    printf("F_GET_SEALS: %s\n", t_result(fcntl(fd, F_GET_SEALS)));
    printf("add SHRINK: %s\n", t_result(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)));
    printf("shrink: %s, grow: %s\n", t_result(ftruncate(fd, 100)), t_result(ftruncate(fd, 16384)));
    printf("add GROW: %s\n", t_result(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW)));
    printf("write past the end: %s, within: %s\n", t_result(pwrite(fd, "x", 1, 16384)), t_result(pwrite(fd, "y", 1, 0)));
    printf("add WRITE: %s\n", t_result(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
    printf("write: %s\n", t_result(pwrite(fd, "z", 1, 0)));
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("shared writable mmap: %s\n", m == MAP_FAILED ? errname(errno) : "mapped");
    m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    printf("shared read-only mmap: %s, first byte %c\n", m == MAP_FAILED ? errname(errno) : "mapped", m == MAP_FAILED ? '?' : m[0]);
    printf("add SEAL: %s\n", t_result(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL)));
    printf("F_GET_SEALS: %s\n", t_result(fcntl(fd, F_GET_SEALS)));
    printf("add after SEAL: %s\n", t_result(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)));
    close(fd);

    int plain = memfd_create("plain", 0);
    CHECK_SYS(plain);
    printf("without MFD_ALLOW_SEALING: F_GET_SEALS %s, add %s\n", t_result(fcntl(plain, F_GET_SEALS)),
           t_result(fcntl(plain, F_ADD_SEALS, F_SEAL_GROW)));
    printf("unknown seal: %s\n", t_result(fcntl(plain, F_ADD_SEALS, 0x1000)));
    close(plain);
    int pfd[2];
    CHECK_SYS(pipe(pfd));
    printf("F_GET_SEALS on a pipe: %s\n", t_result(fcntl(pfd[0], F_GET_SEALS)));
    close(pfd[0]);
    close(pfd[1]);

    memset(name, 'n', 249);
    name[249] = 0;
    fd = memfd_create(name, 0);
    printf("name of 249 bytes: %s\n", fd >= 0 ? "ok" : errname(errno));
    close(fd);
    name[249] = 'n';
    name[250] = 0;
    printf("name of 250 bytes: %s\n", t_result(memfd_create(name, 0)));
    printf("unknown flag: %s\n", t_result(memfd_create("x", 0x100)));
    printf("NULL name: %s\n", t_result(memfd_create(NULL, 0)));
    t_done();
}
