/* arena-scribble.c - a TT guest that treats umlab's kernel arena as the attacker it is allowed to
 * be: it forges the records' lengths, kinds and owners, fakes records, fills the arena with
 * random bytes, and in between uses pipes, fork/exit (credential records), file I/O (the I/O
 * bounce buffer) and credential calls heavily. TT may leak and may let the guest rewrite its
 * own identity (as UML's TT did); it must never let the guest make umlab write outside the
 * arena or die.
 *
 * The stdout of the workload is the same natively, in SKAS and in TT: every scribble happens
 * while the guest's own pipes are empty and its own data is not in a kernel buffer, and the
 * guest rewrites its own credential record back to root after each one. What was done to the
 * arena goes to stderr ("arena: ..."), so the test can check that the attack really ran.
 *
 * The published arena layout (Sources/GuestKernel/KernelArena.swift): a header, then records
 * from 0x1000, each 16 bytes (u32 magic "UMKR", u16 kind, u16 in-use, i32 owner, u32 payload
 * length) and the payload, 16-byte aligned, little-endian. Where TT maps it is per ISA; the
 * program finds it in /proc/self/maps ("[umlab-kernel]"), so it runs unchanged elsewhere. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define ARENA_SIZE (32u << 20)
#define RECORD_AREA 0x1000u
#define RECORD_MAGIC 0x524b4d55u
#define PIPE_RECORD (16u + 65536u) /* a pipe ring's record, header included */
enum { KIND_CREDENTIALS = 1, KIND_PIPE = 2, KIND_IO = 3 };

static volatile unsigned char *arena; /* NULL when the kernel's memory is not ours to see */
static uint32_t seed = 12345;

static uint32_t le32(uint32_t at)
{
    volatile unsigned char *p = arena + at;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put32(uint32_t at, uint32_t v)
{
    volatile unsigned char *p = arena + at;
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

static void find_arena(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        unsigned long start;
        if (strstr(line, "[umlab-kernel]") && sscanf(line, "%lx-", &start) == 1)
            arena = (volatile unsigned char *)start;
    }
    if (f) fclose(f);
}

/* The record magic as a word read in the guest's byte order (the arena is little-endian). */
static uint32_t magic_word(void)
{
    const uint16_t probe = 1;
    return *(const unsigned char *)&probe ? RECORD_MAGIC : __builtin_bswap32(RECORD_MAGIC);
}

/* Every 16-byte slot holding a record magic, as the kernel last wrote it (forged or not). */
#define MAX_HEADERS 8192
static uint32_t headers[MAX_HEADERS];
struct scan { uint32_t end, count, free_pipes, free_creds, own_creds; };
static struct scan scan_arena(void)
{
    struct scan s = { RECORD_AREA, 0, 0, 0, 0 };
    const volatile uint32_t *words = (const volatile uint32_t *)arena;
    const uint32_t magic = magic_word();
    for (uint32_t at = RECORD_AREA; at + 16 <= ARENA_SIZE; at += 16) {
        if (words[at / 4] != magic) continue;
        if (s.count < MAX_HEADERS) headers[s.count++] = at;
        uint32_t kind = le32(at + 4) & 0xffff, used = le32(at + 4) >> 16, len = le32(at + 12);
        int32_t owner = (int32_t)le32(at + 8);
        if (len > ARENA_SIZE) continue;  /* a header forged earlier */
        if (at + 16 + len > s.end) s.end = (at + 16 + len + 15) & ~15u;
        if (kind == KIND_PIPE && !used) s.free_pipes++;
        if (kind == KIND_CREDENTIALS && !used) s.free_creds++;
        if (kind == KIND_CREDENTIALS && used && owner == getpid()) s.own_creds = at;
    }
    return s;
}

/* This process's credential record (found before any scribbling: it stays where it is). */
static uint32_t own_record;

/* Zeroes this process's credential words (TT's become-root), so the workload's permission
 * checks come out as natively, where the program runs as root. */
static void become_root(void)
{
    if (own_record)
        for (int i = 0; i < 8; i++) put32(own_record + 16 + 4 * (uint32_t)i, 0);
}

/* One round of scribbling; `how` picks the attack. Returns the number of headers touched. */
static int scribble(int how)
{
    struct scan s = scan_arena();
    static const uint32_t lengths[] = { 0xfffffff0u, 0x7fffffffu, ARENA_SIZE, 65536, 0, 1u << 20, 48, 0xffffffffu };
    for (uint32_t i = 0; i < s.count; i++) {
        uint32_t at = headers[i];
        switch (how % 4) {
        case 0: put32(at + 12, lengths[t_lcg(&seed) % 8]); break;             /* forged lengths */
        case 1: put32(at + 4, t_lcg(&seed)); put32(at + 8, t_lcg(&seed)); break; /* kind, in-use, owner */
        case 2: put32(at, t_lcg(&seed)); put32(at + 12, t_lcg(&seed)); break; /* magic and length gone */
        case 3: for (int j = 0; j < 16; j += 4) put32(at + (uint32_t)j, t_lcg(&seed)); break;
        }
    }
    /* The arena's own header: size and record-area offset. */
    put32(12, t_lcg(&seed));
    put32(16, t_lcg(&seed));
    /* Fake records with huge lengths in free space and at the very end, and random bytes in
     * 64 random 4 KiB pieces (pipe rings and the I/O buffer among them: no data of ours is there). */
    for (uint32_t at = s.end; at + 32 <= ARENA_SIZE; at += 0x40000) {
        put32(at, RECORD_MAGIC); put32(at + 4, KIND_PIPE | 1u << 16); put32(at + 12, 0xfffffff0u);
    }
    put32(ARENA_SIZE - 16, RECORD_MAGIC); put32(ARENA_SIZE - 4, 0xffffffffu);
    for (int i = 0; i < 64; i++) {
        uint32_t at = (RECORD_AREA + t_lcg(&seed) % (ARENA_SIZE - RECORD_AREA - 4096)) & ~3u;
        for (uint32_t j = 0; j < 4096; j += 4) put32(at + j, t_lcg(&seed));
    }
    become_root();
    return (int)s.count;
}

/* The attack: a credential record at the arena's very end, freed with a forged pipe
 * length. A kernel that believed the header would put the next pipe's 64 KiB ring there,
 * past the arena's end. Returns 1 when the record could be placed at the end. */
static int tail_attack(void)
{
    struct scan s = scan_arena();
    /* Use up every freed record, so that new ones come from the end of the arena: freed
     * credential records by processes that wait, freed pipe records by pipes kept open. */
    int gate[2];
    CHECK_SYS(pipe(gate));
    pid_t waiters[64];
    uint32_t nwait = s.free_creds < 64 ? s.free_creds : 64;
    for (uint32_t i = 0; i < nwait; i++) {
        waiters[i] = t_fork();
        if (waiters[i] == 0) { char c; close(gate[1]); (void)!read(gate[0], &c, 1); _exit(0); }
    }
    uint32_t npipes = s.free_pipes + (ARENA_SIZE - s.end) / PIPE_RECORD;
    int *fillers = malloc(sizeof(int) * (npipes + 1));
    uint32_t made = 0;
    for (; made < npipes; made++) {
        int p[2];
        if (pipe(p) != 0) break;
        close(p[1]);
        fillers[made] = p[0];
    }
    s = scan_arena();
    int placed = ARENA_SIZE - s.end >= 48;
    fprintf(stderr, "arena: %u filler pipes, %u bytes left at the end\n", made, ARENA_SIZE - s.end);
    pid_t victim = t_fork();
    if (victim == 0) {
        struct scan mine = scan_arena();
        if (mine.own_creds) put32(mine.own_creds + 12, 65536);  /* "I am a pipe ring" */
        _exit(mine.own_creds && mine.own_creds + PIPE_RECORD > ARENA_SIZE ? 0 : 1);
    }
    int st = t_wait(victim);
    placed = placed && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    fprintf(stderr, "arena: credential record at the end, forged and freed: %s\n", yesno(placed));
    /* The next pipe, while every other freed pipe record is in use: a kernel that filed the
     * freed record by its forged length would place this ring across the arena's end. */
    static unsigned char out[65536], in[65536];
    int p[2];
    CHECK_SYS(pipe(p));
    for (size_t j = 0; j < sizeof out; j++) out[j] = (unsigned char)(j * 7);
    CHECK(t_write_full(p[1], out, sizeof out) == (ssize_t)sizeof out, "pipe write");
    CHECK(t_read_full(p[0], in, sizeof in) == (ssize_t)sizeof in && memcmp(in, out, sizeof in) == 0, "pipe after the tail attack");
    close(p[0]);
    close(p[1]);
    for (uint32_t i = 0; i < made; i++) close(fillers[i]);
    free(fillers);
    close(gate[0]);
    close(gate[1]);
    for (uint32_t i = 0; i < nwait; i++) t_wait(waiters[i]);
    return placed;
}

/* ---- the workload (same output everywhere) ---------------------------------------------- */

static uint32_t fnv(const unsigned char *p, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint32_t pipes_round(int round)
{
    static unsigned char out[65536], in[65536];
    uint32_t h = 2166136261u;
    for (int i = 0; i < 40; i++) {
        int p[2];
        CHECK_SYS(pipe2(p, i % 2 ? O_CLOEXEC : 0));
        size_t n = 1 + (size_t)((round * 7919 + i * 104729) % 65536);
        for (size_t j = 0; j < n; j++) out[j] = (unsigned char)(j * 31 + (size_t)i + (size_t)round);
        CHECK(t_write_full(p[1], out, n) == (ssize_t)n, "pipe write");
        CHECK(t_read_full(p[0], in, n) == (ssize_t)n, "pipe read");
        CHECK(memcmp(in, out, n) == 0, "pipe data changed in round %d", round);
        h = fnv(in, n, h);
        close(p[0]);
        close(p[1]);
    }
    return h;
}

static int children_round(int round)
{
    int sum = 0;
    for (int i = 0; i < 12; i++) {
        pid_t c = t_fork();
        if (c == 0) {
            int p[2];
            if (pipe(p) != 0 || write(p[1], "x", 1) != 1) _exit(99);
            _exit((int)(getuid() == 0) + (round + i) % 7);
        }
        int st = t_wait(c);
        CHECK(WIFEXITED(st), "child died");
        sum += WEXITSTATUS(st);
    }
    return sum;
}

static uint32_t files_round(int round)
{
    static unsigned char buf[300000], back[300000];
    char path[300];
    snprintf(path, sizeof path, "%s/f%d", t_tmpdir, round);
    size_t n = sizeof buf - (size_t)round * 1000;
    for (size_t j = 0; j < n; j++) buf[j] = (unsigned char)(j ^ (size_t)round);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK_SYS(fd);
    CHECK(t_write_full(fd, buf, n) == (ssize_t)n, "file write");
    CHECK(pread(fd, back, n, 0) == (ssize_t)n, "file read");
    CHECK(memcmp(buf, back, n) == 0, "file data changed in round %d", round);
    close(fd);
    CHECK_SYS(unlink(path));
    return fnv(back, n, 2166136261u);
}

static int credentials_round(void)
{
    /* Away from root and back: the kernel reads and writes the record each time. */
    int ok = setresgid(100, 100, 0) == 0 && setresuid(100, 100, 0) == 0 && getuid() == 100 && geteuid() == 100;
    ok = ok && setresuid(0, 0, 0) == 0 && setresgid(0, 0, 0) == 0 && getuid() == 0 && getgid() == 0;
    return ok;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 8;
    t_init("arena-scribble");
    t_mktmpdir();
    find_arena();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }

    if (arena) {
        own_record = scan_arena().own_creds;
        fprintf(stderr, "arena: found, own credential record %s\n", yesno(own_record != 0));
        tail_attack();
    }
    uint32_t h = 2166136261u;
    int sum = 0, creds = 1;
    for (int round = 0; round < rounds; round++) {
        if (arena) fprintf(stderr, "arena: round %d forged %d headers\n", round, scribble(round));
        h ^= pipes_round(round);
        sum += children_round(round);
        h ^= files_round(round);
        creds &= credentials_round();
    }
    if (arena) {
        /* The arena is a shared mapping: DONTNEED drops the view, the kernel's data stays.
         * It is not a file the guest may punch holes in, nor the guest's to unmap. */
        int dontneed = madvise((void *)arena, ARENA_SIZE, MADV_DONTNEED);
        fprintf(stderr, "arena: DONTNEED %d, header kept %s\n", dontneed, yesno(arena[0] == 'U' && arena[1] == 'M'));
        errno = 0;
        fprintf(stderr, "arena: REMOVE %d %s, munmap %d\n", madvise((void *)arena, 4096, MADV_REMOVE),
                errname(errno), munmap((void *)arena, 4096));
        become_root();
    }
    /* One more round after all of it: everything still works. */
    h ^= pipes_round(rounds);
    sum += children_round(rounds);
    h ^= files_round(rounds);
    printf("pipes and files: %08x\n", h);
    printf("children's statuses: %d\n", sum);
    printf("credential calls: %s\n", yesno(creds));
    t_done();
}
