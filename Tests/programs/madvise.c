/* madvise.c - what MADV_DONTNEED, MADV_FREE and MADV_REMOVE do to each kind of mapping, and
 * madvise's errors, as Linux gives them.
 *
 * Linux: DONTNEED drops a mapping's pages. Private anonymous memory reads back as zeros,
 * a private file mapping as the file's current data; a shared mapping's pages belong to the
 * file, so only the view goes and the file's data stays (also under a read-only mapping).
 * FREE is for private anonymous memory only (EINVAL elsewhere). REMOVE frees the blocks of a
 * file under a shared mapping whose descriptor may write (EACCES for private or read-only
 * ones, EINVAL without a file). A range with unmapped pages gives ENOMEM. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

static long pg;

static char *xmap(size_t len, int prot, int flags, int fd, off_t off)
{
    char *m = mmap(NULL, len, prot, flags, fd, off);
    if (m == MAP_FAILED)
        fail("mmap: %s", errname(errno));
    return m;
}

/* madvise's result as a word: "0" or the errno's name. */
static const char *advise(void *addr, size_t len, int advice)
{
    errno = 0;
    return madvise(addr, len, advice) == 0 ? "0" : errname(errno);
}

static int all(const char *p, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

static int make_file(const char *name, char fill, long pages)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", t_tmpdir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK_SYS(fd);
    char *buf = malloc((size_t)(pg * pages));
    memset(buf, fill, (size_t)(pg * pages));
    CHECK(t_write_full(fd, buf, (size_t)(pg * pages)) == pg * pages, "write %s", name);
    free(buf);
    return fd;
}

static int reopen(const char *name, int flags)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", t_tmpdir, name);
    int fd = open(path, flags);
    CHECK_SYS(fd);
    return fd;
}

/* A page-aligned, page-sized array of its own in .data (a private file mapping of the program). */
static volatile char data_page[4096] __attribute__((aligned(4096))) = { 'd', 'a', 't', 'a' };

__attribute__((noinline)) static int code_on_its_page(int x)
{
    return x * 3 + 1;
}

int main(void)
{
    t_init("madvise");
    pg = sysconf(_SC_PAGESIZE);
    t_mktmpdir();
    char buf[16];
    const char *r;  /* each call's result, taken before the memory is looked at */

    /* Private anonymous memory: DONTNEED zeroes; FREE keeps what is written after it. */
    char *m = xmap((size_t)pg * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(m, 'a', (size_t)pg * 3);
    r = advise(m + pg, (size_t)pg, MADV_DONTNEED);
    printf("anon private DONTNEED: %s, zeroed %s, neighbours kept %s\n", r,
           yesno(all(m + pg, (size_t)pg, 0)), yesno(m[0] == 'a' && m[2 * pg] == 'a'));
    printf("anon private FREE: %s\n", advise(m, (size_t)pg * 3, MADV_FREE));
    memset(m, 'f', (size_t)pg);
    printf("anon private written after FREE keeps the write: %s\n", yesno(all(m, (size_t)pg, 'f')));
    printf("anon private REMOVE: %s\n", advise(m, (size_t)pg, MADV_REMOVE));
    CHECK_SYS(munmap(m, (size_t)pg * 3));

    /* Private file mapping: DONTNEED drops the private copy; the file's current data shows. */
    int fd = make_file("private", 'p', 2);
    m = xmap((size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    memset(m, 'w', (size_t)pg * 2);
    CHECK(pwrite(fd, "FILE", 4, 8) == 4, "pwrite");
    printf("private file DONTNEED: %s\n", advise(m, (size_t)pg * 2, MADV_DONTNEED));
    printf("private file reads the file again: \"%.12s\", private writes gone %s\n", m, yesno(m[pg] == 'p'));
    printf("private file FREE: %s\n", advise(m, (size_t)pg, MADV_FREE));
    printf("private file REMOVE: %s\n", advise(m, (size_t)pg, MADV_REMOVE));
    CHECK_SYS(munmap(m, (size_t)pg * 2));
    CHECK(pread(fd, buf, 4, 0) == 4, "pread");
    printf("private file's data untouched: \"%.4s\"\n", buf);
    close(fd);

    /* Shared writable file mapping: DONTNEED keeps the file's data; REMOVE frees it. */
    fd = make_file("shared", 's', 3);
    m = xmap((size_t)pg * 3, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memcpy(m + pg, "VIA-MAPPING", 11);
    printf("shared file DONTNEED: %s\n", advise(m, (size_t)pg * 3, MADV_DONTNEED));
    CHECK(pread(fd, buf, 11, pg) == 11, "pread");
    printf("shared file keeps its data: mapping \"%.11s\", file \"%.11s\"\n", m + pg, buf);
    printf("shared file FREE: %s\n", advise(m, (size_t)pg, MADV_FREE));
    printf("shared file REMOVE (middle page): %s\n", advise(m + pg, (size_t)pg, MADV_REMOVE));
    CHECK(pread(fd, buf, 4, pg) == 4, "pread");
    struct stat st;
    CHECK_SYS(fstat(fd, &st));
    printf("after REMOVE: mapping zero %s, file zero %s, neighbours kept %s, size kept %s\n",
           yesno(all(m + pg, (size_t)pg, 0)), yesno(all(buf, 4, 0)),
           yesno(m[0] == 's' && m[2 * pg] == 's'), yesno(st.st_size == pg * 3));
    CHECK_SYS(munmap(m, (size_t)pg * 3));

    /* Shared read-only mappings: DONTNEED writes nothing (the view may be a read-only host
     * mapping) and later writes to the file show through. */
    int ro = reopen("shared", O_RDONLY);
    m = xmap((size_t)pg * 3, PROT_READ, MAP_SHARED, ro, 0);
    r = advise(m, (size_t)pg * 3, MADV_DONTNEED);
    printf("shared read-only DONTNEED: %s, data kept %s\n", r, yesno(m[0] == 's' && m[pg] == 0 && m[2 * pg] == 's'));
    CHECK(pwrite(fd, "NEW", 3, 0) == 3, "pwrite");
    printf("shared read-only sees the file's new data: \"%.3s\"\n", m);
    printf("shared read-only (O_RDONLY) REMOVE: %s\n", advise(m, (size_t)pg, MADV_REMOVE));
    CHECK_SYS(munmap(m, (size_t)pg * 3));
    close(ro);
    m = xmap((size_t)pg * 3, PROT_READ, MAP_SHARED, fd, 0);
    r = advise(m, (size_t)pg * 3, MADV_DONTNEED);
    printf("shared PROT_READ of an O_RDWR file DONTNEED: %s, data kept %s\n", r, yesno(m[0] == 'N' && m[2 * pg] == 's'));
    printf("shared PROT_READ of an O_RDWR file REMOVE: %s\n", advise(m + 2 * pg, (size_t)pg, MADV_REMOVE));
    CHECK_SYS(munmap(m, (size_t)pg * 3));
    close(fd);

    /* Shared anonymous memory is a file too: DONTNEED keeps it, REMOVE frees it. */
    m = xmap((size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset(m, 'h', (size_t)pg * 2);
    pid_t child = t_fork();
    if (child == 0) {
        memcpy(m, "CHILD", 5);
        _exit(0);
    }
    t_wait_ok(child, "shared anon writer");
    r = advise(m, (size_t)pg * 2, MADV_DONTNEED);
    printf("shared anon DONTNEED: %s, data kept \"%.5s\" %s\n", r, m, yesno(m[pg] == 'h'));
    printf("shared anon FREE: %s\n", advise(m, (size_t)pg, MADV_FREE));
    r = advise(m, (size_t)pg, MADV_REMOVE);
    printf("shared anon REMOVE: %s, zeroed %s, other page kept %s\n", r, yesno(all(m, (size_t)pg, 0)), yesno(m[pg] == 'h'));
    CHECK_SYS(munmap(m, (size_t)pg * 2));

    /* The program's own pages: .data reverts to the file's contents, code still runs. */
    data_page[0] = 'D';
    data_page[100] = 'x';
    r = advise((void *)data_page, sizeof data_page, MADV_DONTNEED);
    printf(".data DONTNEED: %s, back to the file's \"%c\" %s\n", r, data_page[0], yesno(data_page[100] == 0));
    void *code = (void *)((uintptr_t)&code_on_its_page & ~(uintptr_t)(pg - 1));
    r = advise(code, (size_t)pg, MADV_DONTNEED);
    printf("code DONTNEED: %s, code runs: %d\n", r, code_on_its_page(4));

    /* Errors and the range rules. */
    m = xmap((size_t)pg * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(m, 'e', (size_t)pg * 4);
    CHECK_SYS(munmap(m + 2 * pg, (size_t)pg));
    printf("unaligned start: %s\n", advise(m + 1, (size_t)pg, MADV_DONTNEED));
    printf("unknown advice: %s\n", advise(m, (size_t)pg, 999));
    printf("length 0: %s\n", advise(m, 0, MADV_DONTNEED));
    printf("length -1: %s\n", advise(m, (size_t)-1, MADV_DONTNEED));
    printf("range wrapping the address space: %s\n", advise(m, (size_t)-pg, MADV_NORMAL));
    r = advise(m + pg, (size_t)pg * 3, MADV_DONTNEED);
    printf("hole in the range: %s, pages before it dropped %s, after it dropped %s\n", r, yesno(m[pg] == 0),
           yesno(m[3 * pg] == 0));
    printf("page before the range kept: %s\n", yesno(m[0] == 'e'));
    printf("unmapped range: %s\n", advise(m + 2 * pg, (size_t)pg, MADV_DONTNEED));
    printf("hints: NORMAL %s,", advise(m, (size_t)pg, MADV_NORMAL));
    printf(" RANDOM %s,", advise(m, (size_t)pg, MADV_RANDOM));
    printf(" SEQUENTIAL %s,", advise(m, (size_t)pg, MADV_SEQUENTIAL));
    printf(" WILLNEED %s\n", advise(m, (size_t)pg, MADV_WILLNEED));
    printf("hint over a hole: %s\n", advise(m, (size_t)pg * 4, MADV_WILLNEED));
    CHECK_SYS(munmap(m, (size_t)pg * 4));

    t_done();
}
