// The PowerPC template JIT: see include/ppc_jit.h and docs/performance.md, "Template JIT".
//
// Translated code, from entry to exit:
//   rbx  the guest register file (ppc_regs)     r13  the JIT's context (ppc_jit_ctx)
//   r12  the instruction budget left            r14, r15  the read TLB's tags and bases
//   rbp  the write TLB's tags                   rax, rcx, rdx, rsi, rdi, r8-r11: scratch
// Every op's result is stored to the register file at once, so any exit has exact state
// without bookkeeping. A block starts with its budget check (the interpreter's rule: a block
// longer than the budget left runs op by op in Swift), ends at a branch or before an op it does
// not run, and leaves by one of:
//   - a direct exit (a known target): a jump, first to a stub that returns EXIT_CHAIN with the
//     jump's address, which the dispatcher patches to the target's translation once it has one;
//   - an indirect exit (blr, bctr, the general branches): a probe of the translation table in
//     emitted code, back to the dispatcher (EXIT_LOOKUP) if the target has no translation;
//   - EXIT_SLOW at an op with r->pc on it, the ops not run refunded to the budget (an op the
//     interpreter runs, a TLB miss, an access crossing a page);
//   - EXIT_BUDGET at the block's start.
// Nothing in translated code can change guest code: a store to a page with decoded code is a
// TLB miss (such pages never enter the write TLB) and leaves. So the decoded-code cache's
// generation can only move outside translated code, and the dispatcher compares it on every
// entry: a different generation drops every translation (and with them every chained jump).
#include "ppc_jit.h"
#include <stdlib.h>
#include <string.h>

#if PPC_JIT_AVAILABLE

enum { EXIT_SLOW = 1, EXIT_BUDGET = 2, EXIT_CHAIN = 3, EXIT_LOOKUP = 4 };

/// Block starts known to the dispatcher, direct-mapped by address.
#define TABLE_ENTRIES 4096u
/// The longest block translated at once (a longer one continues through a direct exit).
#define MAX_BLOCK_OPS 128u
/// An upper bound on the bytes one op's template and its exit stub take.
#define MAX_OP_BYTES 256u

typedef struct {
    uint32_t pc;
    /// Times the block ran in the interpreter; UINT32_MAX: not translatable (until a flush).
    uint32_t count;
    void *code;
} jit_entry;

/// What translated code reads through r13 (the offsets are in the templates below).
typedef struct {
    long remaining;                 // 0
    const uint64_t *read_tags;      // 8
    const uintptr_t *read_bases;    // 16
    const uint64_t *write_tags;     // 24
    const uintptr_t *write_bases;   // 32
    jit_entry *table;               // 40
    uint8_t *patch;                 // 48: the rel32 field a direct exit left through
} jit_ctx;
#define CTX_REMAINING 0
#define CTX_READ_TAGS 8
#define CTX_READ_BASES 16
#define CTX_WRITE_TAGS 24
#define CTX_WRITE_BASES 32
#define CTX_TABLE 40
#define CTX_PATCH 48

struct ppc_jit {
    uint8_t *rw, *rx;
    size_t size, used, start;
    uint64_t generation;
    uint32_t threshold;
    ppc_jit_stats *stats;
    /// The entry trampoline, the shared exit and the indirect-exit probe (at the buffer's start).
    int (*enter)(void *code, ppc_regs *r, jit_ctx *ctx);
    size_t epilogue, indirect;
    jit_ctx ctx;
    jit_entry table[TABLE_ENTRIES];
};

// ---- x86-64 encoding -------------------------------------------------------------------------

enum { RAX = 0, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
enum { CC_B = 0x2, CC_E = 0x4, CC_NE = 0x5, CC_A = 0x7, CC_L = 0xc, CC_G = 0xf };

typedef struct {
    uint8_t *rw, *rx;
    size_t pos, limit;
    int full;
} emitter;

static void b1(emitter *e, uint8_t v) {
    if (e->pos < e->limit) e->rw[e->pos] = v; else e->full = 1;
    e->pos++;
}
static void b4(emitter *e, uint32_t v) { for (int i = 0; i < 4; i++) b1(e, (uint8_t)(v >> (8 * i))); }
static void b8(emitter *e, uint64_t v) { b4(e, (uint32_t)v); b4(e, (uint32_t)(v >> 32)); }
static void put4(emitter *e, size_t at, uint32_t v) {
    if (at + 4 <= e->limit) memcpy(e->rw + at, &v, 4);
}

/// An instruction with a memory operand [base + index*scale + disp] (index < 0: none).
/// `w`: REX.W (64-bit operand); `p66`: a 16-bit operand.
static void mem_op(emitter *e, int p66, int w, const char *opc, int n, int reg, int base, int index, int scale, int32_t disp) {
    if (p66) b1(e, 0x66);
    uint8_t rex = 0x40 | (w << 3) | ((reg >> 3) & 1) << 2 | (index >= 0 ? ((index >> 3) & 1) << 1 : 0) | ((base >> 3) & 1);
    if (rex != 0x40) b1(e, rex);
    for (int i = 0; i < n; i++) b1(e, (uint8_t)opc[i]);
    int mod = (disp == 0 && (base & 7) != 5) ? 0 : (disp >= -128 && disp <= 127) ? 1 : 2;
    if (index >= 0 || (base & 7) == 4) {
        b1(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
        int ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
        b1(e, (uint8_t)(ss << 6 | (index >= 0 ? (index & 7) : 4) << 3 | (base & 7)));
    } else {
        b1(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
    }
    if (mod == 1) b1(e, (uint8_t)disp); else if (mod == 2) b4(e, (uint32_t)disp);
}
/// An instruction on two registers (ModRM mode 3: `reg`, `rm`).
static void reg_op(emitter *e, int p66, int w, const char *opc, int n, int reg, int rm) {
    if (p66) b1(e, 0x66);
    uint8_t rex = 0x40 | (w << 3) | ((reg >> 3) & 1) << 2 | ((rm >> 3) & 1);
    if (rex != 0x40) b1(e, rex);
    for (int i = 0; i < n; i++) b1(e, (uint8_t)opc[i]);
    b1(e, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}
#define OPC(s) s, (int)(sizeof(s) - 1)

// Guest state at rbx.
#define GPR_OFF(i) (4 * ((i) & 31))
#define PC_OFF 384
#define LR_OFF 388
#define CTR_OFF 392
#define CR_OFF 396
#define XER_OFF 400
#define RES_OFF 412

static void load(emitter *e, int reg, int32_t off) { mem_op(e, 0, 0, OPC("\x8b"), reg, RBX, -1, 0, off); }
static void store(emitter *e, int32_t off, int reg) { mem_op(e, 0, 0, OPC("\x89"), reg, RBX, -1, 0, off); }
static void store_imm(emitter *e, int32_t off, uint32_t v) { mem_op(e, 0, 0, OPC("\xc7"), 0, RBX, -1, 0, off); b4(e, v); }
static void mov_imm(emitter *e, int reg, uint32_t v) { if (reg >= 8) b1(e, 0x41); b1(e, (uint8_t)(0xb8 + (reg & 7))); b4(e, v); }
static void mov_imm64(emitter *e, int reg, uint64_t v) { b1(e, (uint8_t)(0x48 | (reg >> 3))); b1(e, (uint8_t)(0xb8 + (reg & 7))); b8(e, v); }
/// add/or/and/sub/xor/cmp reg, [rbx+off] (the opcodes 03 0b 23 2b 33 3b).
static void alu_load(emitter *e, uint8_t opcode, int reg, int32_t off) { char o[1] = { (char)opcode }; mem_op(e, 0, 0, o, 1, reg, RBX, -1, 0, off); }
/// group-1 op (n: 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp) reg, imm32.
static void alu_imm(emitter *e, int n, int reg, uint32_t v) { reg_op(e, 0, 0, OPC("\x81"), n, reg); b4(e, v); }
static void mov_rr(emitter *e, int dst, int src) { reg_op(e, 0, 0, OPC("\x89"), src, dst); }
/// shift group (n: 0 rol, 4 shl, 5 shr, 7 sar) reg by imm8.
static void shift_imm(emitter *e, int n, int reg, uint8_t count) { reg_op(e, 0, 0, OPC("\xc1"), n, reg); b1(e, count); }
/// A rel32 jump or conditional jump (cc < 0: jmp); returns the position of its rel32 field.
static size_t jump(emitter *e, int cc) {
    if (cc < 0) b1(e, 0xe9); else { b1(e, 0x0f); b1(e, (uint8_t)(0x80 | cc)); }
    size_t at = e->pos;
    b4(e, 0);
    return at;
}
static void link_to(emitter *e, size_t at, size_t target) { put4(e, at, (uint32_t)(int32_t)((long)target - (long)(at + 4))); }

/// CR field `field` = the comparison the flags hold (signed or not) | XER[SO].
static void set_cr_from_flags(emitter *e, int field, int is_signed) {
    reg_op(e, 0, 0, is_signed ? "\x0f\x9c" : "\x0f\x92", 2, 0, RCX);   // setl/setb cl
    reg_op(e, 0, 0, is_signed ? "\x0f\x9f" : "\x0f\x97", 2, 0, RDX);   // setg/seta dl
    reg_op(e, 0, 0, OPC("\x0f\xb6"), RCX, RCX);                                // movzx ecx, cl
    reg_op(e, 0, 0, OPC("\x0f\xb6"), RDX, RDX);                                // movzx edx, dl
    mem_op(e, 0, 0, OPC("\x8d"), RCX, RDX, RCX, 2, 0);                         // lea ecx, [rdx+rcx*2]
    mov_imm(e, RAX, 2);
    reg_op(e, 0, 0, OPC("\xd3"), 4, RAX);                                      // shl eax, cl: 8 lt, 4 gt, 2 eq
    load(e, RDX, XER_OFF);
    shift_imm(e, 5, RDX, 31);
    reg_op(e, 0, 0, OPC("\x09"), RDX, RAX);                                    // or eax, edx
    unsigned shift = 28 - 4 * (unsigned)(field & 7);
    if (shift) shift_imm(e, 4, RAX, (uint8_t)shift);
    load(e, RDX, CR_OFF);
    alu_imm(e, 4, RDX, ~(0xfu << shift));
    reg_op(e, 0, 0, OPC("\x09"), RAX, RDX);                                    // or edx, eax
    store(e, CR_OFF, RDX);
}
/// CR0 from the result in eax (the Rc forms).
static void record_eax(emitter *e) {
    reg_op(e, 0, 0, OPC("\x85"), RAX, RAX);                                    // test eax, eax
    set_cr_from_flags(e, 0, 1);
}

// ---- the translator --------------------------------------------------------------------------

enum { STUB_SLOW, STUB_CHAIN, STUB_BUDGET };
typedef struct { size_t at; int kind; uint32_t pc; uint32_t refund; } stub;

typedef struct {
    emitter e;
    stub stubs[3 * MAX_BLOCK_OPS + 4];
    unsigned nstubs;
    int overflow;
} block_builder;

static void add_stub(block_builder *b, size_t at, int kind, uint32_t pc, uint32_t refund) {
    if (b->nstubs >= sizeof b->stubs / sizeof b->stubs[0]) { b->overflow = 1; return; }
    b->stubs[b->nstubs++] = (stub){ at, kind, pc, refund };
}
/// Leaves to the interpreter at the op at `pc` (ops [k, n) not run).
static void exit_slow_if(block_builder *b, int cc, uint32_t pc, uint32_t refund) {
    add_stub(b, jump(&b->e, cc), STUB_SLOW, pc, refund);
}
static void exit_direct(block_builder *b, int cc, uint32_t target) {
    add_stub(b, jump(&b->e, cc), STUB_CHAIN, target, 0);
}
/// The indirect exit: eax holds the target.
static void exit_indirect(ppc_jit *jit, block_builder *b) {
    link_to(&b->e, jump(&b->e, -1), jit->indirect);
}
/// Calls `fn` (C ABI: rdi = the register file, rsi/rdx = the op, ecx = the pc); eax = its result.
static void call_op(block_builder *b, void *fn, const ppc_op *op, uint32_t pc) {
    emitter *e = &b->e;
    uint64_t w[2];
    memcpy(w, op, sizeof w);
    reg_op(e, 0, 1, OPC("\x89"), RBX, RDI);            // mov rdi, rbx
    mov_imm64(e, RSI, w[0]);
    mov_imm64(e, RDX, w[1]);
    mov_imm(e, RCX, pc);
    mov_imm64(e, RAX, (uint64_t)(uintptr_t)fn);
    reg_op(e, 0, 0, OPC("\xff"), 2, RAX);              // call rax
}

/// ea = (rA|0 or rA for the update forms) + imm / + rB, into esi.
static void effective_address(emitter *e, const ppc_op *op, int indexed) {
    int update = op->flags & 4;
    if (op->a == 0 && !update) reg_op(e, 0, 0, OPC("\x31"), RSI, RSI);   // xor esi, esi
    else load(e, RSI, GPR_OFF(op->a));
    if (indexed) alu_load(e, 0x03, RSI, GPR_OFF(op->b));
    else if (op->imm) alu_imm(e, 0, RSI, (uint32_t)op->imm);
}
/// The TLB probe for an access of `size` bytes at esi: rax = the host page, rcx = the offset;
/// a miss or a page crossing leaves at this op.
static void tlb_probe(block_builder *b, int write, unsigned size, uint32_t pc, uint32_t refund) {
    emitter *e = &b->e;
    if (size > 1) {
        mov_rr(e, RAX, RSI);
        alu_imm(e, 4, RAX, 0xfff);
        alu_imm(e, 7, RAX, 0x1000 - size);
        exit_slow_if(b, CC_A, pc, refund);
    }
    mov_rr(e, RAX, RSI);
    shift_imm(e, 5, RAX, 12);                                         // rax = page
    mov_rr(e, RCX, RAX);
    alu_imm(e, 4, RCX, 511);                                          // rcx = slot
    alu_imm(e, 0, RAX, 1);                                            // rax = tag (page + 1)
    mem_op(e, 0, 1, OPC("\x3b"), RAX, write ? RBP : R14, RCX, 8, 0);  // cmp rax, [tags + rcx*8]
    exit_slow_if(b, CC_NE, pc, refund);
    if (write) {
        mem_op(e, 0, 1, OPC("\x8b"), RAX, R13, -1, 0, CTX_WRITE_BASES);
        mem_op(e, 0, 1, OPC("\x8b"), RAX, RAX, RCX, 8, 0);            // rax = write_bases[rcx]
    } else {
        mem_op(e, 0, 1, OPC("\x8b"), RAX, R15, RCX, 8, 0);            // rax = read_bases[rcx]
    }
    mov_rr(e, RCX, RSI);
    alu_imm(e, 4, RCX, 0xfff);
}

static int is_branch(uint8_t h) { return h >= PPC_H_B && h <= PPC_H_BCCTR; }

/// Translates the block at `pc`; NULL if it cannot (b->overflow: the buffer is full).
static void *translate_block(ppc_jit *jit, const ppc_env *env, uint32_t pc, block_builder *b) {
    b->overflow = 0;
    uint64_t pg = pc >> 12;
    unsigned fi = (unsigned)(pg & 255);
    if (env->front_tags[fi] != pg + 1 || (pc & 3)) return NULL;
    const ppc_op *ops = env->front_ops[fi] + ((pc & 0xfff) >> 2);
    unsigned left = 1024u - ((pc & 0xfff) >> 2);

    // The ops run here: up to the first the interpreter runs, a branch (included) or the limit.
    unsigned n = 0;
    int ends_in_branch = 0;
    while (n < left && n < MAX_BLOCK_OPS) {
        const ppc_op *op = ops + n;
        if (op->fast == PPC_H_SLOW) break;
        if (op->fast == PPC_H_BCCTR && (op->d & 4) == 0) break;  // an invalid form: Swift's SIGILL
        n++;
        if (is_branch(op->fast)) { ends_in_branch = 1; break; }
    }
    if (n == 0) return NULL;
    if (jit->used + (size_t)n * MAX_OP_BYTES + 256 > jit->size) { b->overflow = 1; return NULL; }

    emitter *e = &b->e;
    *e = (emitter){ jit->rw, jit->rx, jit->used, jit->size, 0 };
    b->nstubs = 0;
    b->overflow = 0;
    size_t entry = e->pos;

    // The budget: a block longer than what is left is the interpreter's.
    reg_op(e, 0, 1, OPC("\x81"), 5, R12); b4(e, n);                  // sub r12, n
    add_stub(b, jump(e, CC_L), STUB_BUDGET, pc, n);

    for (unsigned k = 0; k < n; k++) {
        const ppc_op *op = ops + k;
        uint32_t at = pc + 4 * k, refund = n - k;
        unsigned d = op->d & 31, a = op->a & 31, bb = op->b & 31;
        uint32_t imm = (uint32_t)op->imm;
        int rc = op->flags & 1;
        switch (op->fast) {
        case PPC_H_LI: store_imm(e, GPR_OFF(d), imm); break;
        case PPC_H_MR: load(e, RAX, GPR_OFF(d)); store(e, GPR_OFF(a), RAX); break;
        case PPC_H_ADDI:
            if (a == 0) { store_imm(e, GPR_OFF(d), imm); break; }
            load(e, RAX, GPR_OFF(a)); if (imm) alu_imm(e, 0, RAX, imm); store(e, GPR_OFF(d), RAX);
            break;
        case PPC_H_MULLI:
            mem_op(e, 0, 0, OPC("\x69"), RAX, RBX, -1, 0, GPR_OFF(a)); b4(e, imm);  // imul eax, [rA], imm
            store(e, GPR_OFF(d), RAX);
            break;
        case PPC_H_ADD: case PPC_H_SUBF: case PPC_H_MULLW:
            if (op->fast == PPC_H_SUBF) { load(e, RAX, GPR_OFF(bb)); alu_load(e, 0x2b, RAX, GPR_OFF(a)); }
            else if (op->fast == PPC_H_ADD) { load(e, RAX, GPR_OFF(a)); alu_load(e, 0x03, RAX, GPR_OFF(bb)); }
            else { load(e, RAX, GPR_OFF(a)); mem_op(e, 0, 0, OPC("\x0f\xaf"), RAX, RBX, -1, 0, GPR_OFF(bb)); }
            store(e, GPR_OFF(d), RAX);
            if (rc) record_eax(e);
            break;
        case PPC_H_NEG:
            load(e, RAX, GPR_OFF(a)); reg_op(e, 0, 0, OPC("\xf7"), 3, RAX); store(e, GPR_OFF(d), RAX);
            if (rc) record_eax(e);
            break;
        case PPC_H_AND: case PPC_H_OR: case PPC_H_XOR:
            load(e, RAX, GPR_OFF(d));
            if (!(op->fast == PPC_H_OR && d == bb))  // or rA, rS, rS is mr
                alu_load(e, op->fast == PPC_H_AND ? 0x23 : op->fast == PPC_H_OR ? 0x0b : 0x33, RAX, GPR_OFF(bb));
            store(e, GPR_OFF(a), RAX);
            if (rc) record_eax(e);
            break;
        case PPC_H_ANDI: case PPC_H_ORI: case PPC_H_XORI:
            load(e, RAX, GPR_OFF(d));
            alu_imm(e, op->fast == PPC_H_ANDI ? 4 : op->fast == PPC_H_ORI ? 1 : 6, RAX, imm);
            store(e, GPR_OFF(a), RAX);
            if (op->fast == PPC_H_ANDI) record_eax(e);
            break;
        case PPC_H_RLWINM:
            load(e, RAX, GPR_OFF(d));
            if (bb) shift_imm(e, 0, RAX, (uint8_t)bb);
            if (imm != 0xffffffffu) alu_imm(e, 4, RAX, imm);
            store(e, GPR_OFF(a), RAX);
            if (rc) record_eax(e);
            break;
        case PPC_H_SLW: case PPC_H_SRW:
            load(e, RAX, GPR_OFF(d));
            load(e, RCX, GPR_OFF(bb));
            alu_imm(e, 4, RCX, 63);
            reg_op(e, 0, 0, OPC("\xd3"), op->fast == PPC_H_SLW ? 4 : 5, RAX);   // shl/shr eax, cl
            reg_op(e, 0, 0, OPC("\x31"), RDX, RDX);                             // xor edx, edx
            alu_imm(e, 7, RCX, 31);
            reg_op(e, 0, 0, OPC("\x0f\x47"), RAX, RDX);                         // cmova eax, edx
            store(e, GPR_OFF(a), RAX);
            if (rc) record_eax(e);
            break;
        case PPC_H_CMP: case PPC_H_CMPL:
            load(e, RAX, GPR_OFF(a)); alu_load(e, 0x3b, RAX, GPR_OFF(bb));
            set_cr_from_flags(e, (op->d >> 2) & 7, op->fast == PPC_H_CMP);
            break;
        case PPC_H_CMPI: case PPC_H_CMPLI:
            load(e, RAX, GPR_OFF(a)); alu_imm(e, 7, RAX, imm);
            set_cr_from_flags(e, (op->d >> 2) & 7, op->fast == PPC_H_CMPI);
            break;
        case PPC_H_MFSPR: case PPC_H_MTSPR:
            if (op->imm == 8 || op->imm == 9) {
                int32_t spr = op->imm == 8 ? LR_OFF : CTR_OFF;
                if (op->fast == PPC_H_MFSPR) { load(e, RAX, spr); store(e, GPR_OFF(d), RAX); }
                else { load(e, RAX, GPR_OFF(d)); store(e, spr, RAX); }
                break;
            }
            goto helper;

        case PPC_H_LWZ: case PPC_H_LWZX: case PPC_H_LBZ: case PPC_H_LBZX:
        case PPC_H_LHZ: case PPC_H_LHZX: case PPC_H_LHA: case PPC_H_LHAX: {
            int x = op->fast == PPC_H_LWZX || op->fast == PPC_H_LBZX || op->fast == PPC_H_LHZX || op->fast == PPC_H_LHAX;
            unsigned size = (op->fast == PPC_H_LWZ || op->fast == PPC_H_LWZX) ? 4 : (op->fast == PPC_H_LBZ || op->fast == PPC_H_LBZX) ? 1 : 2;
            effective_address(e, op, x);
            tlb_probe(b, 0, size, at, refund);
            if (size == 4) {
                mem_op(e, 0, 0, OPC("\x8b"), RAX, RAX, RCX, 1, 0);          // mov eax, [rax+rcx]
                b1(e, 0x0f); b1(e, 0xc8);                                   // bswap eax
            } else if (size == 1) {
                mem_op(e, 0, 0, OPC("\x0f\xb6"), RAX, RAX, RCX, 1, 0);      // movzx eax, byte
            } else {
                mem_op(e, 0, 0, OPC("\x0f\xb7"), RAX, RAX, RCX, 1, 0);      // movzx eax, word
                reg_op(e, 1, 0, OPC("\xc1"), 0, RAX); b1(e, 8);             // rol ax, 8
                if (op->fast == PPC_H_LHA || op->fast == PPC_H_LHAX)
                    reg_op(e, 0, 0, OPC("\x0f\xbf"), RAX, RAX);             // movsx eax, ax
            }
            store(e, GPR_OFF(d), RAX);
            if (op->flags & 4) store(e, GPR_OFF(a), RSI);
            break;
        }
        case PPC_H_STW: case PPC_H_STWX: case PPC_H_STB: case PPC_H_STBX: case PPC_H_STH: case PPC_H_STHX: {
            int x = op->fast == PPC_H_STWX || op->fast == PPC_H_STBX || op->fast == PPC_H_STHX;
            unsigned size = (op->fast == PPC_H_STW || op->fast == PPC_H_STWX) ? 4 : (op->fast == PPC_H_STB || op->fast == PPC_H_STBX) ? 1 : 2;
            effective_address(e, op, x);
            tlb_probe(b, 1, size, at, refund);
            load(e, RDX, GPR_OFF(d));
            if (size == 4) {
                b1(e, 0x0f); b1(e, 0xca);                                   // bswap edx
                mem_op(e, 0, 0, OPC("\x89"), RDX, RAX, RCX, 1, 0);
            } else if (size == 1) {
                mem_op(e, 0, 0, OPC("\x88"), RDX, RAX, RCX, 1, 0);          // mov [rax+rcx], dl
            } else {
                reg_op(e, 1, 0, OPC("\xc1"), 0, RDX); b1(e, 8);             // rol dx, 8
                mem_op(e, 1, 0, OPC("\x89"), RDX, RAX, RCX, 1, 0);          // mov [rax+rcx], dx
            }
            if (op->flags & 4) store(e, GPR_OFF(a), RSI);
            // A store into the reserved granule clears the reservation (lwarx/stwcx.).
            mem_op(e, 0, 0, OPC("\x83"), 7, RBX, -1, 0, RES_OFF); b1(e, 0);  // cmp dword [res], 0
            size_t skip = jump(e, CC_E);
            load(e, RAX, RES_OFF);
            alu_imm(e, 4, RAX, ~1u);
            shift_imm(e, 5, RAX, 4);
            mov_rr(e, RDX, RSI);
            shift_imm(e, 5, RDX, 4);
            reg_op(e, 0, 0, OPC("\x39"), RDX, RAX);                         // cmp eax, edx
            size_t keep = jump(e, CC_NE);
            store_imm(e, RES_OFF, 0);
            link_to(e, skip, e->pos);
            link_to(e, keep, e->pos);
            break;
        }

        case PPC_H_B: {
            uint32_t target = ((op->flags & 2) ? 0 : at) + imm;
            if (op->flags & 1) store_imm(e, LR_OFF, at + 4);
            exit_direct(b, -1, target);
            break;
        }
        case PPC_H_BT: case PPC_H_BF:
            mem_op(e, 0, 0, OPC("\xf7"), 0, RBX, -1, 0, CR_OFF); b4(e, 1u << (31 - (a & 31)));  // test [cr], bit
            exit_direct(b, op->fast == PPC_H_BT ? CC_NE : CC_E, at + imm);
            exit_direct(b, -1, at + 4);
            break;
        case PPC_H_BDNZ: case PPC_H_BDZ:
            mem_op(e, 0, 0, OPC("\x83"), 5, RBX, -1, 0, CTR_OFF); b1(e, 1);  // sub dword [ctr], 1
            exit_direct(b, op->fast == PPC_H_BDNZ ? CC_NE : CC_E, at + imm);
            exit_direct(b, -1, at + 4);
            break;
        case PPC_H_BLR:
            load(e, RAX, LR_OFF);
            alu_imm(e, 4, RAX, ~3u);
            exit_indirect(jit, b);
            break;
        case PPC_H_BCCTR:
            if ((op->d & 0x14) == 0x14) {  // always taken: bctr, bctrl
                load(e, RAX, CTR_OFF);
                alu_imm(e, 4, RAX, ~3u);
                if (op->flags & 1) store_imm(e, LR_OFF, at + 4);
                exit_indirect(jit, b);
                break;
            }
            __attribute__((fallthrough));  // the general form
        case PPC_H_BC: case PPC_H_BCLR:
            call_op(b, (void *)ppc_core_branch, op, at);
            exit_indirect(jit, b);
            break;

        default:
        helper:
            call_op(b, (void *)ppc_core_register_op, op, at);
            reg_op(e, 0, 0, OPC("\x85"), RAX, RAX);                          // test eax, eax
            exit_slow_if(b, CC_NE, at, refund);
            break;
        }
    }
    // Not ended by a branch: on to the next op (the interpreter's, or the rest of a long block).
    if (!ends_in_branch) exit_direct(b, -1, pc + 4 * n);

    // The exit stubs, after the block's code.
    for (unsigned i = 0; i < b->nstubs; i++) {
        stub s = b->stubs[i];
        link_to(e, s.at, e->pos);
        if (s.kind == STUB_SLOW || s.kind == STUB_BUDGET) {
            if (s.refund) { reg_op(e, 0, 1, OPC("\x81"), 0, R12); b4(e, s.refund); }  // add r12, refund
            store_imm(e, PC_OFF, s.pc);
            mov_imm(e, RAX, s.kind == STUB_SLOW ? EXIT_SLOW : EXIT_BUDGET);
        } else {
            store_imm(e, PC_OFF, s.pc);
            mov_imm64(e, RCX, (uint64_t)(uintptr_t)(jit->rx + s.at));
            mem_op(e, 0, 1, OPC("\x89"), RCX, R13, -1, 0, CTX_PATCH);        // ctx->patch = the rel32
            mov_imm(e, RAX, EXIT_CHAIN);
        }
        link_to(e, jump(e, -1), jit->epilogue);
    }
    if (e->full || b->overflow) { b->overflow = 1; return NULL; }
    jit->used = (e->pos + 15) & ~(size_t)15;
    jit->stats->translations++;
    jit->stats->bytes += e->pos - entry;
    return jit->rx + entry;
}

/// The trampoline, the shared exit and the indirect-exit probe, at the buffer's start.
static int emit_runtime(ppc_jit *jit) {
    emitter e0 = { jit->rw, jit->rx, 0, jit->size, 0 }, *e = &e0;
    // int enter(void *code /* rdi */, ppc_regs *r /* rsi */, jit_ctx *ctx /* rdx */)
    b1(e, 0x53); b1(e, 0x55);                                  // push rbx, rbp
    b1(e, 0x41); b1(e, 0x54); b1(e, 0x41); b1(e, 0x55);        // push r12, r13
    b1(e, 0x41); b1(e, 0x56); b1(e, 0x41); b1(e, 0x57);        // push r14, r15
    reg_op(e, 0, 1, OPC("\x83"), 5, RSP); b1(e, 8);            // sub rsp, 8: calls see rsp 16-aligned
    reg_op(e, 0, 1, OPC("\x89"), RSI, RBX);                    // mov rbx, rsi
    reg_op(e, 0, 1, OPC("\x89"), RDX, R13);                    // mov r13, rdx
    mem_op(e, 0, 1, OPC("\x8b"), R12, R13, -1, 0, CTX_REMAINING);
    mem_op(e, 0, 1, OPC("\x8b"), R14, R13, -1, 0, CTX_READ_TAGS);
    mem_op(e, 0, 1, OPC("\x8b"), R15, R13, -1, 0, CTX_READ_BASES);
    mem_op(e, 0, 1, OPC("\x8b"), RBP, R13, -1, 0, CTX_WRITE_TAGS);
    reg_op(e, 0, 0, OPC("\xff"), 4, RDI);                      // jmp rdi

    jit->epilogue = e->pos;                                    // eax: the exit's reason
    mem_op(e, 0, 1, OPC("\x89"), R12, R13, -1, 0, CTX_REMAINING);
    reg_op(e, 0, 1, OPC("\x83"), 0, RSP); b1(e, 8);            // add rsp, 8
    b1(e, 0x41); b1(e, 0x5f); b1(e, 0x41); b1(e, 0x5e);        // pop r15, r14
    b1(e, 0x41); b1(e, 0x5d); b1(e, 0x41); b1(e, 0x5c);        // pop r13, r12
    b1(e, 0x5d); b1(e, 0x5b); b1(e, 0xc3);                     // pop rbp, rbx; ret

    jit->indirect = e->pos;                                    // eax: the target pc
    store(e, PC_OFF, RAX);
    mov_rr(e, RCX, RAX);
    shift_imm(e, 5, RCX, 2);
    alu_imm(e, 4, RCX, TABLE_ENTRIES - 1);
    shift_imm(e, 4, RCX, 4);                                   // rcx = slot * 16
    mem_op(e, 0, 1, OPC("\x03"), RCX, R13, -1, 0, CTX_TABLE);  // rcx += table
    mem_op(e, 0, 0, OPC("\x3b"), RAX, RCX, -1, 0, 0);          // cmp eax, [rcx].pc
    size_t miss = jump(e, CC_NE);
    mem_op(e, 0, 1, OPC("\x8b"), RCX, RCX, -1, 0, 8);          // rcx = [rcx].code
    reg_op(e, 0, 1, OPC("\x85"), RCX, RCX);
    size_t none = jump(e, CC_E);
    reg_op(e, 0, 0, OPC("\xff"), 4, RCX);                      // jmp rcx
    link_to(e, miss, e->pos);
    link_to(e, none, e->pos);
    mov_imm(e, RAX, EXIT_LOOKUP);
    link_to(e, jump(e, -1), jit->epilogue);

    if (e->full) return 0;
    jit->start = jit->used = (e->pos + 63) & ~(size_t)63;
    jit->enter = (int (*)(void *, ppc_regs *, jit_ctx *))(void *)jit->rx;
    return 1;
}

// ---- the dispatcher --------------------------------------------------------------------------

static void flush(ppc_jit *jit) {
    memset(jit->table, 0, sizeof jit->table);
    jit->used = jit->start;
    jit->ctx.patch = NULL;
    jit->stats->flushes++;
}

ppc_jit *ppc_jit_create(void *rw, void *rx, size_t size, uint32_t threshold, ppc_jit_stats *stats) {
    if (size < 4096 || size > ((size_t)1 << 30)) return NULL;
    ppc_jit *jit = calloc(1, sizeof *jit);
    if (!jit) return NULL;
    jit->rw = rw; jit->rx = rx; jit->size = size;
    jit->threshold = threshold;
    jit->stats = stats;
    jit->ctx.table = jit->table;
    if (!emit_runtime(jit)) { free(jit); return NULL; }
    return jit;
}

void ppc_jit_destroy(ppc_jit *jit) { free(jit); }

static inline jit_entry *slot(ppc_jit *jit, uint32_t pc) { return &jit->table[(pc >> 2) & (TABLE_ENTRIES - 1)]; }

int ppc_jit_run(ppc_regs *r, const ppc_env *env, ppc_jit *jit, long *remaining) {
    jit->ctx.read_tags = env->read_tags;
    jit->ctx.read_bases = env->read_bases;
    jit->ctx.write_tags = env->write_tags;
    jit->ctx.write_bases = env->write_bases;
    if (*env->generation != jit->generation) {
        flush(jit);
        jit->generation = *env->generation;
    }
    for (;;) {
        if (*remaining <= 0) return PPC_CORE_BUDGET;
        uint32_t pc = r->pc;
        if (pc & 3) return PPC_CORE_SLOW;
        jit_entry *e = slot(jit, pc);
        if (e->pc != pc) { e->pc = pc; e->count = 0; e->code = NULL; }
        if (!e->code) {
            if (e->count < jit->threshold) {
                // Cold: the C loop runs the block (counting it).
                e->count++;
                jit->ctx.patch = NULL;
                int rc = ppc_core_run_block(r, env, remaining);
                if (rc != PPC_CORE_BLOCK) return rc;
                // A store in that block may have dropped decoded code.
                if (*env->generation != jit->generation) { flush(jit); jit->generation = *env->generation; }
                continue;
            }
            if (e->count != UINT32_MAX) {
                block_builder b;
                void *code = translate_block(jit, env, pc, &b);
                if (!code && b.overflow) {
                    // The buffer is full: start over (every chained jump goes with it).
                    flush(jit);
                    jit->stats->full_flushes++;
                    e = slot(jit, pc);
                    *e = (jit_entry){ pc, jit->threshold, NULL };
                    code = translate_block(jit, env, pc, &b);
                }
                if (code) e->code = code; else e->count = UINT32_MAX;
            }
            if (!e->code) {
                jit->ctx.patch = NULL;
                int rc = ppc_core_run_block(r, env, remaining);
                if (rc != PPC_CORE_BLOCK) return rc;
                if (*env->generation != jit->generation) { flush(jit); jit->generation = *env->generation; }
                continue;
            }
        }
        // A direct exit that brought us here jumps straight to the translation from now on.
        if (jit->ctx.patch) {
            uint8_t *p = jit->ctx.patch;
            int32_t rel = (int32_t)((long)((uint8_t *)e->code) - (long)(p + 4));
            memcpy(jit->rw + (p - jit->rx), &rel, 4);
            jit->ctx.patch = NULL;
            jit->stats->chains++;
        }
        jit->stats->entries++;
        jit->ctx.remaining = *remaining;
        int why = jit->enter(e->code, r, &jit->ctx);
        *remaining = jit->ctx.remaining;
        if (why != EXIT_CHAIN) jit->ctx.patch = NULL;
        switch (why) {
        case EXIT_SLOW: return PPC_CORE_SLOW;
        case EXIT_BUDGET: return *remaining <= 0 ? PPC_CORE_BUDGET : PPC_CORE_SLOW;
        default: break;  // EXIT_CHAIN, EXIT_LOOKUP: the next block
        }
    }
}

#else  // not x86-64: no JIT; the interpreter runs (ppc_jit_create gives NULL)

ppc_jit *ppc_jit_create(void *rw, void *rx, size_t size, uint32_t threshold, ppc_jit_stats *stats) {
    (void)rw; (void)rx; (void)size; (void)threshold; (void)stats;
    return NULL;
}
void ppc_jit_destroy(ppc_jit *jit) { (void)jit; }
int ppc_jit_run(ppc_regs *r, const ppc_env *env, ppc_jit *jit, long *remaining) {
    (void)jit;
    return ppc_core_run(r, env, remaining);
}

#endif
