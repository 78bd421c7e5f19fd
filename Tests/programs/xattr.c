/*
 * xattr.c - extended attributes on files of the temp directory: user.* set, get, list and
 * remove by path, without following links and by descriptor; XATTR_CREATE/XATTR_REPLACE; the
 * size query (size 0) and ERANGE for a small buffer; Linux's errors for names (empty, too
 * long, unknown namespace), values (too large), flags, bad pointers, symlinks and fifos
 * (user.* lives on regular files and directories only), and a file system without xattrs
 * (/proc). Values stay small: a native /tmp may be ext4, which keeps them in one block.
 */
#include "testutil.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

/* An address nothing is mapped at (volatile: the compiler does not see through it). */
static void *volatile bad_pointer = (void *)8;

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The names of a listxattr result, sorted (file systems list in their own order). */
static void print_list(const char *what, char *list, ssize_t n)
{
    char *names[64];
    int count = 0;
    for (char *p = list; p < list + n && count < 64; p += strlen(p) + 1)
        names[count++] = p;
    qsort(names, count, sizeof names[0], cmp);
    printf("%s:", what);
    for (int i = 0; i < count; i++)
        if (strncmp(names[i], "security.", 9) != 0)  /* an LSM may add its own */
            printf(" %s", names[i]);
    printf("\n");
}

int main(void)
{
    t_init("xattr");
    const char *dir = t_mktmpdir();
    char buf[512], list[1024];
    CHECK_SYS(chdir(dir));
    CHECK_SYS(chmod(dir, 0755));  /* the non-root child below looks inside */
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    CHECK_SYS(fd);
    CHECK_SYS(mkdir("d", 0755));
    CHECK_SYS(symlink("f", "l"));
    CHECK_SYS(mkfifo("p", 0600));

    printf("get missing: %s\n", t_result(getxattr("f", "user.a", buf, sizeof buf)));
    printf("remove missing: %s\n", t_result(removexattr("f", "user.a")));
    printf("set user.a: %s\n", t_result(setxattr("f", "user.a", "value-1", 7, 0)));
    printf("size query: %s\n", t_result(getxattr("f", "user.a", NULL, 0)));
    printf("small buffer: %s\n", t_result(getxattr("f", "user.a", buf, 3)));
    ssize_t n = getxattr("f", "user.a", buf, sizeof buf);
    printf("get: %s %.*s\n", t_result(n), n > 0 ? (int)n : 0, buf);
    printf("XATTR_CREATE existing: %s\n", t_result(setxattr("f", "user.a", "x", 1, XATTR_CREATE)));
    printf("XATTR_REPLACE missing: %s\n", t_result(setxattr("f", "user.b", "x", 1, XATTR_REPLACE)));
    printf("XATTR_REPLACE existing: %s\n", t_result(setxattr("f", "user.a", "value-two", 9, XATTR_REPLACE)));
    n = fgetxattr(fd, "user.a", buf, sizeof buf);
    printf("fgetxattr: %s %.*s\n", t_result(n), n > 0 ? (int)n : 0, buf);
    printf("XATTR_CREATE new: %s\n", t_result(fsetxattr(fd, "user.b", "", 0, XATTR_CREATE)));
    printf("empty value size: %s\n", t_result(getxattr("f", "user.b", buf, sizeof buf)));
    printf("trusted.t as root: %s\n", t_result(setxattr("f", "trusted.t", "tv", 2, 0)));
    n = listxattr("f", NULL, 0);
    printf("list size query covers the names: %s\n", n >= (ssize_t)sizeof "user.a" + (ssize_t)sizeof "user.b" ? "yes" : "no");
    n = listxattr("f", list, sizeof list);
    CHECK_SYS(n);
    print_list("list", list, n);
    printf("list into 1 byte: %s\n", t_result(listxattr("f", list, 1)));
    n = flistxattr(fd, list, sizeof list);
    CHECK_SYS(n);
    print_list("flist", list, n);
    printf("remove user.b: %s\n", t_result(fremovexattr(fd, "user.b")));
    printf("remove it again: %s\n", t_result(removexattr("f", "user.b")));

    /* A directory has them; a symlink and a fifo keep none in user.* . */
    printf("dir set: %s\n", t_result(setxattr("d", "user.dir", "1", 1, 0)));
    printf("dir get size: %s\n", t_result(getxattr("d", "user.dir", NULL, 0)));
    n = llistxattr("d", list, sizeof list);
    CHECK_SYS(n);
    print_list("dir list", list, n);
    printf("follows the link: %s\n", t_result(getxattr("l", "user.a", NULL, 0)));
    printf("lgetxattr on the link: %s lsetxattr: %s\n", t_result(lgetxattr("l", "user.a", buf, sizeof buf)),
           t_result(lsetxattr("l", "user.a", "x", 1, 0)));
    printf("lremovexattr on the link: %s\n", t_result(lremovexattr("l", "user.a")));
    printf("fifo get: %s set: %s\n", t_result(getxattr("p", "user.a", buf, sizeof buf)), t_result(setxattr("p", "user.a", "x", 1, 0)));

    /* Hostile names, values and flags. */
    char longname[300];
    memcpy(longname, "user.", 5);
    memset(longname + 5, 'n', 250);
    longname[255] = 0;
    printf("name of 255 bytes: %s\n", t_result(setxattr("f", longname, "x", 1, 0)));
    longname[255] = 'n';
    longname[256] = 0;
    printf("name of 256 bytes: %s get: %s\n", t_result(setxattr("f", longname, "x", 1, 0)),
           t_result(getxattr("f", longname, buf, sizeof buf)));
    printf("empty name: %s\n", t_result(setxattr("f", "", "x", 1, 0)));
    printf("unknown namespace: set %s get %s\n", t_result(setxattr("f", "foo.bar", "x", 1, 0)),
           t_result(getxattr("f", "foo.bar", buf, sizeof buf)));
    printf("bare prefix: %s\n", t_result(setxattr("f", "user.", "x", 1, 0)));
    static char big[65537];
    printf("value of 65537 bytes: %s\n", t_result(setxattr("f", "user.big", big, sizeof big, 0)));
    printf("bad flags: %s\n", t_result(setxattr("f", "user.a", "x", 1, 4)));
    printf("bad name pointer: %s\n", t_result(setxattr("f", (const char *)8, "x", 1, 0)));
    printf("bad value pointer: %s\n", t_result(setxattr("f", "user.a", bad_pointer, 4, 0)));
    printf("bad result pointer: %s\n", t_result(getxattr("f", "user.a", bad_pointer, 64)));
    printf("missing file: %s\n", t_result(getxattr("missing", "user.a", buf, sizeof buf)));
    printf("bad descriptor: %s\n", t_result(fgetxattr(999, "user.a", buf, sizeof buf)));
    int pfd[2];
    CHECK_SYS(pipe(pfd));
    printf("on a pipe: %s\n", t_result(fsetxattr(pfd[1], "user.a", "x", 1, 0)));
    close(pfd[0]);
    close(pfd[1]);

    /* A file system without xattrs. */
    printf("/proc get: %s set: %s list: %s\n", t_result(getxattr("/proc/self/status", "user.a", buf, sizeof buf)),
           t_result(setxattr("/proc/self/status", "user.a", "x", 1, 0)), t_result(listxattr("/proc/self/status", list, sizeof list)));

    /* A non-root user: user.* follows the file's permission bits, trusted.* is hidden. */
    pid_t pid = t_fork();
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(9);
        int ok = getxattr("f", "user.a", buf, sizeof buf) == 9;   /* 0644: readable */
        ok &= setxattr("f", "user.a", "x", 1, 0) == -1 && errno == EACCES;
        ok &= getxattr("f", "trusted.t", buf, sizeof buf) == -1 && errno == ENODATA;
        ok &= setxattr("f", "trusted.t", "x", 1, 0) == -1 && errno == EPERM;
        ssize_t m = listxattr("f", list, sizeof list);
        ok &= m > 0 && memmem(list, m, "trusted.t", 9) == NULL;
        _exit(ok ? 0 : 1);
    }
    t_wait_ok(pid, "non-root xattrs");
    printf("non-root: user.* by permission bits, trusted.* hidden\n");
    close(fd);
    t_done();
}
