/*
 * overlay.c - a writable root's semantics, the same natively on a plain directory and under
 * `umlab run --overlay STATE` on a read-only lower one.
 *
 *   overlay setup DIR   makes the fixture (run natively, once)
 *   overlay change DIR  changes it and prints what a program sees
 *   overlay list DIR    prints the whole tree (names, kinds, modes, sizes, contents)
 *
 * The differential test runs `change` then `list` natively on a fresh copy of the fixture, and
 * under umlab on the fixture itself with an overlay (`list` in a second run: the layer
 * persists); the outputs must match, and the fixture must be unchanged.
 */
#include "testutil.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>

static char path[4096];
static const char *at(const char *dir, const char *name) {
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static void put(const char *dir, const char *name, const char *text, mode_t mode) {
    int fd = open(at(dir, name), O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) { printf("FAIL: put %s: %s\n", name, strerror(errno)); exit(1); }
    close(fd);
    chmod(path, mode);
}

static void get(const char *dir, const char *name) {
    char buf[256];
    int fd = open(at(dir, name), O_RDONLY);
    if (fd < 0) { printf("%s: open: %s\n", name, strerror(errno)); return; }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    for (char *p = buf; *p; p++) if (*p == '\n') *p = '|';
    printf("%s: \"%s\"\n", name, buf);
}

static void show_stat(const char *dir, const char *name) {
    struct stat st;
    if (lstat(at(dir, name), &st) != 0) { printf("%s: stat: %s\n", name, strerror(errno)); return; }
    printf("%s: mode %o size %lld links %lu mtime %s\n", name, st.st_mode, (long long)st.st_size,
           (unsigned long)st.st_nlink, st.st_mtime == 1000000000 ? "kept" : "changed");
}

static const char *top;  /* the directory under test, listed as "." */

static int compare(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The sorted names of a directory, "." and ".." aside, with a check for duplicates. */
static void list_names(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) { printf("ls %s: %s\n", dir, strerror(errno)); return; }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare);
    printf("ls %s:", dir == top ? "." : strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        if (i > 0 && !strcmp(names[i], names[i - 1])) printf("(DUPLICATE)");
        free(names[i]);
    }
    printf("\n");
}

static void setup(const char *dir) {
    mkdir(dir, 0755);
    put(dir, "a", "lower-a\n", 0644);
    put(dir, "b", "lower-b\n", 0640);
    put(dir, "c", "lower-c\n", 0600);
    put(dir, "d", "lower-d\n", 0644);
    put(dir, "e", "lower-e\n", 0644);
    put(dir, "f", "lower-f\n", 0644);
    put(dir, "g", "lower-g\n", 0644);
    put(dir, "t", "lower-t is longer\n", 0644);
    symlink("a", at(dir, "s"));
    mkdir(at(dir, "dir1"), 0755);
    put(dir, "dir1/x", "x\n", 0644);
    put(dir, "dir1/y", "y\n", 0644);
    mkdir(at(dir, "dir2"), 0750);
    put(dir, "dir2/inner", "inner\n", 0644);
    mkdir(at(dir, "deep"), 0755);
    mkdir(at(dir, "deep/er"), 0755);
    put(dir, "deep/er/leaf", "leaf\n", 0644);
    /* Fixed times, so a copy-up that keeps them shows. */
    const char *timed[] = {"a", "b", "c", "d", "e", "f", "g", "t", "deep/er/leaf"};
    struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
    for (unsigned i = 0; i < sizeof timed / sizeof *timed; i++) utimes(at(dir, timed[i]), tv);
}

/* mv's way with a directory the file system will not rename (EXDEV): copy, then remove. */
static void move_tree(const char *dir, const char *from, const char *to) {
    char src[2048], dst[2048];
    snprintf(src, sizeof src, "%s/%s", dir, from);
    snprintf(dst, sizeof dst, "%s/%s", dir, to);
    if (rename(src, dst) == 0) return;
    if (errno != EXDEV) { printf("rename %s: %s\n", from, strerror(errno)); return; }
    struct stat st;
    stat(src, &st);
    mkdir(dst, st.st_mode & 07777);
    DIR *d = opendir(src);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char f[4400], t[4400], buf[256];
        snprintf(f, sizeof f, "%s/%s", src, e->d_name);
        snprintf(t, sizeof t, "%s/%s", dst, e->d_name);
        int in = open(f, O_RDONLY), out = open(t, O_WRONLY | O_CREAT | O_EXCL, 0644);
        ssize_t n;
        while ((n = read(in, buf, sizeof buf)) > 0) write(out, buf, n);
        close(in); close(out);
        unlink(f);
    }
    closedir(d);
    rmdir(src);
}

static void change(const char *dir) {
    /* Appending to a lower file copies it up with its content. */
    int fd = open(at(dir, "a"), O_WRONLY | O_APPEND);
    if (fd < 0 || write(fd, "appended\n", 9) != 9) printf("append a: %s\n", strerror(errno));
    close(fd);
    get(dir, "a");
    /* A write in the middle keeps the rest; the mode survives the copy-up. */
    fd = open(at(dir, "b"), O_RDWR);
    if (fd < 0 || pwrite(fd, "B", 1, 0) != 1) printf("pwrite b: %s\n", strerror(errno));
    close(fd);
    get(dir, "b");
    struct stat st;
    stat(at(dir, "b"), &st);
    printf("b: mode %o\n", st.st_mode);
    /* A metadata-only change copies up too; content and times stay. */
    chmod(at(dir, "c"), 0604);
    show_stat(dir, "c");
    get(dir, "c");
    /* Unlink of a lower file, then a new file of that name. */
    if (unlink(at(dir, "d")) != 0) printf("unlink d: %s\n", strerror(errno));
    show_stat(dir, "d");
    list_names(dir);
    put(dir, "d", "new-d\n", 0644);
    get(dir, "d");
    /* A directory emptied, removed and made again hides the lower one (opaque). */
    unlink(at(dir, "dir1/x"));
    unlink(at(dir, "dir1/y"));
    if (rmdir(at(dir, "dir1")) != 0) printf("rmdir dir1: %s\n", strerror(errno));
    if (mkdir(at(dir, "dir1"), 0700) != 0) printf("mkdir dir1: %s\n", strerror(errno));
    list_names(at(dir, "dir1"));
    put(dir, "dir1/z", "z\n", 0644);
    list_names(at(dir, "dir1"));
    /* rmdir of a non-empty lower directory. */
    if (rmdir(at(dir, "dir2")) != 0) printf("rmdir dir2: %s\n", strerror(errno));
    /* Renames: a lower file to a new name, a lower file over another. */
    if (rename(at(dir, "e"), "/nonexistent/x") != 0) printf("rename e out: %s\n", strerror(errno));
    char from[4096];
    snprintf(from, sizeof from, "%s/e", dir);
    if (rename(from, at(dir, "e2")) != 0) printf("rename e: %s\n", strerror(errno));
    show_stat(dir, "e");
    get(dir, "e2");
    snprintf(from, sizeof from, "%s/f", dir);
    if (rename(from, at(dir, "g")) != 0) printf("rename f: %s\n", strerror(errno));
    get(dir, "g");
    show_stat(dir, "f");
    /* A lower directory renamed (by copying where the file system says EXDEV). */
    move_tree(dir, "dir2", "dir3");
    list_names(at(dir, "dir3"));
    show_stat(dir, "dir2");
    /* Hard links in the writable layer. */
    char target[4096];
    snprintf(target, sizeof target, "%s/a", dir);
    if (link(target, at(dir, "a-link")) != 0) printf("link: %s\n", strerror(errno));
    struct stat s1, s2;
    stat(target, &s1);
    stat(at(dir, "a-link"), &s2);
    printf("a: links %lu, same inode as a-link: %s\n", (unsigned long)s1.st_nlink, s1.st_ino == s2.st_ino ? "yes" : "no");
    /* Symlinks: a lower one read, a new one made. */
    char buf[64];
    ssize_t n = readlink(at(dir, "s"), buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    printf("s -> %s\n", buf);
    if (symlink("deep/er/leaf", at(dir, "s2")) != 0) printf("symlink: %s\n", strerror(errno));
    get(dir, "s2");
    /* truncate(2) of a lower file; O_TRUNC of another. */
    if (truncate(at(dir, "t"), 7) != 0) printf("truncate: %s\n", strerror(errno));
    get(dir, "t");
    fd = open(at(dir, "deep/er/leaf"), O_WRONLY | O_TRUNC);
    if (fd < 0) printf("O_TRUNC: %s\n", strerror(errno));
    close(fd);
    show_stat(dir, "deep/er/leaf");
    show_stat(dir, "deep/er");
    /* Names a layer might keep for itself are ordinary names to a program. */
    list_names(dir);
    printf("overlay: done\n");
}

/* Every entry under the directory: path, kind, permission bits, size, content. */
static int list_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)flag;
    if (ftw->level == 0) return 0;
    printf("%s %c %o %lld", p + strlen(path) + 1, S_ISDIR(st->st_mode) ? 'd' : S_ISLNK(st->st_mode) ? 'l' : 'f',
           st->st_mode & 07777, S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_size);
    if (S_ISREG(st->st_mode)) {
        char buf[128];
        int fd = open(p, O_RDONLY);
        ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[n < 0 ? 0 : n] = 0;
        for (char *q = buf; *q; q++) if (*q == '\n') *q = '|';
        printf(" \"%s\"", buf);
    }
    printf("\n");
    return 0;
}

static int compare_lines(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: overlay setup|change|list DIR\n"); return 2; }
    if (!strcmp(argv[1], "setup")) { setup(argv[2]); return 0; }
    top = argv[2];
    if (!strcmp(argv[1], "change")) { change(argv[2]); return 0; }
    if (!strcmp(argv[1], "list")) {
        /* nftw's order is the directory's; sort the lines so the listing is canonical. */
        snprintf(path, sizeof path, "%s", argv[2]);
        fflush(stdout);
        char *buf = NULL;
        size_t size = 0;
        FILE *mem = open_memstream(&buf, &size);
        FILE *saved = stdout;
        stdout = mem;
        nftw(argv[2], list_one, 16, FTW_PHYS);
        fclose(mem);
        stdout = saved;
        char *lines[512];
        int n = 0;
        for (char *line = strtok(buf, "\n"); line && n < 512; line = strtok(NULL, "\n")) lines[n++] = line;
        qsort(lines, n, sizeof *lines, compare_lines);
        for (int i = 0; i < n; i++) printf("%s\n", lines[i]);
        printf("overlay: listed\n");
        return 0;
    }
    return 2;
}
