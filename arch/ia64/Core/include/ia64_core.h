// The IA-64 interpreter's hot loop in C (issue #14, item 1), after the PowerPC one
// (arch/powerpc/Core): decoded bundles run slot by slot with computed-goto dispatch (one
// indirect jump per handler, each predicted on its own), the register-stack frame and the
// predicates in locals, the software TLB and the decoded-page cache probed inline. It runs the
// common integer A-unit ops, compares, shifts and bit fields, moves to and from branch
// registers and ar.lc/ar.pfs/ar.ec, plain loads and stores, setf.sig/getf.sig and xma (the
// integer multiply), and the B-unit branches
// (br.cond, br.cloop, br.ctop/cexit, br.call, br.ret); everything else — and every case it does
// not expect (a NaT operand, a register outside the frame, a TLB miss, a page the front cache
// does not hold) — goes back to the Swift interpreter (IA64Interpreter), which runs that one
// instruction from the state the C loop left untouched and calls in again. Why C:
// docs/performance.md, "The interpreter engine".
//
// The instruction and bundle structures mirror Swift's Instruction and DecodedBundle;
// IA64Core.swift checks the offsets. The register state is this file's own struct, copied from
// and back to IA64State around each call.
#ifndef IA64_CORE_H
#define IA64_CORE_H
#include <stdint.h>

/// One decoded slot (Swift's IA64Decoder.Instruction: 24 bytes).
typedef struct {
    uint16_t op;  // Swift's Op (the C loop reads `fast` instead)
    uint8_t qp, r1, r2, r3, r4, c1, c2;
    uint8_t pad[7];
    int64_t imm;
} ia64_insn;

/// One decoded bundle (Swift's DecodedBundle).
typedef struct {
    ia64_insn slots[3];
    uint8_t stops, valid;
    /// The C handler of each slot (IA64_H_*), IA64_H_SLOW for the Swift interpreter's.
    uint8_t fast[3];
    /// The slots that hold instructions: 2 in an MLX bundle (slot 2 is the L half), else 3.
    uint8_t slot_count;
} ia64_bundle;

/// A floating-point register (Swift's FReg: significand, sign and exponent).
typedef struct {
    uint64_t sig;
    uint32_t exp;
    uint32_t pad;
} ia64_freg;

/// The register state the loop changes (IA64State's scalars; the register files are reached
/// through ia64_env's pointers). The frame marker is unpacked.
typedef struct {
    uint64_t ip;
    int64_t slot;
    /// The predicates as IA64State keeps them (physical: rotation by rrb_pr applied).
    uint64_t pr;
    /// NaT bits of r0–r31.
    uint64_t grnat;
    uint64_t lc, ec, pfs;
    /// The current frame's r32 in `stacked`, and the entries flushrs has written.
    int64_t bof, flushed;
    int64_t sof, sol, sor, rrb_gr, rrb_fr, rrb_pr;
    /// Entries in the ALAT: stores leave for Swift unless it is empty (they invalidate it).
    int64_t alat_count;
} ia64_regs;

/// What the loop reads besides the registers: the register files, the software TLB's arrays
/// (512 entries), the decoded-page cache's direct-mapped front (256 entries).
typedef struct {
    uint64_t *gr;          // r0–r31
    uint64_t *stacked;     // every frame's stacked registers
    uint8_t *stacked_nat;
    uint64_t *br;          // b0–b7
    ia64_freg *fr;         // f0–f127 (physical: rotation by rrb_fr applied)
    int64_t stacked_capacity;
    const uint64_t *read_tags;
    const uintptr_t *read_bases;
    const uint64_t *write_tags;
    const uintptr_t *write_bases;
    const uint64_t *front_tags;
    ia64_bundle *const *front_ops;
} ia64_env;

enum {
    IA64_H_SLOW = 0,
    IA64_H_NOP,
    /// Slot 2 of an MLX bundle (the L half of slot 1's instruction): on to the next bundle.
    IA64_H_LSLOT,
    // A unit
    IA64_H_ADD, IA64_H_ADD1, IA64_H_SUB, IA64_H_SUB1, IA64_H_AND, IA64_H_ANDCM, IA64_H_OR, IA64_H_XOR,
    IA64_H_SHLADD, IA64_H_ADDP4, IA64_H_SHLADDP4,
    IA64_H_SUB_IMM, IA64_H_AND_IMM, IA64_H_ANDCM_IMM, IA64_H_OR_IMM, IA64_H_XOR_IMM, IA64_H_ADD_IMM,
    IA64_H_ADDP4_IMM, IA64_H_MOVL,
    // compares: relation (eq ne lt le gt ge ltu leu gtu geu) × {cmp, cmp4} × {register, immediate}
    IA64_H_CMP,
    IA64_H_CMP_END = IA64_H_CMP + 40,
    IA64_H_TBIT_Z, IA64_H_TBIT_NZ,
    // I unit
    IA64_H_SHL, IA64_H_SHR, IA64_H_SHR_U, IA64_H_SHRP, IA64_H_EXTR, IA64_H_EXTR_U,
    IA64_H_DEP_Z, IA64_H_DEP_Z_IMM, IA64_H_DEP, IA64_H_DEP_IMM,
    IA64_H_SXT1, IA64_H_SXT2, IA64_H_SXT4, IA64_H_ZXT1, IA64_H_ZXT2, IA64_H_ZXT4,
    IA64_H_POPCNT, IA64_H_MPY4, IA64_H_CLZ,
    IA64_H_MOV_TO_BR, IA64_H_MOV_FROM_BR, IA64_H_MOV_FROM_IP,
    IA64_H_MOV_TO_LC, IA64_H_MOV_TO_PFS, IA64_H_MOV_TO_EC,
    IA64_H_MOV_TO_LC_IMM, IA64_H_MOV_TO_PFS_IMM, IA64_H_MOV_TO_EC_IMM,
    IA64_H_MOV_FROM_LC, IA64_H_MOV_FROM_PFS, IA64_H_MOV_FROM_EC,
    // M unit
    IA64_H_ALLOC, IA64_H_SETF_SIG, IA64_H_GETF_SIG,
    IA64_H_LD, IA64_H_LD_REG, IA64_H_LD_IMM, IA64_H_ST, IA64_H_ST_IMM,
    // F unit: the integer multiplies (xma)
    IA64_H_XMA_L, IA64_H_XMA_HU, IA64_H_XMA_H,
    // B unit
    IA64_H_BR_REL, IA64_H_BR_IND, IA64_H_BR_CALL_REL, IA64_H_BR_CALL, IA64_H_BR_RET,
    IA64_H_BR_CLOOP, IA64_H_BR_CTOP, IA64_H_BR_CEXIT,
    IA64_H_COUNT
};

/// Why `ia64_core_run` returned.
enum {
    /// The budget is spent.
    IA64_CORE_BUDGET = 0,
    /// The instruction at (ip, slot) is the Swift interpreter's.
    IA64_CORE_SLOW = 1,
};

/// Runs slots from (r->ip, r->slot) until the budget (*remaining, decremented by the slots
/// retired) is spent or an instruction needs the Swift interpreter; (ip, slot) is then that
/// instruction's.
int ia64_core_run(ia64_regs *r, const ia64_env *env, long *remaining);

#endif
