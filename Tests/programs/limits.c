/*
 * limits.c - the machine's limits seen from inside (umlab run --memory/--pids/--nofile).
 *
 *   limits touch MIB        a child touches MIB MiB in 16 MiB chunks (malloc + a write per
 *                           page); the parent reports how the child ended:
 *                           "child killed by SIGKILL" (the OOM policy), or "child exited N".
 *   limits forkbomb         every process forks until fork fails; the first process counts
 *                           its own successful forks and the errno of the first failure, then
 *                           lets everything go.
 *   limits files N TMPFILES raises RLIMIT_NOFILE, creates TMPFILES tmpfs files, then holds N
 *                           descriptors open: half over host files (the root file system),
 *                           half over the tmpfs files; checks every descriptor reads what its
 *                           file holds; prints "holding N" and waits for a line on stdin.
 *   limits nofile CEILING   setrlimit/prlimit of RLIMIT_NOFILE at and above CEILING.
 *   limits sleepers N       N children asleep on a pipe at once, then let go (what each guest
 *                           process costs: Benchmarks/limits/memory.sh).
 *
 * Deterministic output, for the tests in Tests/UmlabTests/Differential.swift (LimitsTests).
 */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int touch(long mib) {
    pid_t child = fork();
    if (child < 0) { printf("fork failed: %s\n", strerror(errno)); return 1; }
    if (child == 0) {
        const long chunk = 16L << 20;
        long page = sysconf(_SC_PAGESIZE);
        for (long long done = 0; done < (long long)mib << 20; done += chunk) {  /* long is 32-bit on PowerPC */
            char *p = malloc(chunk);
            if (!p) _exit(2);  /* an allocation refused (not what the test expects) */
            for (long i = 0; i < chunk; i += page) p[i] = 1;
        }
        _exit(0);
    }
    int status;
    if (waitpid(child, &status, 0) != child) { printf("waitpid failed\n"); return 1; }
    if (WIFSIGNALED(status))
        printf("child killed by %s\n", WTERMSIG(status) == SIGKILL ? "SIGKILL" : strsignal(WTERMSIG(status)));
    else
        printf("child exited %d\n", WEXITSTATUS(status));
    return 0;
}

static int forkbomb(void) {
    int go[2];
    if (pipe(go) != 0) return 1;
    pid_t first = getpid();
    int forks = 0, failure = 0;
    for (;;) {
        pid_t c = fork();
        if (c < 0) { failure = errno; break; }
        if (c == 0) {
            /* A child keeps forking too (a real fork bomb), then waits to be let go. */
            forks = 0;
            continue;
        }
        forks++;
    }
    if (getpid() != first) {
        char b;
        close(go[1]);
        while (read(go[0], &b, 1) > 0) {}
        _exit(0);
    }
    close(go[0]);
    printf("first process forked %s, then fork failed with %s\n", forks > 0 ? "some children" : "nothing",
           failure == EAGAIN ? "EAGAIN" : strerror(failure));
    fflush(stdout);
    close(go[1]);  /* every child sees EOF and exits */
    while (wait(NULL) > 0 || errno == EINTR) {}
    printf("all children reaped\n");
    return 0;
}

static int sleepers(int n) {
    int go[2];
    if (pipe(go) != 0) return 1;
    for (int i = 0; i < n; i++) {
        pid_t c = fork();
        if (c < 0) { printf("fork %d failed: %s\n", i, strerror(errno)); return 1; }
        if (c == 0) {
            char b;
            close(go[1]);
            while (read(go[0], &b, 1) > 0) {}
            _exit(0);
        }
    }
    usleep(200000);
    close(go[1]);
    while (wait(NULL) > 0 || errno == EINTR) {}
    printf("%d sleepers\n", n);
    return 0;
}

/* Host files to open: regular files of a few directories of the root. */
static int host_files(char paths[][256], int max) {
    const char *dirs[] = { "/usr/include", "/usr/include/linux", "/etc", "/usr/bin" };
    int n = 0;
    for (unsigned d = 0; d < sizeof dirs / sizeof *dirs && n < max; d++) {
        DIR *dir = opendir(dirs[d]);
        if (!dir) continue;
        struct dirent *e;
        while ((e = readdir(dir)) && n < max) {
            char p[256];
            snprintf(p, sizeof p, "%s/%s", dirs[d], e->d_name);
            struct stat st;
            if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) continue;
            int fd = open(p, O_RDONLY);
            if (fd < 0) continue;
            close(fd);
            strcpy(paths[n++], p);
        }
        closedir(dir);
    }
    return n;
}

static int files(int count, int tmpfiles) {
    struct rlimit r = { count + 64, count + 64 };
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) { printf("setrlimit: %s\n", strerror(errno)); return 1; }
    static char paths[2000][256];
    int hosts = host_files(paths, 2000);
    if (hosts < 10) { printf("FAIL: only %d host files\n", hosts); return 1; }
    for (int i = 0; i < tmpfiles; i++) {
        char p[64], line[64];
        snprintf(p, sizeof p, "/tmp/f%d", i);
        int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        int len = snprintf(line, sizeof line, "tmpfs file %d\n", i);
        if (fd < 0 || write(fd, line, len) != len) { printf("FAIL: create %s: %s\n", p, strerror(errno)); return 1; }
        close(fd);
    }
    int *fds = malloc(sizeof(int) * count);
    int *which = malloc(sizeof(int) * count);
    for (int i = 0; i < count; i++) {
        char p[64];
        const char *path;
        if (i % 2 == 0) { which[i] = (i / 2) % hosts; path = paths[which[i]]; }
        else { which[i] = (i / 2) % tmpfiles; snprintf(p, sizeof p, "/tmp/f%d", which[i]); path = p; }
        fds[i] = open(path, O_RDONLY);
        if (fds[i] < 0) { printf("FAIL: open #%d %s: %s\n", i, path, strerror(errno)); return 1; }
    }
    /* Every descriptor reads its own file: host files against a fresh open, tmpfs by content. */
    for (int i = 0; i < count; i++) {
        char got[32] = {0}, want[32] = {0};
        if (i % 2 == 0) {
            if (i % 101 != 0) continue;  /* a sample: each check opens the file once more */
            int fd = open(paths[which[i]], O_RDONLY);
            if (fd < 0 || pread(fd, want, sizeof want - 1, 0) < 0) { printf("FAIL: reopen %s\n", paths[which[i]]); return 1; }
            close(fd);
        } else {
            snprintf(want, sizeof want, "tmpfs file %d\n", which[i]);
        }
        if (pread(fds[i], got, sizeof got - 1, 0) < 0 || memcmp(got, want, sizeof got) != 0) {
            printf("FAIL: descriptor #%d does not read its file\n", i);
            return 1;
        }
    }
    printf("holding %d\n", count);
    fflush(stdout);
    char b[8];
    (void)!read(0, b, sizeof b);
    for (int i = 0; i < count; i++) close(fds[i]);
    printf("closed %d\n", count);
    return 0;
}

static const char *result(int r) { return r == 0 ? "ok" : errno == EPERM ? "EPERM" : strerror(errno); }

static int nofile(rlim_t ceiling) {
    struct rlimit at = { ceiling, ceiling }, above = { ceiling + 1, ceiling + 1 }, soft = { 64, ceiling + 1 };
    printf("setrlimit hard=ceiling: %s\n", result(setrlimit(RLIMIT_NOFILE, &at)));
    printf("setrlimit hard=ceiling+1: %s\n", result(setrlimit(RLIMIT_NOFILE, &above)));
    printf("setrlimit soft=64 hard=ceiling+1: %s\n", result(setrlimit(RLIMIT_NOFILE, &soft)));
    printf("prlimit hard=ceiling+1: %s\n", result(prlimit(0, RLIMIT_NOFILE, &above, NULL)));
    struct rlimit now;
    getrlimit(RLIMIT_NOFILE, &now);
    printf("limit now: %s\n", now.rlim_max == ceiling && now.rlim_cur == ceiling ? "ceiling" : "other");
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && strcmp(argv[1], "touch") == 0) return touch(atol(argv[2]));
    if (argc >= 2 && strcmp(argv[1], "forkbomb") == 0) return forkbomb();
    if (argc >= 3 && strcmp(argv[1], "sleepers") == 0) return sleepers(atoi(argv[2]));
    if (argc >= 4 && strcmp(argv[1], "files") == 0) return files(atoi(argv[2]), atoi(argv[3]));
    if (argc >= 3 && strcmp(argv[1], "nofile") == 0) return nofile(strtoul(argv[2], NULL, 10));
    fprintf(stderr, "usage: limits touch MIB | forkbomb | files N TMPFILES | nofile CEILING\n");
    return 2;
}
