/*
 * exec_fail.c - an exec that fails after its point of no return.
 *
 * The program writes small static ELF files by hand: three PT_LOADs (text that exits 42,
 * a read-only page, data with a bss). In the bad ones one segment's file offset is 2^63:
 * everything up to the host's mmap accepts it (the offset matches the address modulo the
 * page size and offset + size does not wrap), and the mmap fails with EOVERFLOW (no file
 * reaches that far). Linux has already given up the old program then and kills the process
 * with SIGSEGV, even when SIGSEGV is blocked or handled (force_fatal_sig). umlab queues an
 * exec's mappings and makes them in one trip: the failure must still be that, and the
 * segments mapped before the bad one must never run (they would exit 42).
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define BAD_OFFSET 0x8000000000000000ull

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* Writes the ELF; `bad` is the index of the segment with the impossible offset (-1: none). */
static void write_elf(const char *path, int bad)
{
    unsigned char file[0x200];
    memset(file, 0, sizeof file);
    static const unsigned char ident[16] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
    memcpy(file, ident, 16);
    uint16_t h16[] = { 2, 62 };               /* ET_EXEC, EM_X86_64 */
    memcpy(file + 16, h16, sizeof h16);
    uint32_t version = 1;
    memcpy(file + 20, &version, 4);
    uint64_t entry = 0x400100, phoff = 64, shoff = 0;
    memcpy(file + 24, &entry, 8);
    memcpy(file + 32, &phoff, 8);
    memcpy(file + 40, &shoff, 8);
    uint16_t sizes[] = { 64, 56, 3, 64, 0, 0 }; /* ehsize, phentsize, phnum, shentsize, shnum, shstrndx */
    memcpy(file + 52, sizes, sizeof sizes);
    struct phdr ph[3] = {
        { 1, 5, 0, 0x400000, 0x400000, sizeof file, sizeof file, 0x1000 },      /* text, r-x */
        { 1, 4, 0, 0x600000, 0x600000, 0x100, 0x100, 0x1000 },                  /* r-- */
        { 1, 6, 0, 0x800000, 0x800000, 0x100, 0x3000, 0x1000 },                 /* rw- with bss */
    };
    if (bad >= 0)
        ph[bad].offset = BAD_OFFSET;
    memcpy(file + 64, ph, sizeof ph);
    /* exit_group(42) */
    static const unsigned char code[] = { 0xb8, 0xe7, 0, 0, 0, 0xbf, 42, 0, 0, 0, 0x0f, 0x05 };
    memcpy(file + 0x100, code, sizeof code);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    CHECK(fd >= 0, "create %s: %s", path, errname(errno));
    CHECK(t_write_full(fd, file, sizeof file) == (ssize_t)sizeof file, "write %s", path);
    close(fd);
}

static void sigsegv_handler(int sig) { (void)sig; _exit(3); }

/* Runs `path` in a child; `hostile`: the child first handles and blocks SIGSEGV. */
static int run(const char *path, int hostile)
{
    pid_t pid = t_fork();
    if (pid == 0) {
        if (hostile) {
            signal(SIGSEGV, sigsegv_handler);
            sigset_t s;
            sigemptyset(&s);
            sigaddset(&s, SIGSEGV);
            sigprocmask(SIG_BLOCK, &s, NULL);
        }
        char *const argv[] = { (char *)path, NULL };
        execv(path, argv);
        _exit(100 + errno);
    }
    return t_wait(pid);
}

static void report(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exit %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("%s: status 0x%x\n", what, st);
}

int main(void)
{
    t_init("exec_fail");
    const char *dir = t_mktmpdir();
    char path[512];

    snprintf(path, sizeof path, "%s/good", dir);
    write_elf(path, -1);
    report("three segments", run(path, 0));

    static const char *names[] = { "first", "middle", "last" };
    for (int bad = 0; bad < 3; bad++) {
        snprintf(path, sizeof path, "%s/bad%d", dir, bad);
        write_elf(path, bad);
        char what[64];
        snprintf(what, sizeof what, "%s segment unmappable", names[bad]);
        report(what, run(path, 0));
        snprintf(what, sizeof what, "%s segment unmappable, SIGSEGV handled and blocked", names[bad]);
        report(what, run(path, 1));
    }
    t_done();
    return 0;
}
