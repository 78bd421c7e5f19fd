/*
 * files.c - regular files and directories under a private /tmp directory:
 * read/write/lseek/pread/pwrite, truncate, stat, rename/unlink/link,
 * mkdir/rmdir, symlinks, readdir, open flags and errors, cwd, access,
 * readv/writev, dup family, fcntl, *at() calls, timestamps, large offsets.
 */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

static char base[256];

static const char *P(const char *rel)
{
    static char bufs[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(bufs[k], sizeof bufs[k], "%s/%s", base, rel);
    return bufs[k];
}

static void write_file(const char *rel, const char *text)
{
    int fd = open(P(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "create %s: %s", rel, errname(errno));
    CHECK(t_write_full(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", rel);
    CHECK_SYS(close(fd));
}

static char *read_file(const char *rel)
{
    static char buf[4096];
    int fd = open(P(rel), O_RDONLY);
    ssize_t n;
    CHECK(fd >= 0, "open %s: %s", rel, errname(errno));
    n = t_read_full(fd, buf, sizeof buf - 1);
    CHECK(n >= 0, "read %s", rel);
    buf[n] = 0;
    close(fd);
    return buf;
}

static void test_basic_io(void)
{
    int fd;
    char buf[64];
    ssize_t n;
    off_t o;
    struct stat sb;

    fd = open(P("data.txt"), O_RDWR | O_CREAT | O_EXCL, 0666);
    CHECK_SYS(fd);
    n = write(fd, "Hello, umlab file world!\n", 25);
    printf("write returned %ld\n", (long)n);
    CHECK_SYS(fstat(fd, &sb));
    printf("fstat: size %lld, regular: %s, mode %04o (umask 022 applied)\n",
           (long long)sb.st_size, yesno(S_ISREG(sb.st_mode)), (unsigned)(sb.st_mode & 07777));
    printf("fstat: nlink %lu\n", (unsigned long)sb.st_nlink);

    o = lseek(fd, 0, SEEK_CUR);
    printf("lseek(0, SEEK_CUR) after write: %lld\n", (long long)o);
    o = lseek(fd, 7, SEEK_SET);
    n = read(fd, buf, 5);
    buf[n > 0 ? n : 0] = 0;
    printf("lseek(7, SEEK_SET) = %lld, read 5: \"%s\"\n", (long long)o, buf);
    o = lseek(fd, 1, SEEK_CUR);
    n = read(fd, buf, 4);
    buf[n > 0 ? n : 0] = 0;
    printf("lseek(1, SEEK_CUR) = %lld, read 4: \"%s\"\n", (long long)o, buf);
    o = lseek(fd, -7, SEEK_END);
    n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("lseek(-7, SEEK_END) = %lld, read returned %ld: \"%.6s\"\n", (long long)o, (long)n, buf);
    n = read(fd, buf, 10);
    printf("read at EOF returned %ld\n", (long)n);
    CHECK_ERR(lseek(fd, -100, SEEK_SET), EINVAL);
    printf("lseek to negative offset: EINVAL\n");
    o = lseek(fd, 100, SEEK_SET);
    printf("lseek past EOF allowed: %lld\n", (long long)o);

    /* pread/pwrite do not move the file offset */
    CHECK_SYS(lseek(fd, 3, SEEK_SET));
    n = pwrite(fd, "UMLAB", 5, 14);
    printf("pwrite at 14 returned %ld, offset still %lld\n", (long)n,
           (long long)lseek(fd, 0, SEEK_CUR));
    n = pread(fd, buf, 11, 7);
    buf[n > 0 ? n : 0] = 0;
    printf("pread 11 at 7: \"%s\", offset still %lld\n", buf, (long long)lseek(fd, 0, SEEK_CUR));
    n = pread(fd, buf, 10, 1000);
    printf("pread beyond EOF returned %ld\n", (long)n);
    CHECK_SYS(fsync(fd));
    CHECK_SYS(fdatasync(fd));
    printf("fsync / fdatasync: ok\n");
    CHECK_SYS(close(fd));
    printf("file now: %s", read_file("data.txt"));
    CHECK_ERR(close(fd), EBADF);
    printf("close of closed fd: EBADF\n");
    CHECK_ERR(read(fd, buf, 1), EBADF);
    printf("read of closed fd: EBADF\n");
}

static void test_truncate(void)
{
    int fd, i, allzero = 1;
    struct stat sb;
    unsigned char buf[8192];
    ssize_t n;

    fd = open(P("trunc.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK_SYS(fd);
    CHECK(write(fd, "0123456789", 10) == 10, "write digits");
    CHECK_SYS(ftruncate(fd, 5000));
    CHECK_SYS(fstat(fd, &sb));
    printf("ftruncate grow to 5000: size %lld\n", (long long)sb.st_size);
    n = pread(fd, buf, sizeof buf, 0);
    for (i = 10; i < n; i++)
        if (buf[i])
            allzero = 0;
    printf("read back %ld bytes, first 10 kept: %s, rest zeros: %s\n", (long)n,
           yesno(memcmp(buf, "0123456789", 10) == 0), yesno(allzero));
    CHECK_SYS(ftruncate(fd, 4));
    CHECK_SYS(fstat(fd, &sb));
    n = pread(fd, buf, sizeof buf, 0);
    buf[n > 0 ? n : 0] = 0;
    printf("ftruncate shrink to 4: size %lld, content \"%s\"\n", (long long)sb.st_size, buf);
    CHECK_SYS(ftruncate(fd, 8));
    n = pread(fd, buf, sizeof buf, 0);
    printf("grow again to 8: read %ld, bytes 4..7 zero: %s\n", (long)n,
           yesno(n == 8 && !buf[4] && !buf[5] && !buf[6] && !buf[7]));
    close(fd);
    CHECK_SYS(truncate(P("trunc.bin"), 2));
    CHECK_SYS(stat(P("trunc.bin"), &sb));
    printf("truncate(path, 2): size %lld\n", (long long)sb.st_size);
    CHECK_ERR(ftruncate(fd, 0), EBADF);
    fd = open(P("trunc.bin"), O_RDONLY);
    CHECK_ERR(ftruncate(fd, 0), EINVAL);
    printf("ftruncate on O_RDONLY fd: EINVAL\n");
    close(fd);

    /* large sparse offset beyond 4 GiB */
    fd = open(P("sparse.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK_SYS(fd);
    {
        off_t big = (off_t)5 << 30;
        off_t o = lseek(fd, big, SEEK_SET);
        char c = 0;
        printf("lseek to 5 GiB: %s\n", o == big ? "ok" : errname(errno));
        CHECK(write(fd, "Z", 1) == 1, "write at 5GiB: %s", errname(errno));
        CHECK_SYS(fstat(fd, &sb));
        printf("sparse file size after 1-byte write at 5 GiB: %lld\n", (long long)sb.st_size);
        CHECK(pread(fd, &c, 1, big) == 1 && c == 'Z', "pread at 5GiB");
        CHECK(pread(fd, &c, 1, (off_t)3 << 30) == 1 && c == 0, "pread hole at 3GiB");
        printf("pread at 5 GiB: 'Z', hole at 3 GiB reads zero: ok\n");
    }
    close(fd);
    CHECK_SYS(unlink(P("sparse.bin")));
}

static void test_append_excl(void)
{
    int fd;
    struct stat sb;

    write_file("app.txt", "abc");
    fd = open(P("app.txt"), O_WRONLY | O_APPEND);
    CHECK_SYS(fd);
    CHECK_SYS(lseek(fd, 0, SEEK_SET));
    CHECK(write(fd, "def", 3) == 3, "append write");
    printf("O_APPEND write after lseek(0): offset now %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    CHECK(pwrite(fd, "GH", 2, 0) == 2, "pwrite append");
    close(fd);
    printf("O_APPEND file content: %s (Linux pwrite on O_APPEND appends)\n", read_file("app.txt"));

    fd = open(P("app.txt"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd < 0, "O_EXCL on existing file succeeded");
    printf("O_CREAT|O_EXCL on existing file: %s\n", errname(errno));
    fd = open(P("missing.txt"), O_RDONLY);
    CHECK(fd < 0, "open missing succeeded");
    printf("open of missing file: %s\n", errname(errno));
    fd = open(P("nodir/x"), O_WRONLY | O_CREAT, 0644);
    printf("create inside missing directory: %s\n", fd < 0 ? errname(errno) : "ok?");
    fd = open(P("app.txt/x"), O_RDONLY);
    printf("open with a file as a path component: %s\n", fd < 0 ? errname(errno) : "ok?");
    fd = open(P("app.txt"), O_RDONLY | O_DIRECTORY);
    printf("O_DIRECTORY on a regular file: %s\n", fd < 0 ? errname(errno) : "ok?");
    fd = open(base, O_WRONLY);
    printf("open directory O_WRONLY: %s\n", fd < 0 ? errname(errno) : "ok?");

    fd = open(P("app.txt"), O_RDWR | O_TRUNC);
    CHECK_SYS(fd);
    CHECK_SYS(fstat(fd, &sb));
    printf("O_TRUNC: size %lld\n", (long long)sb.st_size);
    close(fd);
    fd = open(P("app.txt"), O_RDONLY);
    CHECK_SYS(fd);
    CHECK_ERR(write(fd, "x", 1), EBADF);
    printf("write on O_RDONLY fd: EBADF\n");
    close(fd);
}

static void test_names(void)
{
    struct stat sb;
    char lbuf[64];
    ssize_t n;

    write_file("old.txt", "rename me");
    CHECK_SYS(rename(P("old.txt"), P("new.txt")));
    printf("rename: old exists: %s, new content: %s\n",
           yesno(access(P("old.txt"), F_OK) == 0), read_file("new.txt"));
    write_file("victim.txt", "to be replaced");
    CHECK_SYS(rename(P("new.txt"), P("victim.txt")));
    printf("rename over existing file: content now \"%s\"\n", read_file("victim.txt"));
    CHECK_ERR(rename(P("nope"), P("nope2")), ENOENT);
    printf("rename of missing file: ENOENT\n");

    CHECK_SYS(link(P("victim.txt"), P("hard.txt")));
    CHECK_SYS(stat(P("victim.txt"), &sb));
    printf("after link: nlink %lu\n", (unsigned long)sb.st_nlink);
    {
        struct stat s2;
        CHECK_SYS(stat(P("hard.txt"), &s2));
        printf("hard link shares inode: %s\n", yesno(sb.st_ino == s2.st_ino && sb.st_dev == s2.st_dev));
    }
    CHECK_SYS(unlink(P("victim.txt")));
    CHECK_SYS(stat(P("hard.txt"), &sb));
    printf("after unlink of original: nlink %lu, content \"%s\"\n", (unsigned long)sb.st_nlink,
           read_file("hard.txt"));
    CHECK_ERR(unlink(P("victim.txt")), ENOENT);
    printf("unlink missing: ENOENT\n");
    CHECK_ERR(link(P("hard.txt"), P("hard.txt")), EEXIST);
    printf("link onto existing name: EEXIST\n");

    /* unlinked-but-open file stays readable */
    {
        int fd = open(P("hard.txt"), O_RDONLY);
        char b[32];
        CHECK_SYS(fd);
        CHECK_SYS(unlink(P("hard.txt")));
        CHECK_SYS(fstat(fd, &sb));
        n = read(fd, b, sizeof b - 1);
        b[n > 0 ? n : 0] = 0;
        printf("open fd after unlink: nlink %lu, still reads \"%s\"\n",
               (unsigned long)sb.st_nlink, b);
        close(fd);
    }

    write_file("target.txt", "pointed to");
    CHECK_SYS(symlink("target.txt", P("link")));
    n = readlink(P("link"), lbuf, sizeof lbuf);
    printf("readlink returned %ld: \"%.*s\"\n", (long)n, (int)(n > 0 ? n : 0), lbuf);
    n = readlink(P("link"), lbuf, 3);
    printf("readlink with 3-byte buffer returned %ld (truncated, no NUL)\n", (long)n);
    CHECK_SYS(lstat(P("link"), &sb));
    printf("lstat(link): S_ISLNK %s, size %lld\n", yesno(S_ISLNK(sb.st_mode)), (long long)sb.st_size);
    CHECK_SYS(stat(P("link"), &sb));
    printf("stat(link) follows: S_ISREG %s, size %lld\n", yesno(S_ISREG(sb.st_mode)),
           (long long)sb.st_size);
    printf("read through symlink: %s\n", read_file("link"));
    CHECK_ERR(readlink(P("target.txt"), lbuf, sizeof lbuf), EINVAL);
    printf("readlink on a regular file: EINVAL\n");
    CHECK_SYS(symlink("does-not-exist", P("dangling")));
    CHECK_ERR(stat(P("dangling"), &sb), ENOENT);
    CHECK_SYS(lstat(P("dangling"), &sb));
    printf("dangling symlink: stat ENOENT, lstat ok\n");
    CHECK_SYS(symlink("loop2", P("loop1")));
    CHECK_SYS(symlink("loop1", P("loop2")));
    CHECK_ERR(open(P("loop1"), O_RDONLY), ELOOP);
    printf("symlink loop: ELOOP\n");
    CHECK_ERR(open(P("link"), O_RDONLY | O_NOFOLLOW), ELOOP);
    printf("O_NOFOLLOW on symlink: ELOOP\n");
    unlink(P("dangling"));
    unlink(P("loop1"));
    unlink(P("loop2"));
}

static void test_dirs(void)
{
    struct stat sb;

    CHECK_SYS(mkdir(P("sub"), 0755));
    CHECK_SYS(stat(P("sub"), &sb));
    printf("mkdir: S_ISDIR %s, mode %04o\n", yesno(S_ISDIR(sb.st_mode)),
           (unsigned)(sb.st_mode & 07777));
    CHECK_ERR(mkdir(P("sub"), 0755), EEXIST);
    printf("mkdir existing: EEXIST\n");
    write_file("sub/inner.txt", "inside");
    CHECK_ERR(rmdir(P("sub")), ENOTEMPTY);
    printf("rmdir non-empty: ENOTEMPTY\n");
    CHECK_ERR(unlink(P("sub")), EISDIR);
    printf("unlink on a directory: EISDIR\n");
    CHECK_ERR(rmdir(P("target.txt")), ENOTDIR);
    printf("rmdir on a file: ENOTDIR\n");
    CHECK_SYS(mkdir(P("sub/deeper"), 0700));
    CHECK_SYS(rename(P("sub"), P("moved")));
    printf("rename directory: new path has file: %s\n",
           yesno(access(P("moved/inner.txt"), R_OK) == 0));
    CHECK_SYS(unlink(P("moved/inner.txt")));
    CHECK_SYS(rmdir(P("moved/deeper")));
    CHECK_SYS(rmdir(P("moved")));
    printf("rmdir after emptying: ok, gone: %s\n", yesno(access(P("moved"), F_OK) != 0));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_readdir(void)
{
    DIR *d;
    struct dirent *de;
    char *names[64];
    int n = 0, i, dtype_ok = 1;

    CHECK_SYS(mkdir(P("list"), 0755));
    write_file("list/b.txt", "b");
    write_file("list/a.txt", "a");
    write_file("list/zeta", "z");
    CHECK_SYS(mkdir(P("list/c-dir"), 0755));
    CHECK_SYS(symlink("a.txt", P("list/d-link")));

    d = opendir(P("list"));
    CHECK(d != NULL, "opendir: %s", errname(errno));
    while ((de = readdir(d)) != NULL && n < 64) {
        char rel[300];
        struct stat sb;
        char kind;
        snprintf(rel, sizeof rel, "list/%s", de->d_name);
        CHECK_SYS(lstat(P(rel), &sb));
        kind = S_ISDIR(sb.st_mode) ? 'd' : S_ISLNK(sb.st_mode) ? 'l' : S_ISREG(sb.st_mode) ? 'f' : '?';
        if (de->d_type != DT_UNKNOWN) {
            char k2 = de->d_type == DT_DIR ? 'd' : de->d_type == DT_LNK ? 'l' :
                      de->d_type == DT_REG ? 'f' : '?';
            if (k2 != kind)
                dtype_ok = 0;
        }
        names[n] = malloc(strlen(de->d_name) + 4);
        sprintf(names[n], "%s(%c)", de->d_name, kind);
        n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    printf("readdir (%d entries, sorted):", n);
    for (i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
    printf("d_type agrees with lstat where known: %s\n", yesno(dtype_ok));

    d = opendir(P("list/a.txt"));
    printf("opendir on a file: %s\n", d ? "ok?" : errname(errno));
    if (d)
        closedir(d);
    d = opendir(P("list/none"));
    printf("opendir on missing: %s\n", d ? "ok?" : errname(errno));
    if (d)
        closedir(d);
}

static void test_cwd_access(void)
{
    char cwd[1024], saved[1024];
    const char *slash, *tail;
    int fd;

    CHECK(getcwd(saved, sizeof saved) != NULL, "getcwd");
    CHECK_SYS(chdir(base));
    CHECK_SYS(mkdir("cwdsub", 0755));
    CHECK_SYS(chdir("cwdsub"));
    CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd 2");
    slash = strrchr(base, '/');
    tail = strstr(cwd, slash ? slash + 1 : base);
    printf("getcwd after chdir(tmpdir) + chdir(\"cwdsub\"): <tmpdir>%s\n",
           tail ? tail + strlen(slash ? slash + 1 : base) : "(not under tmpdir)");
    fd = open("../list/a.txt", O_RDONLY);
    printf("relative open ../list/a.txt from cwd: %s\n", fd >= 0 ? "ok" : errname(errno));
    if (fd >= 0)
        close(fd);
    CHECK_SYS(chdir(".."));
    CHECK_SYS(rmdir("cwdsub"));
    {
        char small[2];
        char *r = getcwd(small, sizeof small);
        printf("getcwd with 2-byte buffer: %s\n", r ? "ok?" : errname(errno));
    }
    CHECK_ERR(chdir("list/a.txt"), ENOTDIR);
    printf("chdir to a file: ENOTDIR\n");
    fd = open(".", O_RDONLY | O_DIRECTORY);
    CHECK_SYS(fd);
    CHECK_SYS(chdir("/"));
    CHECK_SYS(fchdir(fd));
    close(fd);
    printf("fchdir back to tmpdir: list/a.txt reachable: %s\n",
           yesno(access("list/a.txt", F_OK) == 0));

    CHECK_SYS(chmod("list/a.txt", 0644));
    printf("access F_OK: %s, R_OK: %s, W_OK: %s, X_OK on 0644 file: %s\n",
           access("list/a.txt", F_OK) == 0 ? "0" : errname(errno),
           access("list/a.txt", R_OK) == 0 ? "0" : errname(errno),
           access("list/a.txt", W_OK) == 0 ? "0" : errname(errno),
           access("list/a.txt", X_OK) == 0 ? "0" : errname(errno));
    CHECK_SYS(chmod("list/a.txt", 0755));
    printf("after chmod 0755, X_OK: %s\n", access("list/a.txt", X_OK) == 0 ? "0" : errname(errno));
    printf("access on missing: %s\n", access("list/none", F_OK) == 0 ? "0" : errname(errno));
    CHECK_SYS(chdir(saved));
}

static void test_stat_misc(void)
{
    struct stat sb;
    struct timespec ts[2];
    int fd;

    CHECK_SYS(stat(base, &sb));
    printf("stat(tmpdir): S_ISDIR %s, S_ISREG %s, mode %04o\n", yesno(S_ISDIR(sb.st_mode)),
           yesno(S_ISREG(sb.st_mode)), (unsigned)(sb.st_mode & 07777));
    write_file("times.txt", "t");
    ts[0].tv_sec = 1000000000; ts[0].tv_nsec = 0;         /* atime */
    ts[1].tv_sec = 1234567890; ts[1].tv_nsec = 500000000; /* mtime */
    CHECK_SYS(utimensat(AT_FDCWD, P("times.txt"), ts, 0));
    CHECK_SYS(stat(P("times.txt"), &sb));
    printf("utimensat: atime %lld, mtime %lld.%09ld\n", (long long)sb.st_atim.tv_sec,
           (long long)sb.st_mtim.tv_sec, (long)sb.st_mtim.tv_nsec);
    fd = open(P("times.txt"), O_RDWR);
    CHECK_SYS(fd);
    CHECK_SYS(fchmod(fd, 0600));
    CHECK_SYS(fstat(fd, &sb));
    printf("fchmod 0600: mode %04o\n", (unsigned)(sb.st_mode & 07777));
    close(fd);
    {
        mode_t old = umask(077);
        write_file("umasked.txt", "u");
        umask(old);
        CHECK_SYS(stat(P("umasked.txt"), &sb));
        printf("file created under umask 077 with 0644: mode %04o\n",
               (unsigned)(sb.st_mode & 07777));
    }
    CHECK_ERR(stat(P("none/none"), &sb), ENOENT);
    printf("stat missing: ENOENT\n");
    {
        char longname[400];
        memset(longname, 'n', sizeof longname - 1);
        longname[sizeof longname - 1] = 0;
        CHECK_ERR(open(P(longname), O_RDONLY), ENAMETOOLONG);
        printf("open with a 399-byte name component: ENAMETOOLONG\n");
    }
}

static void test_vec(void)
{
    int fd;
    struct iovec iov[3];
    char a[4], b[6], c[16];
    ssize_t n;

    fd = open(P("vec.txt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK_SYS(fd);
    iov[0].iov_base = (void *)"one-";
    iov[0].iov_len = 4;
    iov[1].iov_base = (void *)"two-";
    iov[1].iov_len = 4;
    iov[2].iov_base = (void *)"three";
    iov[2].iov_len = 5;
    n = writev(fd, iov, 3);
    printf("writev of 3 buffers returned %ld\n", (long)n);
    CHECK_SYS(lseek(fd, 0, SEEK_SET));
    memset(c, 0, sizeof c);
    iov[0].iov_base = a; iov[0].iov_len = sizeof a;
    iov[1].iov_base = b; iov[1].iov_len = sizeof b;
    iov[2].iov_base = c; iov[2].iov_len = sizeof c - 1;
    n = readv(fd, iov, 3);
    printf("readv returned %ld: \"%.4s\" \"%.6s\" \"%s\"\n", (long)n, a, b, c);
    iov[0].iov_base = a; iov[0].iov_len = 2;
    n = pwritev(fd, iov, 1, 0);
    n = preadv(fd, iov, 1, 4);
    printf("preadv 2 at offset 4: \"%.2s\"\n", a);
    close(fd);
}

static void test_dup_fcntl(void)
{
    int fd, fd2, fd3, fd4, other, fl;
    char b[8];

    write_file("dup.txt", "abcdefghij");
    fd = open(P("dup.txt"), O_RDWR);
    CHECK_SYS(fd);
    fd2 = dup(fd);
    CHECK_SYS(fd2);
    CHECK(read(fd, b, 3) == 3, "read 3");
    printf("dup shares offset: read 3 via fd, dup'd fd offset %lld\n",
           (long long)lseek(fd2, 0, SEEK_CUR));
    CHECK(read(fd2, b, 2) == 2, "read 2");
    printf("read 2 via dup'd fd: \"%.2s\", original offset %lld\n", b,
           (long long)lseek(fd, 0, SEEK_CUR));
    other = open(P("dup.txt"), O_RDONLY);
    CHECK_SYS(other);
    printf("separate open has independent offset: %lld\n", (long long)lseek(other, 0, SEEK_CUR));

    fd3 = dup2(fd, 50);
    printf("dup2(fd, 50) returned %d, offset %lld\n", fd3, (long long)lseek(50, 0, SEEK_CUR));
    printf("dup2(fd, fd) returns fd: %s\n", yesno(dup2(fd, fd) == fd));
    CHECK_ERR(dup2(fd, -1), EBADF);
    printf("dup2 to -1: EBADF\n");
    fd4 = dup3(fd, 51, O_CLOEXEC);
    printf("dup3(O_CLOEXEC) returned %d, FD_CLOEXEC set: %s\n", fd4,
           yesno(fcntl(51, F_GETFD) & FD_CLOEXEC));
    CHECK_ERR(dup3(fd, fd, 0), EINVAL);
    printf("dup3 with same fds: EINVAL\n");
    printf("dup2'd fd has FD_CLOEXEC clear: %s\n", yesno(!(fcntl(50, F_GETFD) & FD_CLOEXEC)));

    CHECK_SYS(fcntl(fd, F_SETFD, FD_CLOEXEC));
    printf("F_SETFD FD_CLOEXEC then F_GETFD: %s; dup'd fd unaffected: %s\n",
           yesno(fcntl(fd, F_GETFD) & FD_CLOEXEC), yesno(!(fcntl(fd2, F_GETFD) & FD_CLOEXEC)));
    fl = fcntl(fd, F_GETFL);
    printf("F_GETFL: O_RDWR %s, O_APPEND %s, O_NONBLOCK %s\n",
           yesno((fl & O_ACCMODE) == O_RDWR), yesno(fl & O_APPEND), yesno(fl & O_NONBLOCK));
    CHECK_SYS(fcntl(fd, F_SETFL, fl | O_APPEND | O_NONBLOCK));
    fl = fcntl(fd2, F_GETFL);
    printf("F_SETFL O_APPEND|O_NONBLOCK, seen via dup'd fd (shared file status): "
           "O_APPEND %s, O_NONBLOCK %s\n", yesno(fl & O_APPEND), yesno(fl & O_NONBLOCK));
    fl = fcntl(other, F_GETFL);
    printf("independent open unaffected: %s\n", yesno(!(fl & O_APPEND)));
    {
        int d = fcntl(fd, F_DUPFD, 100);
        int e = fcntl(fd, F_DUPFD_CLOEXEC, 100);
        printf("F_DUPFD(100) returned %d, F_DUPFD_CLOEXEC(100) returned %d with CLOEXEC: %s\n",
               d, e, yesno(fcntl(e, F_GETFD) & FD_CLOEXEC));
        close(d);
        close(e);
    }
    CHECK_ERR(fcntl(fd, 99999), EINVAL);
    printf("fcntl with bad command: EINVAL\n");
    CHECK_ERR(fcntl(1000, F_GETFD), EBADF);
    printf("fcntl on unopened fd: EBADF\n");
    close(fd);
    close(fd2);
    close(50);
    close(51);
    close(other);

    /* lowest free descriptor is reused */
    fd = open(P("dup.txt"), O_RDONLY);
    fd2 = open(P("dup.txt"), O_RDONLY);
    close(fd);
    fd3 = open(P("dup.txt"), O_RDONLY);
    printf("lowest free fd reused after close: %s\n", yesno(fd3 == fd));
    close(fd2);
    close(fd3);
}

static void test_at(void)
{
    int dfd, fd;
    struct stat sb;
    char buf[32];
    ssize_t n;

    dfd = open(base, O_RDONLY | O_DIRECTORY);
    CHECK_SYS(dfd);
    CHECK_SYS(mkdirat(dfd, "atdir", 0755));
    fd = openat(dfd, "atdir/f.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK_SYS(fd);
    CHECK(write(fd, "via openat", 10) == 10, "write at");
    close(fd);
    CHECK_SYS(fstatat(dfd, "atdir/f.txt", &sb, 0));
    printf("openat/fstatat relative to dir fd: size %lld\n", (long long)sb.st_size);
    CHECK_SYS(symlinkat("f.txt", dfd, "atdir/l"));
    CHECK_SYS(fstatat(dfd, "atdir/l", &sb, AT_SYMLINK_NOFOLLOW));
    printf("fstatat AT_SYMLINK_NOFOLLOW: S_ISLNK %s\n", yesno(S_ISLNK(sb.st_mode)));
    n = readlinkat(dfd, "atdir/l", buf, sizeof buf);
    printf("readlinkat: \"%.*s\"\n", (int)(n > 0 ? n : 0), buf);
    CHECK_SYS(renameat(dfd, "atdir/f.txt", dfd, "atdir/g.txt"));
    CHECK_SYS(linkat(dfd, "atdir/g.txt", dfd, "atdir/h.txt", 0));
    CHECK_SYS(fstatat(dfd, "atdir/g.txt", &sb, 0));
    printf("renameat + linkat: nlink %lu\n", (unsigned long)sb.st_nlink);
    printf("faccessat on renamed file: %s\n",
           faccessat(dfd, "atdir/g.txt", R_OK, 0) == 0 ? "0" : errname(errno));
    CHECK_SYS(unlinkat(dfd, "atdir/g.txt", 0));
    CHECK_SYS(unlinkat(dfd, "atdir/h.txt", 0));
    CHECK_SYS(unlinkat(dfd, "atdir/l", 0));
    CHECK_ERR(unlinkat(dfd, "atdir", 0), EISDIR);
    CHECK_SYS(unlinkat(dfd, "atdir", AT_REMOVEDIR));
    printf("unlinkat AT_REMOVEDIR: ok, gone: %s\n",
           yesno(faccessat(dfd, "atdir", F_OK, 0) != 0 && errno == ENOENT));
    fd = openat(dfd, "list/a.txt", O_RDONLY);
    CHECK_ERR(openat(fd, "x", O_RDONLY), ENOTDIR);
    printf("openat with a non-directory fd: ENOTDIR\n");
    close(fd);
    close(dfd);
}

/* mknod(2) itself (glibc's mknod() makes mknodat), then the mknodat form. */
static void test_mknod(void)
{
    struct stat sb;
    char path[300];

    snprintf(path, sizeof path, "%s/fifo", base);
#ifdef SYS_mknod
    CHECK_SYS(syscall(SYS_mknod, path, S_IFIFO | 0600, 0));
#else
    CHECK_SYS(mknod(path, S_IFIFO | 0600, 0));
#endif
    CHECK_SYS(stat(path, &sb));
    printf("mknod S_IFIFO: S_ISFIFO %s, mode %o\n", yesno(S_ISFIFO(sb.st_mode)), (unsigned)(sb.st_mode & 0777));
#ifdef SYS_mknod
    CHECK_ERR(syscall(SYS_mknod, path, S_IFIFO | 0600, 0), EEXIST);
#endif
    CHECK_SYS(unlink(path));
    CHECK_SYS(mknod(path, S_IFREG | 0644, 0));
    CHECK_SYS(stat(path, &sb));
    printf("mknod S_IFREG: regular %s, size %lld\n", yesno(S_ISREG(sb.st_mode)), (long long)sb.st_size);
    CHECK_SYS(unlink(path));
}

int main(void)
{
    t_init("files");
    umask(022);
    t_mktmpdir();
    snprintf(base, sizeof base, "%s", t_tmpdir);
    test_basic_io();
    test_truncate();
    test_append_excl();
    test_names();
    test_dirs();
    test_readdir();
    test_cwd_access();
    test_stat_misc();
    test_vec();
    test_dup_fcntl();
    test_at();
    test_mknod();
    t_done();
    return 0;
}
