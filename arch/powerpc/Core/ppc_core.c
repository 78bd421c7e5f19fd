// The PowerPC hot loop: see include/ppc_core.h. Semantics follow PPCInterpreter.step exactly;
// an op this file does not handle, or any case it does not expect, leaves to Swift.
#include "ppc_core.h"
#include <string.h>

#define GPR(i) (r->gpr[(i) & 31])
#define BASE(i) ((i) == 0 ? 0u : GPR(i))
#define XER_SO 0x80000000u
#define XER_CA 0x20000000u

static inline uint32_t rotl(uint32_t v, uint32_t n) {
    n &= 31;
    return n == 0 ? v : (v << n) | (v >> (32 - n));
}
static inline void set_cr_field(ppc_regs *r, unsigned field, uint32_t v) {
    unsigned shift = 28 - 4 * field;
    r->cr = (r->cr & ~(0xfu << shift)) | ((v & 0xf) << shift);
}
static inline void record(ppc_regs *r, uint32_t v) {
    int32_t s = (int32_t)v;
    uint32_t bits = s < 0 ? 8 : s > 0 ? 4 : 2;
    set_cr_field(r, 0, bits | (r->xer >> 31));
}
static inline void set_ca(ppc_regs *r, int v) { r->xer = v ? r->xer | XER_CA : r->xer & ~XER_CA; }
static inline uint32_t ca(const ppc_regs *r) { return (r->xer >> 29) & 1; }
/// a + b + carry, setting CA when asked (the OE forms are Swift's).
static inline uint32_t add_carrying(ppc_regs *r, uint32_t a, uint32_t b, uint32_t carry, int set_carry) {
    uint64_t wide = (uint64_t)a + b + carry;
    if (set_carry) set_ca(r, (wide >> 32) != 0);
    return (uint32_t)wide;
}
static inline int cr_bit(const ppc_regs *r, unsigned bi) { return (r->cr >> (31 - (bi & 31))) & 1; }
/// BO/BI of the conditional branches, decrementing CTR where BO asks.
static inline int branch_taken(ppc_regs *r, unsigned bo, unsigned bi) {
    int ctr_ok = 1;
    if ((bo & 4) == 0) {
        r->ctr -= 1;
        ctr_ok = (r->ctr != 0) != ((bo & 2) != 0);
    }
    int cond_ok = (bo & 16) != 0 || cr_bit(r, bi) == ((bo & 8) != 0);
    return ctr_ok && cond_ok;
}
static inline void compare(ppc_regs *r, unsigned crf, int64_t a, int64_t b) {
    uint32_t bits = a < b ? 8 : a > b ? 4 : 2;
    set_cr_field(r, crf >> 2, bits | (r->xer >> 31));
}

int ppc_core_register_op(ppc_regs *r, uint64_t op_lo, uint64_t op_hi) {
    ppc_op o;
    uint64_t words[2] = { op_lo, op_hi };
    memcpy(&o, words, sizeof o);
    const ppc_op *op = &o;
#define D (op->d)
#define A (op->a)
#define B (op->b)
#define IMM ((uint32_t)op->imm)
#define RC (op->flags & 1)
#define ARITH(v) do { uint32_t v_ = (v); GPR(D) = v_; if (RC) record(r, v_); return 0; } while (0)
#define LOGIC(v) do { uint32_t v_ = (v); GPR(A) = v_; if (RC) record(r, v_); return 0; } while (0)
    // The same one-line semantics as the loop's handlers (ppc_core_loop.h).
    switch (op->fast) {
    case PPC_H_LI: GPR(D) = IMM; return 0;
    case PPC_H_MR: GPR(A) = GPR(D); return 0;
    case PPC_H_ADDI: GPR(D) = BASE(A) + IMM; return 0;
    case PPC_H_ADDIC: GPR(D) = add_carrying(r, GPR(A), IMM, 0, 1); return 0;
    case PPC_H_ADDIC_RC: { uint32_t v = add_carrying(r, GPR(A), IMM, 0, 1); GPR(D) = v; record(r, v); return 0; }
    case PPC_H_SUBFIC: GPR(D) = add_carrying(r, ~GPR(A), IMM, 1, 1); return 0;
    case PPC_H_MULLI: GPR(D) = (uint32_t)((int32_t)GPR(A) * op->imm); return 0;
    case PPC_H_ADD: ARITH(add_carrying(r, GPR(A), GPR(B), 0, 0));
    case PPC_H_ADDC: ARITH(add_carrying(r, GPR(A), GPR(B), 0, 1));
    case PPC_H_ADDE: ARITH(add_carrying(r, GPR(A), GPR(B), ca(r), 1));
    case PPC_H_ADDME: ARITH(add_carrying(r, GPR(A), 0xffffffffu, ca(r), 1));
    case PPC_H_ADDZE: ARITH(add_carrying(r, GPR(A), 0, ca(r), 1));
    case PPC_H_SUBF: ARITH(add_carrying(r, ~GPR(A), GPR(B), 1, 0));
    case PPC_H_SUBFC: ARITH(add_carrying(r, ~GPR(A), GPR(B), 1, 1));
    case PPC_H_SUBFE: ARITH(add_carrying(r, ~GPR(A), GPR(B), ca(r), 1));
    case PPC_H_SUBFME: ARITH(add_carrying(r, ~GPR(A), 0xffffffffu, ca(r), 1));
    case PPC_H_SUBFZE: ARITH(add_carrying(r, ~GPR(A), 0, ca(r), 1));
    case PPC_H_NEG: ARITH(0u - GPR(A));
    case PPC_H_MULLW: ARITH((uint32_t)((int64_t)(int32_t)GPR(A) * (int64_t)(int32_t)GPR(B)));
    case PPC_H_MULHW: ARITH((uint32_t)(((int64_t)(int32_t)GPR(A) * (int64_t)(int32_t)GPR(B)) >> 32));
    case PPC_H_MULHWU: ARITH((uint32_t)(((uint64_t)GPR(A) * (uint64_t)GPR(B)) >> 32));
    case PPC_H_DIVW: {
        int32_t a = (int32_t)GPR(A), b = (int32_t)GPR(B);
        int bad = b == 0 || (a == INT32_MIN && b == -1);
        ARITH(bad ? (a < 0 && b == 0 ? 0xffffffffu : 0u) : (uint32_t)(a / b));
    }
    case PPC_H_DIVWU: { uint32_t a = GPR(A), b = GPR(B); ARITH(b == 0 ? 0u : a / b); }
    case PPC_H_ANDI: LOGIC(GPR(D) & IMM);
    case PPC_H_ORI: GPR(A) = GPR(D) | IMM; return 0;
    case PPC_H_XORI: GPR(A) = GPR(D) ^ IMM; return 0;
    case PPC_H_AND: LOGIC(GPR(D) & GPR(B));
    case PPC_H_ANDC: LOGIC(GPR(D) & ~GPR(B));
    case PPC_H_OR: LOGIC(GPR(D) | GPR(B));
    case PPC_H_ORC: LOGIC(GPR(D) | ~GPR(B));
    case PPC_H_XOR: LOGIC(GPR(D) ^ GPR(B));
    case PPC_H_NAND: LOGIC(~(GPR(D) & GPR(B)));
    case PPC_H_NOR: LOGIC(~(GPR(D) | GPR(B)));
    case PPC_H_EQV: LOGIC(~(GPR(D) ^ GPR(B)));
    case PPC_H_EXTSB: LOGIC((uint32_t)(int32_t)(int8_t)GPR(D));
    case PPC_H_EXTSH: LOGIC((uint32_t)(int32_t)(int16_t)GPR(D));
    case PPC_H_CNTLZW: { uint32_t v = GPR(D); LOGIC(v == 0 ? 32u : (uint32_t)__builtin_clz(v)); }
    case PPC_H_SLW: { uint32_t s = GPR(B) & 63; LOGIC(s > 31 ? 0u : GPR(D) << s); }
    case PPC_H_SRW: { uint32_t s = GPR(B) & 63; LOGIC(s > 31 ? 0u : GPR(D) >> s); }
    case PPC_H_SRAW: {
        uint32_t s = GPR(B) & 63;
        int32_t v = (int32_t)GPR(D);
        int32_t res = s > 31 ? (v < 0 ? -1 : 0) : v >> s;
        int lost = s > 31 ? v != 0 : (s > 0 && ((uint32_t)v << (32 - s)) != 0);
        set_ca(r, v < 0 && lost);
        LOGIC((uint32_t)res);
    }
    case PPC_H_SRAWI: {
        uint32_t s = B;
        int32_t v = (int32_t)GPR(D);
        set_ca(r, v < 0 && s > 0 && ((uint32_t)v << (32 - s)) != 0);
        LOGIC((uint32_t)(v >> s));
    }
    case PPC_H_RLWINM: LOGIC(rotl(GPR(D), B) & IMM);
    case PPC_H_RLWNM: LOGIC(rotl(GPR(D), GPR(B) & 31) & IMM);
    case PPC_H_RLWIMI: { uint32_t m = IMM; LOGIC((rotl(GPR(D), B) & m) | (GPR(A) & ~m)); }
    case PPC_H_CMP: compare(r, D, (int32_t)GPR(A), (int32_t)GPR(B)); return 0;
    case PPC_H_CMPI: compare(r, D, (int32_t)GPR(A), op->imm); return 0;
    case PPC_H_CMPL: compare(r, D, GPR(A), GPR(B)); return 0;
    case PPC_H_CMPLI: compare(r, D, GPR(A), IMM); return 0;
    case PPC_H_MFSPR:
        switch (op->imm) {
        case 1: GPR(D) = r->xer; return 0;
        case 8: GPR(D) = r->lr; return 0;
        case 9: GPR(D) = r->ctr; return 0;
        default: return 1;
        }
    case PPC_H_MTSPR:
        switch (op->imm) {
        case 1: r->xer = GPR(D) & 0xe000007fu; return 0;
        case 8: r->lr = GPR(D); return 0;
        case 9: r->ctr = GPR(D); return 0;
        default: return 1;
        }
    case PPC_H_MFCR: GPR(D) = r->cr; return 0;
    case PPC_H_ISEL: GPR(D) = cr_bit(r, op->c) ? BASE(A) : GPR(B); return 0;
    default: return 1;
    }
#undef ARITH
#undef LOGIC
}

uint32_t ppc_core_branch(ppc_regs *r, uint64_t op_lo, uint64_t op_hi, uint32_t pc) {
    ppc_op o;
    uint64_t words[2] = { op_lo, op_hi };
    memcpy(&o, words, sizeof o);
    const ppc_op *op = &o;
    uint32_t next = pc + 4;
    switch (op->fast) {
    case PPC_H_BC:
        if (branch_taken(r, D, A)) next = ((op->flags & 2) ? 0 : pc) + IMM;
        break;
    case PPC_H_BCLR: {
        uint32_t target = r->lr & ~3u;
        if (branch_taken(r, D, A)) next = target;
        break;
    }
    default: // PPC_H_BCCTR (the translator gives the invalid CTR-decrementing form to Swift)
        if (branch_taken(r, D, A)) next = r->ctr & ~3u;
        break;
    }
    if (op->flags & 1) r->lr = pc + 4;
    return next;
}
#undef D
#undef A
#undef B
#undef IMM
#undef RC

#define PPC_CORE_LOOP_NAME ppc_core_run
#define PPC_CORE_ONE_BLOCK 0
#include "ppc_core_loop.h"
#undef PPC_CORE_LOOP_NAME
#undef PPC_CORE_ONE_BLOCK

#define PPC_CORE_LOOP_NAME ppc_core_run_block
#define PPC_CORE_ONE_BLOCK 1
#include "ppc_core_loop.h"
#undef PPC_CORE_LOOP_NAME
#undef PPC_CORE_ONE_BLOCK
