// selfmod.c -- code written at run time, rewritten while it is cached, across pages and forks.
//
// For the interpreters' decoded-code cache and block chaining (issue #14): the same output on
// x86-64 natively and on PowerPC under umlab. Three pages of generated code: g (the end of page
// 0) jumps to f (page 1) or h (page 2), each returning a constant. Each phase calls g many times
// (so its blocks are decoded, chained and hot), then rewrites one piece:
//   1. f's constant (a write to the page of a chained successor),
//   2. g's jump (the block that was chained now leads elsewhere),
//   3. a function that stores into its own next instruction and then runs it,
//   4. a fork: the child rewrites f, the parent still sees its own f (copy-on-write code pages).
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*fn0)(void);
typedef int (*fn2)(void *at, uint32_t value);

static unsigned char *code;

static void flush(void) { __builtin___clear_cache((char *)code, (char *)code + 3 * 4096); }

#if defined(__powerpc__)
static void put32(unsigned char *at, uint32_t w) { memcpy(at, &w, 4); }  // big-endian host order
static void put_const(unsigned char *at, int k) {
    put32(at, 0x38600000u | (uint16_t)k);  // li r3, k
    put32(at + 4, 0x4e800020u);            // blr
}
static void put_jump(unsigned char *at, unsigned char *to) {
    put32(at, 0x48000000u | ((uint32_t)(to - at) & 0x03fffffcu));  // b to
}
// p(at, insn): stw insn, 0(at); dcbst; sync; icbi; isync; then the instruction at `at`: li r3, 5; blr
static unsigned char *put_self(unsigned char *p) {
    static const uint32_t w[] = {0x90830000u, 0x7c00186cu, 0x7c0004acu, 0x7c001facu, 0x4c00012cu, 0x38600005u, 0x4e800020u};
    for (int i = 0; i < 7; i++) put32(p + 4 * i, w[i]);
    return p + 20;  // the li
}
static uint32_t const_insn(int k) { return 0x38600000u | (uint16_t)k; }
#elif defined(__x86_64__)
static void put_const(unsigned char *at, int k) {
    at[0] = 0xb8; memcpy(at + 1, &k, 4);  // mov eax, k
    at[5] = 0xc3;                         // ret
}
static void put_jump(unsigned char *at, unsigned char *to) {
    int32_t rel = (int32_t)(to - (at + 5));
    at[0] = 0xe9; memcpy(at + 1, &rel, 4);  // jmp to
}
// p(at, value): mov [rdi], esi; mov eax, 5; ret  (`at` is the mov's immediate)
static unsigned char *put_self(unsigned char *p) {
    static const unsigned char b[] = {0x89, 0x37, 0xb8, 5, 0, 0, 0, 0xc3};
    memcpy(p, b, sizeof b);
    return p + 3;
}
static uint32_t const_insn(int k) { return (uint32_t)k; }
#else
#error "selfmod.c: x86-64 or PowerPC"
#endif

static long calls(fn0 f, int n) {
    long sum = 0;
    for (int i = 0; i < n; i++) sum += f();
    return sum;
}

int main(void) {
    code = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) { perror("mmap"); return 1; }
    unsigned char *g = code + 4096 - 16, *f = code + 4096 + 64, *h = code + 2 * 4096 + 128;
    put_const(f, 1);
    put_const(h, 1000);
    put_jump(g, f);
    flush();
    fn0 G = (fn0)(void *)g, F = (fn0)(void *)f;
    printf("g -> f: %ld\n", calls(G, 100000));
    put_const(f, 2);
    flush();
    printf("f rewritten: %ld\n", calls(G, 100000));
    put_jump(g, h);
    flush();
    printf("g rewritten to h: %ld\n", calls(G, 100000));

    unsigned char *self = code + 2 * 4096 + 512;
    unsigned char *at = put_self(self);
    flush();
    fn2 P = (fn2)(void *)self;
    long sum = 0;
    for (int k = 1; k <= 1000; k++) sum += P(at, const_insn(k));
    printf("self-modifying: %ld\n", sum);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        put_const(f, 7);
        flush();
        printf("child f: %ld\n", calls(F, 1000));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("parent f: %ld (child status %d)\n", calls(F, 1000), status);
    return 0;
}
