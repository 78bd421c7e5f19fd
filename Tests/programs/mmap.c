/*
 * mmap.c - memory mappings: anonymous/file, private/shared, protections and
 * the faults they cause, fork sharing and copy-on-write, mremap, brk/sbrk,
 * madvise, /proc/self/maps.
 */
#include "testutil.h"

#include <fcntl.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static long pg;

/* ---- fault probing ---- */

static sigjmp_buf fault_env;
static volatile sig_atomic_t f_sig, f_code;
static void *volatile f_addr;

static void h_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    f_sig = sig;
    f_code = si->si_code;
    f_addr = si->si_addr;
    siglongjmp(fault_env, 1);
}

static void install_fault_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK_SYS(sigaction(SIGSEGV, &sa, NULL));
    CHECK_SYS(sigaction(SIGBUS, &sa, NULL));
}

/* Returns 0 if the access worked, else the signal number. */
static int touch(volatile char *p, int do_write)
{
    f_sig = 0;
    f_code = 0;
    f_addr = NULL;
    if (sigsetjmp(fault_env, 1) == 0) {
        if (do_write)
            *p = 'w';
        else
            (void)*p;
        return 0;
    }
    return f_sig;
}

static const char *sig_desc(int s)
{
    static char buf[64];
    if (s == 0)
        return "no fault";
    if (s == SIGSEGV)
        snprintf(buf, sizeof buf, "SIGSEGV %s", f_code == SEGV_MAPERR ? "SEGV_MAPERR" :
                 f_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other-code");
    else if (s == SIGBUS)
        snprintf(buf, sizeof buf, "SIGBUS %s", f_code == BUS_ADRERR ? "BUS_ADRERR" : "other-code");
    else
        snprintf(buf, sizeof buf, "signal %d", s);
    return buf;
}

static char *xmap(size_t len, int prot, int flags, int fd, off_t off)
{
    void *p = mmap(NULL, len, prot, flags, fd, off);
    if (p == MAP_FAILED)
        fail("mmap(len %lu): %s", (unsigned long)len, errname(errno));
    return p;
}

static int make_file(const char *name, size_t size)
{
    char path[512];
    int fd;
    snprintf(path, sizeof path, "%s/%s", t_tmpdir, name);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK_SYS(fd);
    CHECK_SYS(ftruncate(fd, (off_t)size));
    return fd;
}

/* ------------------------------------------------------------------ */

static void test_anon(void)
{
    char *m = xmap((size_t)pg * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long i, zero = 1, ok = 1;
    int s;

    printf("anonymous mapping is page aligned: %s\n", yesno(((uintptr_t)m % (uintptr_t)pg) == 0));
    for (i = 0; i < pg * 3; i++)
        if (m[i])
            zero = 0;
    printf("fresh anonymous memory is zero-filled: %s\n", yesno(zero));
    for (i = 0; i < pg * 3; i++)
        m[i] = (char)(i * 7);
    for (i = 0; i < pg * 3; i++)
        if (m[i] != (char)(i * 7))
            ok = 0;
    printf("write/read pattern over 3 pages: %s\n", yesno(ok));

    CHECK_SYS(munmap(m + pg, (size_t)pg));
    s = touch(m + pg + 10, 0);
    printf("read of munmapped middle page: %s, si_addr exact: %s\n", sig_desc(s),
           yesno(f_addr == m + pg + 10));
    printf("neighbouring pages still intact: %s\n",
           yesno(touch(m, 0) == 0 && touch(m + 2 * pg, 1) == 0 && m[1] == (char)7));
    CHECK_SYS(munmap(m, (size_t)pg * 3));   /* unmapping a range with a hole is fine */
    printf("munmap over a range containing a hole: ok\n");

    /* large mapping, touched sparsely */
    {
        size_t big = (size_t)64 << 20;
        char *b = xmap(big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        size_t k;
        unsigned sum = 0;
        for (k = 0; k < big; k += (size_t)1 << 20)
            b[k] = (char)(k >> 20);
        for (k = 0; k < big; k += (size_t)1 << 20)
            sum += (unsigned char)b[k];
        printf("64 MiB anonymous mapping touched every 1 MiB: sum %u\n", sum);
        CHECK_SYS(munmap(b, big));
    }
}

static void test_protect(void)
{
    char *m = xmap((size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int s;

    strcpy(m, "protected");
    CHECK_SYS(mprotect(m, (size_t)pg, PROT_READ));
    s = touch(m + 5, 1);
    printf("SEGV on write to read-only ok: %s (%s), si_addr exact: %s\n",
           yesno(s == SIGSEGV), sig_desc(s), yesno(f_addr == m + 5));
    printf("read of read-only page still works: %s, content \"%s\"\n",
           yesno(touch(m, 0) == 0), m);
    printf("second page (not mprotected) writable: %s\n", yesno(touch(m + pg, 1) == 0));
    CHECK_SYS(mprotect(m, (size_t)pg, PROT_NONE));
    s = touch(m, 0);
    printf("read of PROT_NONE page: %s\n", sig_desc(s));
    CHECK_SYS(mprotect(m, (size_t)pg, PROT_READ | PROT_WRITE));
    s = touch(m + 1, 1);
    printf("after mprotect back to RW, write works: %s, content kept: %s\n", yesno(s == 0),
           yesno(m[0] == 'p' && m[1] == 'w'));
    CHECK_ERR(mprotect(m + 1, (size_t)pg, PROT_READ), EINVAL);
    printf("mprotect on unaligned address: EINVAL\n");
    CHECK_SYS(munmap(m, (size_t)pg * 2));
}

static void test_fork_sharing(void)
{
    char *sh = xmap((size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *pv = xmap((size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pid_t pid;
    int st;

    strcpy(sh, "parent wrote this");
    strcpy(pv, "parent private");
    pid = t_fork();
    if (pid == 0) {
        int ok = strcmp(sh, "parent wrote this") == 0 && strcmp(pv, "parent private") == 0;
        strcpy(sh, "child wrote this");
        strcpy(pv, "child private");
        _exit(ok ? 0 : 1);
    }
    st = t_wait(pid);
    CHECK(WIFEXITED(st), "sharing child status 0x%x", st);
    printf("child saw parent's data in both mappings: %s\n", yesno(WEXITSTATUS(st) == 0));
    printf("MAP_SHARED anonymous: parent reads after wait: \"%s\"\n", sh);
    printf("MAP_PRIVATE anonymous (copy-on-write): parent still reads: \"%s\"\n", pv);

    /* COW in the other direction: parent writes after fork, child must not see it */
    {
        int p[2];
        char c;
        CHECK_SYS(pipe(p));
        pid = t_fork();
        if (pid == 0) {
            close(p[1]);
            if (t_read_full(p[0], &c, 1) != 1)
                _exit(2);
            _exit(strcmp(pv, "parent private") == 0 ? 0 : 1);
        }
        close(p[0]);
        strcpy(pv, "parent changed it");
        CHECK(write(p[1], "g", 1) == 1, "go");
        close(p[1]);
        st = t_wait(pid);
        printf("parent's write after fork invisible to child: %s\n",
               yesno(WIFEXITED(st) && WEXITSTATUS(st) == 0));
    }
    CHECK_SYS(munmap(sh, (size_t)pg));
    CHECK_SYS(munmap(pv, (size_t)pg));
}

static void test_file_maps(void)
{
    int fd = make_file("shared.bin", (size_t)pg * 2);
    char *m, buf[64];
    ssize_t n;
    pid_t pid;
    int st;

    m = xmap((size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    strcpy(m + pg + 4, "written through MAP_SHARED");
    CHECK_SYS(msync(m, (size_t)pg * 2, MS_SYNC));
    n = pread(fd, buf, 26, pg + 4);
    buf[n > 0 ? n : 0] = 0;
    printf("file MAP_SHARED store seen by read(): \"%s\"\n", buf);
    CHECK(pwrite(fd, "via pwrite", 10, 100) == 10, "pwrite");
    printf("pwrite seen through the shared mapping: \"%.10s\"\n", m + 100);

    pid = t_fork();
    if (pid == 0) {
        memcpy(m + 200, "child", 5);
        _exit(0);
    }
    st = t_wait(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "file map child");
    n = pread(fd, buf, 5, 200);
    printf("child's store into shared file mapping seen by parent read(): \"%.5s\"\n",
           n == 5 ? buf : "?????");
    CHECK_SYS(munmap(m, (size_t)pg * 2));
    n = pread(fd, buf, 26, pg + 4);
    buf[n > 0 ? n : 0] = 0;
    printf("after munmap the file keeps it: \"%s\"\n", buf);

    /* mapping at a file offset */
    m = xmap((size_t)pg, PROT_READ, MAP_SHARED, fd, (off_t)pg);
    printf("mmap at file offset one page: \"%s\"\n", m + 4);
    CHECK_SYS(munmap(m, (size_t)pg));
    CHECK_ERR(mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, 123) == MAP_FAILED ? -1 : 0,
              EINVAL);
    printf("mmap with unaligned file offset: EINVAL\n");

    /* MAP_PRIVATE file mapping: writes are not carried through */
    m = xmap((size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("MAP_PRIVATE file mapping initially shows file data: \"%.10s\"\n", m + 100);
    memcpy(m + 100, "PRIVATE!!!", 10);
    CHECK_SYS(msync(m, (size_t)pg, MS_SYNC));
    n = pread(fd, buf, 10, 100);
    printf("after writing the private mapping: mapping \"%.10s\", file still \"%.10s\"\n",
           m + 100, n == 10 ? buf : "??????????");
    CHECK_SYS(madvise(m, (size_t)pg, MADV_DONTNEED));
    printf("MADV_DONTNEED on private file mapping reverts to file data: \"%.10s\"\n", m + 100);
    CHECK_SYS(munmap(m, (size_t)pg));

    /* read-only fd cannot be mapped shared+writable */
    {
        char path[512];
        int ro;
        snprintf(path, sizeof path, "%s/shared.bin", t_tmpdir);
        ro = open(path, O_RDONLY);
        CHECK_SYS(ro);
        CHECK_ERR(mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED
                  ? -1 : 0, EACCES);
        printf("MAP_SHARED PROT_WRITE of an O_RDONLY fd: EACCES\n");
        m = xmap((size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
        printf("MAP_PRIVATE PROT_WRITE of an O_RDONLY fd: ok, writable: %s\n",
               yesno(touch(m, 1) == 0));
        CHECK_SYS(munmap(m, (size_t)pg));
        close(ro);
    }
    close(fd);

    /* past end of file: SIGBUS */
    fd = make_file("short.bin", 100);
    CHECK(pwrite(fd, "short", 5, 0) == 5, "pwrite short");
    m = xmap((size_t)pg * 2, PROT_READ, MAP_SHARED, fd, 0);
    printf("file of 100 bytes mapped with 2 pages: byte 0 '%c', byte 200 (same page) is zero: %s\n",
           m[0], yesno(touch(m + 200, 0) == 0 && m[200] == 0));
    {
        int s = touch(m + pg + 1, 0);
        printf("read from the page wholly beyond EOF: %s\n", sig_desc(s));
    }
    CHECK_SYS(munmap(m, (size_t)pg * 2));
    close(fd);

    /* The file changes size under a shared mapping: shrinking makes the tail fault, growing
     * (ftruncate or a write past the end) brings pages back; a forked child sees the same. */
    {
        char path[512];
        snprintf(path, sizeof path, "%s/resize.bin", t_tmpdir);
        fd = make_file("resize.bin", (size_t)pg * 3);
        m = xmap((size_t)pg * 3, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        strcpy(m + 2 * pg, "third page");
        close(fd);  /* the mapping keeps the file */
        fd = open(path, O_RDWR);
        CHECK_SYS(fd);
        CHECK_SYS(ftruncate(fd, (off_t)pg + 10));
        printf("after ftruncate to 1 page + 10: page 1 readable: %s, ", yesno(touch(m + pg + 5, 0) == 0));
        printf("page 2: %s\n", sig_desc(touch(m + 2 * pg, 0)));
        pid = t_fork();
        if (pid == 0)
            _exit(touch(m + 2 * pg, 1) == SIGBUS ? 0 : 1);
        st = t_wait(pid);
        printf("child's store to the truncated page: SIGBUS: %s\n", yesno(WIFEXITED(st) && WEXITSTATUS(st) == 0));
        CHECK_SYS(ftruncate(fd, (off_t)pg * 3));
        printf("grown back: page 2 reads zero: %s\n", yesno(touch(m + 2 * pg, 0) == 0 && m[2 * pg] == 0));
        CHECK_SYS(ftruncate(fd, 0));
        printf("truncated to 0: page 0: %s\n", sig_desc(touch(m, 0)));
        CHECK(pwrite(fd, "x", 1, (off_t)pg * 2 + 7) == 1, "pwrite past end");
        printf("grown by pwrite to 3 pages: page 2 byte 7 '%c', ", m[2 * pg + 7]);
        printf("page 0 writable: %s\n", yesno(touch(m, 1) == 0));
        CHECK_SYS(munmap(m, (size_t)pg * 3));
        close(fd);
        fd = open(path, O_RDWR | O_TRUNC);
        CHECK_SYS(fd);
        m = xmap((size_t)pg, PROT_READ, MAP_SHARED, fd, 0);
        printf("mapping of an empty file: %s\n", sig_desc(touch(m, 0)));
        CHECK(write(fd, "grown", 5) == 5, "write");
        printf("after write(): \"%.5s\"\n", touch(m, 0) == 0 ? m : "fault");
        CHECK_SYS(munmap(m, (size_t)pg));
        close(fd);
    }
}

static void test_mremap_fixed(void)
{
    char *m = xmap((size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *r, *res;
    long i;
    int zero = 1;

    memset(m, 'A', (size_t)pg);
    r = mremap(m, (size_t)pg, (size_t)pg * 4, MREMAP_MAYMOVE);
    CHECK(r != MAP_FAILED, "mremap grow: %s", errname(errno));
    for (i = pg; i < pg * 4; i++)
        if (r[i])
            zero = 0;
    printf("mremap grow 1 -> 4 pages: old content kept: %s, new part zero: %s\n",
           yesno(r[0] == 'A' && r[pg - 1] == 'A'), yesno(zero));
    r[pg * 4 - 1] = 'Z';
    printf("grown mapping writable at its end: %s\n", yesno(r[pg * 4 - 1] == 'Z'));
    m = mremap(r, (size_t)pg * 4, (size_t)pg, 0);
    CHECK(m == r, "mremap shrink in place");
    printf("mremap shrink in place: ok, tail now unmapped: %s\n",
           yesno(touch(r + pg * 2, 0) == SIGSEGV));
    CHECK_SYS(munmap(m, (size_t)pg));

    /* MAP_FIXED replaces part of an existing mapping */
    res = xmap((size_t)pg * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(res, 'R', (size_t)pg * 4);
    m = mmap(res + pg, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
             -1, 0);
    printf("MAP_FIXED returns the requested address: %s\n", yesno(m == res + pg));
    printf("MAP_FIXED page is fresh zeroes, neighbours kept: %s\n",
           yesno(res[pg] == 0 && res[2 * pg - 1] == 0 && res[0] == 'R' && res[2 * pg] == 'R'));
    CHECK_SYS(munmap(res, (size_t)pg * 4));

    /* madvise DONTNEED on private anonymous memory */
    m = xmap((size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(m, 'D', (size_t)pg * 2);
    CHECK_SYS(madvise(m, (size_t)pg, MADV_DONTNEED));
    printf("MADV_DONTNEED zeroes a private anonymous page: %s, other page kept: %s\n",
           yesno(m[0] == 0 && m[pg - 1] == 0), yesno(m[pg] == 'D'));
    CHECK_SYS(munmap(m, (size_t)pg * 2));

    /* errors */
    CHECK_ERR(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0,
              EINVAL);
    printf("mmap length 0: EINVAL\n");
    CHECK_ERR(mmap(NULL, (size_t)pg, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0,
              EINVAL);
    printf("mmap without MAP_PRIVATE/MAP_SHARED: EINVAL\n");
    CHECK_ERR(mmap(NULL, (size_t)pg, PROT_READ, MAP_PRIVATE, 999, 0) == MAP_FAILED ? -1 : 0,
              EBADF);
    printf("mmap of a bad fd: EBADF\n");
    m = xmap((size_t)pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_ERR(munmap(m + 1, (size_t)pg), EINVAL);
    printf("munmap of unaligned address: EINVAL\n");
    CHECK_SYS(munmap(m, (size_t)pg));
    CHECK_SYS(munmap(m, (size_t)pg));
    printf("munmap of an already unmapped range: ok\n");
}

static void test_brk(void)
{
    char *start, *grown, *after, *shrunk, *raw0;
    long i;
    int ok = 1;

    /* no stdio between the sbrk calls (stdio might malloc) */
    start = sbrk(0);
    grown = sbrk(65536);
    after = sbrk(0);
    if (grown != (char *)-1)
        for (i = 0; i < 65536; i++)
            grown[i] = (char)i;
    for (i = 0; grown != (char *)-1 && i < 65536; i++)
        if (grown[i] != (char)i)
            ok = 0;
    shrunk = sbrk(-65536);
    raw0 = sbrk(0);
    CHECK(grown != (char *)-1, "sbrk(65536) failed");
    printf("sbrk(65536) returned the old break: %s\n", yesno(grown == start));
    printf("sbrk grew by 65536: %s\n", yesno(after == start + 65536));
    printf("new heap memory writable and readable: %s\n", yesno(ok));
    printf("sbrk(-65536) returned the grown break and restored it: %s\n",
           yesno(shrunk == after && raw0 == start));
}

static int maps_perms_for(const void *addr, char perms[5], char *path, size_t pathlen)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi;
        char pm[8];
        int off = 0;
        if (sscanf(line, "%llx-%llx %7s %*s %*s %*s%n", &lo, &hi, pm, &off) < 3)
            continue;
        if ((unsigned long long)(uintptr_t)addr >= lo && (unsigned long long)(uintptr_t)addr < hi) {
            char *p = line + off, *nl;
            memcpy(perms, pm, 4);
            perms[4] = 0;
            while (*p == ' ')
                p++;
            nl = strchr(p, '\n');
            if (nl)
                *nl = 0;
            if (path)
                snprintf(path, pathlen, "%s", p);
            found = 1;
            break;
        }
    }
    fclose(f);
    return found;
}

static void test_proc_maps(void)
{
    char perms[5] = "????", path[512];
    char *m = xmap((size_t)pg * 3, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *ro, *fm;
    int fd, r;
    const char *slash;

    CHECK_SYS(mprotect(m + pg, (size_t)pg, PROT_READ | PROT_WRITE));
    m[pg] = 1;
    r = maps_perms_for(m + pg, perms, NULL, 0);
    if (r < 0) {
        printf("/proc/self/maps: cannot open (%s)\n", errname(errno));
    } else {
        printf("maps shows rw-p mapping: %s\n", yesno(r == 1 && strcmp(perms, "rw-p") == 0));
        r = maps_perms_for(m, perms, NULL, 0);
        printf("maps shows ---p guard page: %s\n", yesno(r == 1 && strcmp(perms, "---p") == 0));
        ro = xmap((size_t)pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        r = maps_perms_for(ro, perms, NULL, 0);
        printf("maps shows r--p mapping: %s\n", yesno(r == 1 && strcmp(perms, "r--p") == 0));
        CHECK_SYS(munmap(ro, (size_t)pg));
        r = maps_perms_for(ro, perms, NULL, 0);
        printf("unmapped range no longer listed: %s\n", yesno(r == 0));
        fd = make_file("mapped-file.bin", (size_t)pg);
        fm = xmap((size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        r = maps_perms_for(fm, perms, path, sizeof path);
        slash = strrchr(path, '/');
        printf("maps shows rw-s file mapping with its file name: %s, %s\n",
               yesno(r == 1 && strcmp(perms, "rw-s") == 0),
               yesno(slash && strcmp(slash, "/mapped-file.bin") == 0));
        CHECK_SYS(munmap(fm, (size_t)pg));
        close(fd);
        {
            int stack_var = 0;
            r = maps_perms_for(&stack_var, perms, path, sizeof path);
            printf("maps: current stack is in a [stack] rw-p mapping: %s\n",
                   yesno(r == 1 && strcmp(perms, "rw-p") == 0 && strcmp(path, "[stack]") == 0));
        }
    }
    CHECK_SYS(munmap(m, (size_t)pg * 3));
}

int main(void)
{
    t_init("mmap");
    pg = sysconf(_SC_PAGESIZE);
    CHECK(pg > 0, "page size");
    install_fault_handlers();
    t_mktmpdir();
    test_anon();
    test_protect();
    test_fork_sharing();
    test_file_maps();
    test_mremap_fixed();
    test_brk();
    test_proc_maps();
    t_done();
    return 0;
}
