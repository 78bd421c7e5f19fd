// The JIT's templates against the C loop (arch/powerpc/Core): random blocks of every op the C
// loop handles (random fields and registers, loads and stores that hit and miss the TLB, every
// branch form), run from the same state with the same budget by ppc_core_run and by
// ppc_jit_run; registers, memory and the budget left must be equal. What Swift does for an op
// the C loop leaves (`one_op`) is the same for both. One JIT serves every block: each new block
// replaces the page's ops and moves the generation (as a store into decoded code does), and its
// small buffer fills now and then (a full flush).
//   cc -O1 -I arch/powerpc/Core/include fuzz.c arch/powerpc/Core/ppc_{jit,core}.c && ./a.out [BLOCKS] [TRACE]
#define _GNU_SOURCE
#include "ppc_jit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }

static const int handlers[] = {
  PPC_H_LI, PPC_H_MR, PPC_H_ADDI, PPC_H_ADDIC, PPC_H_ADDIC_RC, PPC_H_SUBFIC, PPC_H_MULLI,
  PPC_H_ADD, PPC_H_ADDC, PPC_H_ADDE, PPC_H_SUBF, PPC_H_SUBFE, PPC_H_NEG, PPC_H_MULLW, PPC_H_MULHW,
  PPC_H_DIVW, PPC_H_DIVWU, PPC_H_ANDI, PPC_H_ORI, PPC_H_XORI, PPC_H_AND, PPC_H_ANDC, PPC_H_OR, PPC_H_XOR,
  PPC_H_NOR, PPC_H_EXTSB, PPC_H_CNTLZW, PPC_H_SLW, PPC_H_SRW, PPC_H_SRAW, PPC_H_SRAWI, PPC_H_RLWINM,
  PPC_H_RLWNM, PPC_H_RLWIMI, PPC_H_CMP, PPC_H_CMPI, PPC_H_CMPL, PPC_H_CMPLI,
  PPC_H_LWZ, PPC_H_LWZX, PPC_H_LBZ, PPC_H_LBZX, PPC_H_LHZ, PPC_H_LHZX, PPC_H_LHA, PPC_H_LHAX,
  PPC_H_STW, PPC_H_STWX, PPC_H_STB, PPC_H_STBX, PPC_H_STH, PPC_H_STHX,
  PPC_H_MFSPR, PPC_H_MTSPR, PPC_H_MFCR, PPC_H_ISEL, PPC_H_SLOW,
};
static const int branches[] = { PPC_H_BT, PPC_H_BF, PPC_H_BDNZ, PPC_H_BDZ, PPC_H_BC, PPC_H_BCCTR, PPC_H_BLR, PPC_H_BCLR, PPC_H_B };

#define CODE 0x10000000u
#define DATA 0x20000000u
static uint64_t rt[512], wt[512], ft[256]; static uintptr_t rb[512], wb[512]; static ppc_op *fo[256];
static uint64_t gen;

static void make_page(ppc_op *ops, int n) {
  memset(ops, 0, sizeof(ppc_op) * 1024);
  for (int i = 0; i < n; i++) {
    ppc_op *o = &ops[i];
    int h = (i == n - 1) ? branches[rnd() % 9] : handlers[rnd() % (sizeof handlers / sizeof *handlers)];
    if (i < n - 1 && h == PPC_H_SLOW && rnd() % 4) h = PPC_H_ADD;
    o->fast = h; o->d = rnd() % 32; o->a = rnd() % 32; o->b = rnd() % 32; o->c = rnd() % 32;
    o->imm = (int32_t)(rnd() % 3 ? (int16_t)rnd() : (int32_t)rnd());
    o->flags = rnd() & 5;
    if (h == PPC_H_SRAWI || h == PPC_H_RLWINM || h == PPC_H_RLWIMI) o->b = rnd() % 32;
    if (h >= PPC_H_LWZ && h <= PPC_H_STHX) { o->a = 1 + rnd() % 3; o->b = 4 + rnd() % 2; o->imm = (int16_t)(rnd() % 64) - 8; if (rnd()%3==0) o->flags |= 4; else o->flags &= ~4; }
    if (h == PPC_H_MFSPR || h == PPC_H_MTSPR) o->imm = (int[]){1, 8, 9, 7}[rnd() % 4];
    if (h == PPC_H_ANDI) o->flags = 1;
    if (h == PPC_H_BT || h == PPC_H_BF || h == PPC_H_BDNZ || h == PPC_H_BDZ) o->imm = -4 * i;
    if (h == PPC_H_B) { o->imm = -4 * i; o->flags = rnd() & 1; }
    if (h == PPC_H_BC) { o->imm = -4 * i; o->flags = rnd() & 1; o->d = (int[]){0, 2, 4, 8, 12, 16, 20}[rnd()%7]; }
    if (h == PPC_H_BCCTR) { o->d = (int[]){4, 12, 20}[rnd()%3]; o->flags = rnd() & 1; }
    if (h == PPC_H_BCLR) { o->d = (int[]){0, 4, 12, 16, 20}[rnd()%5]; o->flags = rnd() & 1; }
  }
  for (int i = 0; i < 1024; i++) { int j = i; while (j < 1023 && !(ops[j].fast >= PPC_H_B && ops[j].fast <= PPC_H_BCCTR) && j < n - 1 + 0) j++; ops[i].run = (uint16_t)(j - i + 1); if (i >= n) { ops[i].run = 1; ops[i].fast = 0; } }
}

static ppc_op scratch[1024] __attribute__((aligned(4096)));
/// What Swift would do for the op at r->pc: run it alone (here: the C loop on a copy of the page
/// where that op is a block of one), or skip it when the C loop cannot (a slow op, a miss).
static void one_op(ppc_regs *r, ppc_env *env, long *remaining) {
  unsigned fi = (r->pc >> 12) & 255;
  ppc_op *real = fo[fi];
  memcpy(scratch, real, sizeof scratch);
  unsigned i = (r->pc & 0xfff) >> 2;
  scratch[i].run = 1; if (i < 1023) scratch[i + 1].fast = 0;
  fo[fi] = scratch;
  long one = 1;
  uint32_t before = r->pc;
  int rc = ppc_core_run(r, env, &one);
  fo[fi] = real;
  if (rc == PPC_CORE_SLOW && one == 1 && r->pc == before) r->pc += 4;
  *remaining -= 1;
}

int main(int argc, char **argv) {
  int iters = argc > 1 ? atoi(argv[1]) : 2000; int trace = argc > 2 ? atoi(argv[2]) : -1;
  size_t sz = 12 << 10;  // small: blocks of 30 ops fill it
  int fd = memfd_create("j", 0); ftruncate(fd, sz);
  void *w = mmap(0, sz, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0), *x = mmap(0, sz, PROT_READ|PROT_EXEC, MAP_SHARED, fd, 0);
  ppc_jit_stats st = {0};
  ppc_op *ops = aligned_alloc(4096, sizeof(ppc_op) * 1024);
  uint8_t *mem1 = aligned_alloc(4096, 4096), *mem2 = aligned_alloc(4096, 4096);
  ppc_env env = { rt, rb, wt, wb, ft, (ppc_op *const *)fo, &gen };
  int fails = 0;
  ppc_jit *jit = ppc_jit_create(w, x, sz, 2, &st);
  for (int it = 0; it < iters; it++) {
    gen++;
    int n = 2 + rnd() % 30;
    make_page(ops, n);
    memset(ft, 0, sizeof ft); memset(rt, 0, sizeof rt); memset(wt, 0, sizeof wt);
    ft[(CODE >> 12) & 255] = (CODE >> 12) + 1; fo[(CODE >> 12) & 255] = ops;
    ppc_regs r0; memset(&r0, 0, sizeof r0);
    for (int i = 0; i < 32; i++) r0.gpr[i] = rnd() % 4 ? (uint32_t)rnd() : (uint32_t)(rnd() % 70);
    for (int i = 1; i <= 3; i++) r0.gpr[i] = DATA + rnd() % 4100;
    r0.gpr[4] = rnd() % 64; r0.gpr[5] = rnd() % 8;
    r0.pc = CODE; r0.cr = rnd(); r0.xer = rnd() & 0xe000007f; r0.ctr = rnd() % 50; r0.lr = CODE + 4 * (rnd() % n);
    r0.reservation = rnd() % 2 ? 0 : (DATA + (rnd() % 64)) | 1;
    for (int i = 0; i < 4096; i++) mem1[i] = rnd();
    memcpy(mem2, mem1, 4096);
    int wr = rnd() % 2;
    ppc_regs a = r0, b = r0;
    long ra = 300 + rnd() % 300, rb_ = ra;
    // interpreter
    rt[(DATA>>12)&511] = (DATA>>12)+1; rb[(DATA>>12)&511] = (uintptr_t)mem1;
    if (wr) { wt[(DATA>>12)&511] = (DATA>>12)+1; wb[(DATA>>12)&511] = (uintptr_t)mem1; }
    int ca, cb; long steps = 0;
    while (ra > 0) { ca = ppc_core_run(&a, &env, &ra); if (it == trace) printf("core rc=%d pc=%x ra=%ld\n", ca, a.pc, ra); if ((a.pc >> 12) != (CODE >> 12)) break; if (ca == PPC_CORE_SLOW && ra > 0) one_op(&a, &env, &ra); if ((a.pc >> 12) != (CODE >> 12)) break; }
    rb[(DATA>>12)&511] = (uintptr_t)mem2; if (wr) wb[(DATA>>12)&511] = (uintptr_t)mem2;
    // the JIT: repeat entries while it says BUDGET only
    while (rb_ > 0) { cb = ppc_jit_run(&b, &env, jit, &rb_); if (it == trace) printf("jit rc=%d pc=%x rb=%ld\n", cb, b.pc, rb_); steps++; if ((b.pc >> 12) != (CODE >> 12)) break; if (cb == PPC_CORE_SLOW && rb_ > 0) one_op(&b, &env, &rb_); if ((b.pc >> 12) != (CODE >> 12)) break; }
    // The JIT may leave SLOW earlier for a cut block (budget < block): let both finish that way.
    if (memcmp(&a, &b, sizeof a) || memcmp(mem1, mem2, 4096) || ra != rb_) {
      fails++;
      if (fails < 6) {
        printf("MISMATCH it=%d n=%d ca=%d cb=%d ra=%ld rb=%ld pc %x/%x\n", it, n, ca, cb, ra, rb_, a.pc, b.pc);
        for (int i = 0; i < 32; i++) if (a.gpr[i] != b.gpr[i]) printf("  r%d %08x %08x\n", i, a.gpr[i], b.gpr[i]);
        if (a.cr != b.cr) printf("  cr %08x %08x\n", a.cr, b.cr);
        if (a.xer != b.xer) printf("  xer %08x %08x\n", a.xer, b.xer);
        if (a.ctr != b.ctr) printf("  ctr %08x %08x\n", a.ctr, b.ctr);
        if (a.lr != b.lr) printf("  lr %08x %08x\n", a.lr, b.lr);
        if (a.reservation != b.reservation) printf("  res %08x %08x\n", a.reservation, b.reservation);
        if (memcmp(mem1, mem2, 4096)) printf("  memory differs\n");
        for (int i = 0; i < n; i++) printf("   op%d fast=%d d=%d a=%d b=%d imm=%d fl=%d run=%d\n", i, ops[i].fast, ops[i].d, ops[i].a, ops[i].b, ops[i].imm, ops[i].flags, ops[i].run);
      }
    }
  }
  ppc_jit_destroy(jit);
  printf("%d/%d mismatches; translations %llu chains %llu entries %llu flushes %llu full %llu\n", fails, iters,
         (unsigned long long)st.translations, (unsigned long long)st.chains, (unsigned long long)st.entries,
         (unsigned long long)st.flushes, (unsigned long long)st.full_flushes);
  return fails != 0;
}
