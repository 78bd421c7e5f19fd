// Directory permissions as an unprivileged user sees them: search (x) on every directory a path
// walks, write and search on a directory whose entries change, the sticky bit's rule for
// removing and renaming, supplementary groups, and root's bypass. Starts as root, makes the
// tree, then drops to uid/gid 4242 with one supplementary group; prints one line per check so
// that a run under umlab can be compared with a native one.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(int rc) {
    if (rc >= 0) return "ok";
    switch (errno) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EROFS: return "EROFS";
    default: return strerror(errno);
    }
}

static void must(int rc, const char *what) {
    if (rc < 0) { printf("FAIL: %s: %s\n", what, strerror(errno)); exit(1); }
}

static char base[256];
// Two buffers in turn: rename and link take two paths.
static const char *at(const char *rel) {
    static char paths[2][512];
    static int next;
    char *p = paths[next ^= 1];
    snprintf(p, sizeof paths[0], "%s/%s", base, rel);
    return p;
}

static void put(const char *rel, mode_t mode, uid_t uid) {
    int fd = open(at(rel), O_CREAT | O_WRONLY | O_TRUNC, mode);
    must(fd, rel);
    must(write(fd, "x", 1), "write");
    close(fd);
    must(chmod(at(rel), mode), "chmod");
    must(chown(at(rel), uid, uid), "chown");
}

static void dir(const char *rel, mode_t mode, uid_t uid, gid_t gid) {
    must(mkdir(at(rel), 0700), rel);
    must(chmod(at(rel), mode), "chmod dir");
    must(chown(at(rel), uid, gid), "chown dir");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    umask(022);
    strcpy(base, "/tmp/dirperms.XXXXXX");
    if (!mkdtemp(base)) { perror("mkdtemp"); return 1; }
    must(chmod(base, 0755), "chmod base");

    const uid_t me = 4242, other = 4343;
    const gid_t group = 4444;
    dir("noexec", 0644, 0, 0);          // readable, not searchable
    put("noexec/f", 0644, 0);
    dir("nowrite", 0755, 0, 0);         // searchable, not writable
    put("nowrite/f", 0666, 0);          // a writable file in it
    dir("mine", 0700, me, me);          // my own directory
    dir("grp", 0070, 0, group);         // only through the supplementary group
    put("grp/f", 0644, 0);
    dir("sticky", 01777, 0, 0);         // like /tmp
    put("sticky/theirs", 0666, other);
    put("sticky/mine", 0644, me);
    dir("open", 0777, 0, 0);            // world-writable, not sticky
    put("open/theirs", 0644, other);
    dir("open/sub", 0755, other, other);
    dir("rootonly", 0700, 0, 0);
    put("rootonly/f", 0600, 0);

    // Root bypasses search and write permission on directories.
    struct stat st;
    char link_target[16];
    printf("root: stat through a 0644 directory: %s\n", err(stat(at("noexec/f"), &st)));
    printf("root: create in a 0755 directory owned by someone else: %s\n", err(mkdir(at("open/sub/rootmade"), 0755)));

    gid_t groups[] = { group };
    must(setgroups(1, groups), "setgroups");
    must(setresgid(me, me, me), "setresgid");
    must(setresuid(me, me, me), "setresuid");

    printf("stat through a directory without x: %s\n", err(stat(at("noexec/f"), &st)));
    printf("open through a directory without x: %s\n", err(open(at("noexec/f"), O_RDONLY)));
    printf("list a readable directory without x: %s\n", err(open(at("noexec"), O_RDONLY | O_DIRECTORY)));
    printf("chdir into a directory without x: %s\n", err(chdir(at("noexec"))));
    printf("stat through a 0700 directory of root: %s\n", err(stat(at("rootonly/f"), &st)));
    printf("stat of a missing name there: %s\n", err(stat(at("rootonly/missing"), &st)));
    printf("access through it: %s\n", err(access(at("rootonly/f"), F_OK)));
    printf("create through it: %s\n", err(open(at("rootonly/new"), O_CREAT | O_WRONLY, 0644)));
    printf("readlink through it: %s\n", err((int)readlink(at("rootonly/f"), link_target, sizeof link_target)));
    printf("stat through the group's directory: %s\n", err(stat(at("grp/f"), &st)));

    printf("create in a directory without w: %s\n", err(open(at("nowrite/new"), O_CREAT | O_WRONLY, 0644)));
    printf("O_CREAT of an existing writable file there: %s\n", err(open(at("nowrite/f"), O_CREAT | O_WRONLY, 0644)));
    printf("O_CREAT|O_EXCL of an existing file there: %s\n", err(open(at("nowrite/f"), O_CREAT | O_EXCL | O_WRONLY, 0644)));
    printf("mkdir there: %s\n", err(mkdir(at("nowrite/d"), 0755)));
    printf("mkdir of an existing name there: %s\n", err(mkdir(at("nowrite/f"), 0755)));
    printf("symlink there: %s\n", err(symlink("f", at("nowrite/l"))));
    printf("mkfifo there: %s\n", err(mkfifo(at("nowrite/p"), 0644)));
    printf("unlink there: %s\n", err(unlink(at("nowrite/f"))));
    printf("rename within it: %s\n", err(rename(at("nowrite/f"), at("nowrite/g"))));
    printf("write the writable file there: %s\n", err(open(at("nowrite/f"), O_WRONLY)));
    printf("link from it into mine: %s\n", err(link(at("nowrite/f"), at("mine/hard"))));

    printf("create in my 0700 directory: %s\n", err(open(at("mine/new"), O_CREAT | O_WRONLY, 0644)));
    printf("mkdir in it: %s\n", err(mkdir(at("mine/d"), 0755)));
    printf("rename in it: %s\n", err(rename(at("mine/new"), at("mine/renamed"))));
    printf("unlink in it: %s\n", err(unlink(at("mine/renamed"))));
    printf("rmdir in it: %s\n", err(rmdir(at("mine/d"))));
    printf("create through the group's 0070 directory: %s\n", err(open(at("grp/new"), O_CREAT | O_WRONLY, 0644)));

    printf("sticky: unlink another user's file: %s\n", err(unlink(at("sticky/theirs"))));
    printf("sticky: rename another user's file: %s\n", err(rename(at("sticky/theirs"), at("sticky/moved"))));
    printf("sticky: rename onto another user's file: %s\n", err(rename(at("sticky/mine"), at("sticky/theirs"))));
    printf("sticky: write another user's 0666 file: %s\n", err(open(at("sticky/theirs"), O_WRONLY)));
    printf("sticky: rename my own file: %s\n", err(rename(at("sticky/mine"), at("sticky/mine2"))));
    printf("sticky: unlink my own file: %s\n", err(unlink(at("sticky/mine2"))));
    printf("not sticky: unlink another user's file: %s\n", err(unlink(at("open/theirs"))));
    printf("move another user's directory to a new parent: %s\n", err(rename(at("open/sub"), at("mine/sub"))));
    printf("rename another user's directory in place: %s\n", err(rename(at("open/sub"), at("open/sub2"))));
    printf("dirperms: done\n");
    return 0;
}
