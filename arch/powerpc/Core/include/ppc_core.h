// The PowerPC interpreter's hot loop in C (issue #14, item 1): blocks of pre-decoded ops run
// with computed-goto dispatch (one indirect jump per handler, each predicted on its own), the
// guest registers of the block in host registers where the compiler can, and the software TLB
// and the decoded-page cache probed inline. It handles the common integer, load/store and
// branch ops; everything else — and every TLB miss, page change the front cache cannot answer,
// fault or system call — goes back to the Swift interpreter (PPCInterpreter), which runs that
// one op and calls in again. Why C: docs/performance.md, "The interpreter engine".
//
// The structures mirror Swift's PPCOp and PPCRegisters; PPCFastCore.swift checks the offsets.
#ifndef PPC_CORE_H
#define PPC_CORE_H
#include <stdint.h>

/// One pre-decoded instruction (Swift's PPCOp: 16 bytes).
typedef struct {
    uint8_t kind, d, a, b, c;
    /// The C handler (PPC_H_*), or PPC_H_SLOW: the Swift interpreter runs the op.
    uint8_t fast;
    uint8_t pad0[2];
    int32_t imm;
    uint8_t flags, pad1;
    /// Ops from this one to the end of its block (it included).
    uint16_t run;
} ppc_op;

/// The user register file (Swift's PPCRegisters).
typedef struct {
    uint32_t gpr[32];
    uint64_t fpr[32];
    uint32_t pc, lr, ctr, cr, xer, fpscr, orig_r3, reservation;
} ppc_regs;

/// What the loop reads: the software TLB's arrays (512 entries), the decoded-page cache's
/// direct-mapped front (256 entries) and its generation.
typedef struct {
    const uint64_t *read_tags;
    const uintptr_t *read_bases;
    const uint64_t *write_tags;
    const uintptr_t *write_bases;
    const uint64_t *front_tags;
    ppc_op *const *front_ops;
    const uint64_t *generation;
} ppc_env;

enum {
    PPC_H_SLOW = 0,
    PPC_H_LI, PPC_H_MR, PPC_H_ADDI, PPC_H_ADDIC, PPC_H_ADDIC_RC, PPC_H_SUBFIC, PPC_H_MULLI,
    PPC_H_ADD, PPC_H_ADDC, PPC_H_ADDE, PPC_H_ADDME, PPC_H_ADDZE,
    PPC_H_SUBF, PPC_H_SUBFC, PPC_H_SUBFE, PPC_H_SUBFME, PPC_H_SUBFZE, PPC_H_NEG,
    PPC_H_MULLW, PPC_H_MULHW, PPC_H_MULHWU, PPC_H_DIVW, PPC_H_DIVWU,
    PPC_H_ANDI, PPC_H_ORI, PPC_H_XORI,
    PPC_H_AND, PPC_H_ANDC, PPC_H_OR, PPC_H_ORC, PPC_H_XOR, PPC_H_NAND, PPC_H_NOR, PPC_H_EQV,
    PPC_H_EXTSB, PPC_H_EXTSH, PPC_H_CNTLZW, PPC_H_SLW, PPC_H_SRW, PPC_H_SRAW, PPC_H_SRAWI,
    PPC_H_RLWINM, PPC_H_RLWNM, PPC_H_RLWIMI,
    PPC_H_CMP, PPC_H_CMPI, PPC_H_CMPL, PPC_H_CMPLI,
    PPC_H_LWZ, PPC_H_LWZX, PPC_H_LBZ, PPC_H_LBZX, PPC_H_LHZ, PPC_H_LHZX, PPC_H_LHA, PPC_H_LHAX,
    PPC_H_STW, PPC_H_STWX, PPC_H_STB, PPC_H_STBX, PPC_H_STH, PPC_H_STHX,
    PPC_H_B, PPC_H_BC, PPC_H_BT, PPC_H_BF, PPC_H_BDNZ, PPC_H_BDZ, PPC_H_BLR, PPC_H_BCLR, PPC_H_BCCTR,
    PPC_H_MFSPR, PPC_H_MTSPR, PPC_H_MFCR, PPC_H_ISEL,
    PPC_H_COUNT
};

/// Why `ppc_core_run` returned.
enum {
    /// The budget is spent.
    PPC_CORE_BUDGET = 0,
    /// The op at r->pc is the Swift interpreter's (a slow op, a TLB miss, a page the front
    /// cache does not hold, a changed generation, a misaligned pc).
    PPC_CORE_SLOW = 1,
    /// (ppc_core_run_block only) A block ended; r->pc is the next one's address.
    PPC_CORE_BLOCK = 2,
};

/// Runs blocks from r->pc until the budget (*remaining, decremented by the ops retired) is
/// spent or an op needs the Swift interpreter; r->pc is then that op's address.
int ppc_core_run(ppc_regs *r, const ppc_env *env, long *remaining);

/// ppc_core_run that returns after one block (PPC_CORE_BLOCK), so that the JIT's dispatcher
/// sees every block start (counts it, or runs its translation).
int ppc_core_run_block(ppc_regs *r, const ppc_env *env, long *remaining);

/// Runs one op that touches only registers (any handler but the loads, stores and branches),
/// with ppc_core_run's semantics; returns 0, or 1 without changing anything when the op is
/// Swift's (an SPR the C loop does not know). What translated code calls for the ops it does
/// not emit itself. The op is passed by value (two words) so that code never points into a
/// decoded page.
int ppc_core_register_op(ppc_regs *r, uint64_t op_lo, uint64_t op_hi);

/// The next pc after the conditional branch `op` (bc, bclr, bcctr with BO's CTR form) at `pc`,
/// updating CTR and LR as it does; what translated code calls for the general forms.
uint32_t ppc_core_branch(ppc_regs *r, uint64_t op_lo, uint64_t op_hi, uint32_t pc);

#endif
