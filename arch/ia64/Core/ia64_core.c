// The IA-64 hot loop: see include/ia64_core.h. Semantics follow IA64Interpreter.step exactly;
// a handler either completes its instruction as the Swift interpreter would or leaves for Swift
// before it changed anything (`slow`), so Swift runs the instruction from the same state.
#include "ia64_core.h"

#define MASK48 ((1ull << 48) - 1)

/// The predicates in the loop are *logical*: bit p is predicate p as instructions name it, so a
/// qualifying predicate is one shift. IA64State keeps them physical (p16–p63 rotated by rrb_pr).
static inline uint64_t rotl48(uint64_t f, unsigned n) {
    n %= 48;
    return n == 0 ? f : ((f << n) | (f >> (48 - n))) & MASK48;
}
static inline uint64_t to_logical(uint64_t pr, unsigned rrb) { return (pr & 0xffff) | rotl48(pr >> 16, 48 - rrb) << 16; }
static inline uint64_t to_physical(uint64_t pr, unsigned rrb) { return (pr & 0xffff) | rotl48(pr >> 16, rrb) << 16; }
static inline uint64_t set_pred(uint64_t pr, unsigned p, int v) {
    p &= 63;
    if (p == 0) return pr;
    return (pr & ~(1ull << p)) | ((uint64_t)(v != 0) << p);
}
/// IA64Interpreter.writePredicates for the compare types other than the normal one.
static inline uint64_t write_preds(uint64_t pr, unsigned type, unsigned p1, unsigned p2, int res, int qp, int nat) {
    switch (type) {
    case 1:  // .unc
        if (!qp) return set_pred(set_pred(pr, p1, 0), p2, 0);
        return set_pred(set_pred(pr, p1, !nat && res), p2, !nat && !res);
    case 2:  // .and
        if (qp && (nat || !res)) pr = set_pred(set_pred(pr, p1, 0), p2, 0);
        return pr;
    case 3:  // .or
        if (qp && !nat && res) pr = set_pred(set_pred(pr, p1, 1), p2, 1);
        return pr;
    case 4:  // .or.andcm
        if (qp && !nat && res) pr = set_pred(set_pred(pr, p1, 1), p2, 0);
        return pr;
    default:  // normal (an unknown type is normal, as in Swift)
        if (qp) pr = set_pred(set_pred(pr, p1, !nat && res), p2, !nat && !res);
        return pr;
    }
}
/// Index of stacked register x (32…127) from the frame's r32, or -1 outside the frame
/// (IA64State.stackedIndex less bof). Below sof ≤ 96; bof + sof ≤ the capacity.
static inline long stacked_index(unsigned x, long sof, long sor, long rrb) {
    long i = (long)x - 32;
    if (i >= sof) return -1;
    if (i < sor) {
        i += rrb;
        if (i >= sor) i -= sor;
    }
    return i;
}
static inline uint64_t cfm_raw(const ia64_regs *r, long sof, long sor, long rrb) {
    return (uint64_t)sof | (uint64_t)r->sol << 7 | (uint64_t)(sor / 8) << 14 | (uint64_t)rrb << 18
        | (uint64_t)r->rrb_fr << 25 | (uint64_t)r->rrb_pr << 32;
}

int ia64_core_run(ia64_regs *r, const ia64_env *env, long *remaining_io) {
    // Every handler exists three times, once per slot (HANDLER): the copy knows its slot, so
    // going on to the next slot is one indirect jump through that slot's table, and clang keeps
    // a separate indirect jump per handler (each predicted on its own).
#define CMP_ENTRIES(S, rel) [IA64_H_CMP + 4 * rel] = &&h_cmp_r_##rel##_##S, [IA64_H_CMP + 4 * rel + 1] = &&h_cmp_i_##rel##_##S, \
    [IA64_H_CMP + 4 * rel + 2] = &&h_cmp4_r_##rel##_##S, [IA64_H_CMP + 4 * rel + 3] = &&h_cmp4_i_##rel##_##S
#define ENTRIES(S) { \
        [IA64_H_SLOW] = &&slow_##S, [IA64_H_NOP] = &&h_nop_##S, [IA64_H_LSLOT] = &&h_lslot_##S, \
        [IA64_H_ADD] = &&h_add_##S, [IA64_H_ADD1] = &&h_add1_##S, [IA64_H_SUB] = &&h_sub_##S, [IA64_H_SUB1] = &&h_sub1_##S, \
        [IA64_H_AND] = &&h_and_##S, [IA64_H_ANDCM] = &&h_andcm_##S, [IA64_H_OR] = &&h_or_##S, [IA64_H_XOR] = &&h_xor_##S, \
        [IA64_H_SHLADD] = &&h_shladd_##S, [IA64_H_ADDP4] = &&h_addp4_##S, [IA64_H_SHLADDP4] = &&h_shladdp4_##S, \
        [IA64_H_SUB_IMM] = &&h_sub_imm_##S, [IA64_H_AND_IMM] = &&h_and_imm_##S, [IA64_H_ANDCM_IMM] = &&h_andcm_imm_##S, \
        [IA64_H_OR_IMM] = &&h_or_imm_##S, [IA64_H_XOR_IMM] = &&h_xor_imm_##S, [IA64_H_ADD_IMM] = &&h_add_imm_##S, \
        [IA64_H_ADDP4_IMM] = &&h_addp4_imm_##S, [IA64_H_MOVL] = &&h_movl_##S, \
        CMP_ENTRIES(S, 0), CMP_ENTRIES(S, 1), CMP_ENTRIES(S, 2), CMP_ENTRIES(S, 3), CMP_ENTRIES(S, 4), \
        CMP_ENTRIES(S, 5), CMP_ENTRIES(S, 6), CMP_ENTRIES(S, 7), CMP_ENTRIES(S, 8), CMP_ENTRIES(S, 9), \
        [IA64_H_TBIT_Z] = &&h_tbit_z_##S, [IA64_H_TBIT_NZ] = &&h_tbit_nz_##S, \
        [IA64_H_SHL] = &&h_shl_##S, [IA64_H_SHR] = &&h_shr_##S, [IA64_H_SHR_U] = &&h_shr_u_##S, [IA64_H_SHRP] = &&h_shrp_##S, \
        [IA64_H_EXTR] = &&h_extr_##S, [IA64_H_EXTR_U] = &&h_extr_u_##S, \
        [IA64_H_DEP_Z] = &&h_dep_z_##S, [IA64_H_DEP_Z_IMM] = &&h_dep_z_imm_##S, [IA64_H_DEP] = &&h_dep_##S, \
        [IA64_H_DEP_IMM] = &&h_dep_imm_##S, \
        [IA64_H_SXT1] = &&h_sxt1_##S, [IA64_H_SXT2] = &&h_sxt2_##S, [IA64_H_SXT4] = &&h_sxt4_##S, \
        [IA64_H_ZXT1] = &&h_zxt1_##S, [IA64_H_ZXT2] = &&h_zxt2_##S, [IA64_H_ZXT4] = &&h_zxt4_##S, \
        [IA64_H_POPCNT] = &&h_popcnt_##S, [IA64_H_MPY4] = &&h_mpy4_##S, [IA64_H_CLZ] = &&h_clz_##S, \
        [IA64_H_MOV_TO_BR] = &&h_mov_to_br_##S, [IA64_H_MOV_FROM_BR] = &&h_mov_from_br_##S, \
        [IA64_H_MOV_FROM_IP] = &&h_mov_from_ip_##S, \
        [IA64_H_MOV_TO_LC] = &&h_mov_to_lc_##S, [IA64_H_MOV_TO_PFS] = &&h_mov_to_pfs_##S, [IA64_H_MOV_TO_EC] = &&h_mov_to_ec_##S, \
        [IA64_H_MOV_TO_LC_IMM] = &&h_mov_to_lc_imm_##S, [IA64_H_MOV_TO_PFS_IMM] = &&h_mov_to_pfs_imm_##S, \
        [IA64_H_MOV_TO_EC_IMM] = &&h_mov_to_ec_imm_##S, \
        [IA64_H_MOV_FROM_LC] = &&h_mov_from_lc_##S, [IA64_H_MOV_FROM_PFS] = &&h_mov_from_pfs_##S, \
        [IA64_H_MOV_FROM_EC] = &&h_mov_from_ec_##S, \
        [IA64_H_ALLOC] = &&h_alloc_##S, [IA64_H_SETF_SIG] = &&h_setf_sig_##S, [IA64_H_GETF_SIG] = &&h_getf_sig_##S, \
        [IA64_H_LD] = &&h_ld_##S, [IA64_H_LD_REG] = &&h_ld_reg_##S, [IA64_H_LD_IMM] = &&h_ld_imm_##S, \
        [IA64_H_ST] = &&h_st_##S, [IA64_H_ST_IMM] = &&h_st_imm_##S, \
        [IA64_H_XMA_L] = &&h_xma_l_##S, [IA64_H_XMA_HU] = &&h_xma_hu_##S, [IA64_H_XMA_H] = &&h_xma_h_##S, \
        [IA64_H_BR_REL] = &&h_br_rel_##S, [IA64_H_BR_IND] = &&h_br_ind_##S, [IA64_H_BR_CALL_REL] = &&h_br_call_rel_##S, \
        [IA64_H_BR_CALL] = &&h_br_call_##S, [IA64_H_BR_RET] = &&h_br_ret_##S, [IA64_H_BR_CLOOP] = &&h_br_cloop_##S, \
        [IA64_H_BR_CTOP] = &&h_br_ctop_##S, [IA64_H_BR_CEXIT] = &&h_br_cexit_##S, \
    }
    static const void *const handlers0[IA64_H_COUNT] = ENTRIES(0);
    static const void *const handlers1[IA64_H_COUNT] = ENTRIES(1);
    static const void *const handlers2[IA64_H_COUNT] = ENTRIES(2);
    static const void *const *const tables[3] = { handlers0, handlers1, handlers2 };
    long remaining = *remaining_io;
    uint64_t ip = r->ip;
    long slot = r->slot;
    uint64_t pr = to_logical(r->pr, (unsigned)r->rrb_pr);
    uint64_t grnat = r->grnat;
    uint64_t lc = r->lc;
    long sof = r->sof, sor = r->sor, rrb = r->rrb_gr;
    uint64_t *const gr = env->gr;
    uint64_t *const br = env->br;
    uint64_t *stk = env->stacked + r->bof;
    uint8_t *stkn = env->stacked_nat + r->bof;
    const ia64_bundle *page = 0, *b;
    const ia64_insn *in;
    uint64_t page_base = 1;  // never a page base

    // The budget is charged per bundle: on entering a bundle, for the slots from the current
    // one to its last (a bundle the budget does not cover is left to Swift, slot by slot, so
    // the budget holds to the instruction); a taken branch and a slot left to Swift give back
    // what they did not run.
#define HANDLER(name, ...) \
    name##_0: { enum { S = 0 }; __VA_ARGS__ } \
    name##_1: { enum { S = 1 }; __VA_ARGS__ } \
    name##_2: { enum { S = 2 }; __VA_ARGS__ }
    // The Swift interpreter runs slot S of this bundle (nothing has changed).
#define SLOW() do { slot = S; goto slow; } while (0)
    // Reads register x into v (value) and n (NaT bit), or leaves for Swift (outside the frame).
#define GET(x, v, n) \
    uint64_t v; unsigned n; \
    do { \
        unsigned x_ = (x); \
        if (x_ < 32) { v = gr[x_]; n = (grnat >> x_) & 1; } \
        else { long k_ = stacked_index(x_, sof, sor, rrb); if (k_ < 0) SLOW(); v = stk[k_]; n = stkn[k_]; } \
    } while (0)
    // Whether register x may be written (not r0, inside the frame).
#define WRITABLE(x) ((x) != 0 && ((x) < 32 || stacked_index((x), sof, sor, rrb) >= 0))
    // Writes register x (an instruction's last effect: leaving for Swift here changed nothing).
#define PUT(x, v, n) \
    do { \
        unsigned x_ = (x); uint64_t v_ = (v); uint64_t n_ = (n); \
        if (x_ < 32) { \
            if (x_ == 0) SLOW(); \
            gr[x_] = v_; grnat = (grnat & ~(1ull << x_)) | (n_ << x_); \
        } else { \
            long k_ = stacked_index(x_, sof, sor, rrb); if (k_ < 0) SLOW(); \
            stk[k_] = v_; stkn[k_] = (uint8_t)n_; \
        } \
    } while (0)
    // Enters bundle b at slot 0, charging its slots (ip is its address).
#define ENTER() do { \
        if (remaining < b->slot_count) { slot = 0; goto leave; } \
        remaining -= b->slot_count; \
        in = b->slots; \
        goto *handlers0[b->fast[0]]; \
    } while (0)
#define NEXT_BUNDLE() do { \
        ip += 16; \
        if ((ip & 0xfff) == 0) { slot = 0; goto at_ip; } \
        b++; \
        ENTER(); \
    } while (0)
    // The next slot, or the next bundle (an MLX bundle's slot 2 is IA64_H_LSLOT: the next bundle).
#define NEXT() do { \
        if (S == 2) NEXT_BUNDLE(); \
        in++; \
        goto *(S == 0 ? handlers1 : handlers2)[b->fast[S < 2 ? S + 1 : 0]]; \
    } while (0)
    // Ops with a false qualifying predicate do nothing (the compares use it themselves).
#define PRED() do { if (!((pr >> (in->qp & 63)) & 1)) NEXT(); } while (0)
    // A taken branch: the target bundle's slot 0 (within the page: no lookup).
#define JUMP(target) do { \
        remaining += b->slot_count - 1 - S; \
        ip = (target) & ~15ull; \
        if ((ip & ~0xfffull) != page_base) { slot = 0; goto at_ip; } \
        b = page + ((ip & 0xfff) >> 4); \
        ENTER(); \
    } while (0)
#define IMM ((uint64_t)in->imm)
#define ALU2(expr) PRED(); GET(in->r2, a, na); GET(in->r3, c, nc); PUT(in->r1, (expr), na | nc); NEXT();
#define ALU1(expr) PRED(); GET(in->r3, c, nc); PUT(in->r1, (expr), nc); NEXT();
    // The host address of an aligned guest access through the TLB, or leave for Swift.
#define PROBE(host, ea, tags, bases) \
    uintptr_t host; \
    do { \
        uint64_t pg_ = (ea) >> 12; unsigned i_ = pg_ & 511; \
        if (env->tags[i_] != pg_ + 1) SLOW(); \
        host = env->bases[i_] | ((ea) & 0xfff); \
    } while (0)
#define LOAD(v, host, size) \
    uint64_t v; \
    switch (size) { \
    case 1: v = *(const uint8_t *)host; break; \
    case 2: v = *(const uint16_t *)host; break; \
    case 4: v = *(const uint32_t *)host; break; \
    default: v = *(const uint64_t *)host; break; \
    }
#define STORE(host, v, size) \
    switch (size) { \
    case 1: *(uint8_t *)host = (uint8_t)v; break; \
    case 2: *(uint16_t *)host = (uint16_t)v; break; \
    case 4: *(uint32_t *)host = (uint32_t)v; break; \
    default: *(uint64_t *)host = v; break; \
    }

    // Entry, and any bundle on another page: (ip, slot) through the front cache.
at_ip:
    if ((ip & ~0xfffull) != page_base) {
        uint64_t pg = ip >> 12;
        unsigned i = pg & 255;
        if (env->front_tags[i] != pg + 1) goto leave;
        page = env->front_ops[i];
        page_base = ip & ~0xfffull;
    }
    b = page + ((ip & 0xfff) >> 4);
    {
        long need = b->slot_count - slot;  // 0 at an MLX bundle's slot 2
        if (remaining == 0 || remaining < need) goto leave;
        remaining -= need;
        in = &b->slots[slot];
        goto *tables[slot][b->fast[slot]];
    }

slow_0: slot = 0; goto slow;
slow_1: slot = 1; goto slow;
slow_2: slot = 2; goto slow;
slow:
    remaining += b->slot_count - slot;  // the slot and those after it were not run
leave:
    r->ip = ip; r->slot = slot;
    r->pr = to_physical(pr, (unsigned)r->rrb_pr);
    r->grnat = grnat; r->lc = lc;
    r->sof = sof; r->sor = sor; r->rrb_gr = rrb;
    *remaining_io = remaining;
    return remaining == 0 ? IA64_CORE_BUDGET : IA64_CORE_SLOW;

HANDLER(h_nop, NEXT();)
HANDLER(h_lslot, NEXT_BUNDLE();)
HANDLER(h_add, ALU2(a + c))
HANDLER(h_add1, ALU2(a + c + 1))
HANDLER(h_sub, ALU2(a - c))
HANDLER(h_sub1, ALU2(a - c - 1))
HANDLER(h_and, ALU2(a & c))
HANDLER(h_andcm, ALU2(a & ~c))
HANDLER(h_or, ALU2(a | c))
HANDLER(h_xor, ALU2(a ^ c))
HANDLER(h_shladd, ALU2((a << (IMM & 63)) + c))
HANDLER(h_addp4, ALU2(((a + c) & 0xffffffffull) | ((c >> 30) & 3) << 61))
HANDLER(h_shladdp4, ALU2((((a << (IMM & 63)) + c) & 0xffffffffull) | ((c >> 30) & 3) << 61))
HANDLER(h_sub_imm, ALU1(IMM - c))
HANDLER(h_and_imm, ALU1(IMM & c))
HANDLER(h_andcm_imm, ALU1(IMM & ~c))
HANDLER(h_or_imm, ALU1(IMM | c))
HANDLER(h_xor_imm, ALU1(IMM ^ c))
HANDLER(h_add_imm, ALU1(IMM + c))
HANDLER(h_addp4_imm, ALU1(((IMM + c) & 0xffffffffull) | ((c >> 30) & 3) << 61))
HANDLER(h_movl, PRED(); PUT(in->r1, IMM, 0); NEXT();)

    // Compares: a relation on (a, b), a = r2 or the immediate, b = r3; cmp4 compares the low
    // words. Operands outside the frame leave for Swift even under a false predicate (Swift
    // reads them first).
#define CMP_BODY(word, imm, expr) \
        uint64_t a_, na_ = 0; \
        if (imm) a_ = IMM; else { GET(in->r2, t_, nt_); a_ = t_; na_ = nt_; } \
        GET(in->r3, b_, nb_); \
        uint64_t ua = (word) ? (uint32_t)a_ : a_, ub = (word) ? (uint32_t)b_ : b_; \
        int64_t sa = (word) ? (int64_t)(int32_t)a_ : (int64_t)a_, sb = (word) ? (int64_t)(int32_t)b_ : (int64_t)b_; \
        (void)ua; (void)ub; (void)sa; (void)sb; \
        int res_ = (expr); \
        int qp_ = (pr >> (in->qp & 63)) & 1; \
        int nat_ = (na_ | nb_) != 0; \
        if (in->c2 == 0) { \
            if (qp_) pr = set_pred(set_pred(pr, in->r1, !nat_ && res_), in->r4, !nat_ && !res_); \
        } else pr = write_preds(pr, in->c2, in->r1, in->r4, res_, qp_, nat_); \
        NEXT();
#define CMP_REL(rel, expr) \
    HANDLER(h_cmp_r_##rel, CMP_BODY(0, 0, expr)) \
    HANDLER(h_cmp_i_##rel, CMP_BODY(0, 1, expr)) \
    HANDLER(h_cmp4_r_##rel, CMP_BODY(1, 0, expr)) \
    HANDLER(h_cmp4_i_##rel, CMP_BODY(1, 1, expr))
    CMP_REL(0, ua == ub)
    CMP_REL(1, ua != ub)
    CMP_REL(2, sa < sb)
    CMP_REL(3, sa <= sb)
    CMP_REL(4, sa > sb)
    CMP_REL(5, sa >= sb)
    CMP_REL(6, ua < ub)
    CMP_REL(7, ua <= ub)
    CMP_REL(8, ua > ub)
    CMP_REL(9, ua >= ub)
#define TBIT(zero) \
        GET(in->r3, v_, n_); \
        int bit_ = (int)((v_ >> (IMM & 63)) & 1); \
        if (zero) bit_ = !bit_; \
        pr = write_preds(pr, in->c2, in->r1, in->r4, bit_, (pr >> (in->qp & 63)) & 1, n_ != 0); \
        NEXT();
HANDLER(h_tbit_z, TBIT(1))
HANDLER(h_tbit_nz, TBIT(0))

    // shl r1 = r2, r3 shifts r2 by r3; shr r1 = r3, r2 shifts r3 by r2.
HANDLER(h_shl, ALU2(c > 63 ? 0 : a << c))
HANDLER(h_shr, ALU2((uint64_t)((int64_t)c >> (a > 63 ? 63 : a))))
HANDLER(h_shr_u, ALU2(a > 63 ? 0 : c >> a))
HANDLER(h_shrp, ALU2((in->c1 & 63) == 0 ? c : (c >> (in->c1 & 63)) | (a << (64 - (in->c1 & 63)))))
#define EXTR(sign) \
        PRED(); \
        GET(in->r3, c, nc); \
        unsigned pos = in->c1, len = in->c2; \
        uint64_t v = pos > 63 ? 0 : c >> pos; \
        uint64_t field = len >= 64 ? v : v & ((1ull << len) - 1); \
        if ((sign) && len < 64 && len > 0 && ((field >> (len - 1)) & 1)) field |= ~((1ull << len) - 1); \
        PUT(in->r1, field, nc); \
        NEXT();
HANDLER(h_extr, EXTR(1))
HANDLER(h_extr_u, EXTR(0))
HANDLER(h_dep_z,
        PRED();
        GET(in->r2, a, na);
        unsigned pos = in->c1, len = in->c2;
        uint64_t mask = len >= 64 ? ~0ull : (1ull << len) - 1;
        PUT(in->r1, pos > 63 ? 0 : (a & mask) << pos, na);
        NEXT();)
HANDLER(h_dep_z_imm,
        PRED();
        unsigned pos = in->c1, len = in->c2;
        uint64_t mask = len >= 64 ? ~0ull : (1ull << len) - 1;
        PUT(in->r1, pos > 63 ? 0 : (IMM & mask) << pos, 0);
        NEXT();)
HANDLER(h_dep,
        PRED();
        GET(in->r2, a, na);
        GET(in->r3, c, nc);
        unsigned pos = in->c1, len = in->c2;
        uint64_t mask = pos > 63 ? 0 : (len >= 64 ? ~0ull : (1ull << len) - 1) << pos;
        PUT(in->r1, (c & ~mask) | ((pos > 63 ? 0 : a << pos) & mask), na | nc);
        NEXT();)
HANDLER(h_dep_imm,
        PRED();
        GET(in->r3, c, nc);
        unsigned pos = in->c1, len = in->c2;
        uint64_t mask = pos > 63 ? 0 : (len >= 64 ? ~0ull : (1ull << len) - 1) << pos;
        PUT(in->r1, (c & ~mask) | ((pos > 63 ? 0 : IMM << pos) & mask), nc);
        NEXT();)
HANDLER(h_sxt1, ALU1((uint64_t)(int64_t)(int8_t)c))
HANDLER(h_sxt2, ALU1((uint64_t)(int64_t)(int16_t)c))
HANDLER(h_sxt4, ALU1((uint64_t)(int64_t)(int32_t)c))
HANDLER(h_zxt1, ALU1(c & 0xff))
HANDLER(h_zxt2, ALU1(c & 0xffff))
HANDLER(h_zxt4, ALU1(c & 0xffffffffull))
HANDLER(h_popcnt, ALU1((uint64_t)__builtin_popcountll(c)))
HANDLER(h_mpy4, ALU2((a & 0xffffffffull) * (c & 0xffffffffull)))
HANDLER(h_clz, ALU1(c == 0 ? 64 : (uint64_t)__builtin_clzll(c)))

    // Moves. Values moved to other register files must not be NaT (Swift raises the fault).
HANDLER(h_mov_to_br, PRED(); GET(in->r2, v, n); if (n) SLOW(); br[in->r1 & 7] = v; NEXT();)
HANDLER(h_mov_from_br, PRED(); PUT(in->r1, br[in->r2 & 7], 0); NEXT();)
HANDLER(h_mov_from_ip, PRED(); PUT(in->r1, ip, 0); NEXT();)
HANDLER(h_mov_to_lc, PRED(); GET(in->r2, v, n); if (n) SLOW(); lc = v; NEXT();)
HANDLER(h_mov_to_pfs, PRED(); GET(in->r2, v, n); if (n) SLOW(); r->pfs = v; NEXT();)
HANDLER(h_mov_to_ec, PRED(); GET(in->r2, v, n); if (n) SLOW(); r->ec = v & 0x3f; NEXT();)
HANDLER(h_mov_to_lc_imm, PRED(); lc = IMM; NEXT();)
HANDLER(h_mov_to_pfs_imm, PRED(); r->pfs = IMM; NEXT();)
HANDLER(h_mov_to_ec_imm, PRED(); r->ec = IMM & 0x3f; NEXT();)
HANDLER(h_mov_from_lc, PRED(); PUT(in->r1, lc, 0); NEXT();)
HANDLER(h_mov_from_pfs, PRED(); PUT(in->r1, r->pfs, 0); NEXT();)
HANDLER(h_mov_from_ec, PRED(); PUT(in->r1, r->ec, 0); NEXT();)

HANDLER(h_alloc,
        PRED();
        long nsof = in->r2, nsol = in->r3, nsor = (long)in->c1 * 8;
        if (nsof > 96 || nsol > nsof || nsor > nsof || r->bof + nsof > env->stacked_capacity) SLOW();
        long nrrb = nsor != sor ? 0 : rrb;
        unsigned x = in->r1;
        if (x == 0 || (x >= 32 && stacked_index(x, nsof, nsor, nrrb) < 0)) SLOW();
        uint64_t old = r->pfs;
        sof = nsof; r->sol = nsol; sor = nsor; rrb = nrrb;
        PUT(x, old, 0);
        NEXT();)

    // Integers in floating-point registers (IA64State.physFR: f32–f127 rotate by rrb_fr).
#define FR(f) (&env->fr[(f) < 32 ? (f) : 32 + ((f) - 32 + r->rrb_fr) % 96])
#define INTEGER_EXP 0x1003E
HANDLER(h_setf_sig,
        PRED();
        GET(in->r2, v, n);
        if (n || in->r1 < 2 || in->r1 > 127) SLOW();
        ia64_freg *d = FR(in->r1);
        d->sig = v; d->exp = INTEGER_EXP;
        NEXT();)
HANDLER(h_getf_sig,
        PRED();
        const ia64_freg *f = FR(in->r2 & 127);
        // NaTVal (significand 0, exponent 0x1FFFE) gives a NaT.
        PUT(in->r1, f->sig, f->sig == 0 && f->exp == 0x1FFFE);
        NEXT();)
    // xma f1 = f3 × f4 + f2 on the significands (unsigned low, unsigned high, signed high).
#define XMA(expr) \
        PRED(); \
        if (in->r1 < 2 || in->r1 > 127) SLOW(); \
        uint64_t a = FR(in->r3 & 127)->sig, c = FR(in->r4 & 127)->sig, d = FR(in->r2 & 127)->sig; \
        ia64_freg *t = FR(in->r1); \
        t->sig = (expr); t->exp = INTEGER_EXP; \
        NEXT();
HANDLER(h_xma_l, XMA(a * c + d))
HANDLER(h_xma_hu, XMA((uint64_t)(((unsigned __int128)a * c + d) >> 64)))
HANDLER(h_xma_h, XMA((uint64_t)(((__int128)(int64_t)a * (int64_t)c + (unsigned __int128)d) >> 64)))

    // Plain loads and stores (no speculation, ALAT or spill/fill: those are Swift's).
HANDLER(h_ld,
        PRED();
        GET(in->r3, base, nb);
        unsigned size = 1u << (in->c1 & 3);
        if (nb || (base & (size - 1)) || !WRITABLE(in->r1)) SLOW();
        PROBE(host, base, read_tags, read_bases);
        LOAD(v, host, size);
        PUT(in->r1, v, 0);
        NEXT();)
HANDLER(h_ld_reg,
        PRED();
        GET(in->r3, base, nb);
        GET(in->r2, inc, ni);
        unsigned size = 1u << (in->c1 & 3);
        if (nb || ni || (base & (size - 1)) || !WRITABLE(in->r1) || !WRITABLE(in->r3)) SLOW();
        PROBE(host, base, read_tags, read_bases);
        LOAD(v, host, size);
        PUT(in->r1, v, 0);
        PUT(in->r3, base + inc, 0);
        NEXT();)
HANDLER(h_ld_imm,
        PRED();
        GET(in->r3, base, nb);
        unsigned size = 1u << (in->c1 & 3);
        if (nb || (base & (size - 1)) || !WRITABLE(in->r1) || !WRITABLE(in->r3)) SLOW();
        PROBE(host, base, read_tags, read_bases);
        LOAD(v, host, size);
        PUT(in->r1, v, 0);
        PUT(in->r3, base + IMM, 0);
        NEXT();)
HANDLER(h_st,
        PRED();
        GET(in->r3, base, nb);
        GET(in->r2, v, nv);
        unsigned size = 1u << (in->c1 & 3);
        if (r->alat_count != 0 || nb || nv || (base & (size - 1))) SLOW();
        PROBE(host, base, write_tags, write_bases);
        STORE(host, v, size);
        NEXT();)
HANDLER(h_st_imm,
        PRED();
        GET(in->r3, base, nb);
        GET(in->r2, v, nv);
        unsigned size = 1u << (in->c1 & 3);
        if (r->alat_count != 0 || nb || nv || (base & (size - 1)) || !WRITABLE(in->r3)) SLOW();
        PROBE(host, base, write_tags, write_bases);
        STORE(host, v, size);
        PUT(in->r3, base + IMM, 0);
        NEXT();)

    // Branches: a taken one continues at the target bundle's slot 0.
HANDLER(h_br_rel, PRED(); JUMP(ip + IMM);)
HANDLER(h_br_ind, PRED(); JUMP(br[in->r2 & 7]);)
    // br.call: link to the next bundle, save CFM and EC in ar.pfs; the callee's frame is the
    // caller's outputs (rotation bases 0: the predicates are then physical = logical).
#define CALL(target_expr) \
        PRED(); \
        uint64_t target = (target_expr); \
        br[in->r1 & 7] = ip + 16; \
        r->pfs = cfm_raw(r, sof, sor, rrb) | (r->ec & 0x3f) << 52 | 3ull << 62; \
        pr = to_physical(pr, (unsigned)r->rrb_pr); \
        r->bof += r->sol; \
        sof -= r->sol; \
        r->sol = 0; sor = 0; rrb = 0; r->rrb_fr = 0; r->rrb_pr = 0; \
        stk = env->stacked + r->bof; \
        stkn = env->stacked_nat + r->bof; \
        JUMP(target);
HANDLER(h_br_call_rel, CALL(ip + IMM))
HANDLER(h_br_call, CALL(br[in->r2 & 7]))
HANDLER(h_br_ret,
        PRED();
        uint64_t target = br[in->r2 & 7];
        uint64_t v = r->pfs & ((1ull << 38) - 1);
        long nsof = v & 0x7f, nsol = (v >> 7) & 0x7f, nsor = ((v >> 14) & 0xf) * 8;
        long nrrb = (v >> 18) & 0x7f, nrrb_fr = (v >> 25) & 0x7f, nrrb_pr = (v >> 32) & 0x3f;
        int valid = nsof <= 96 && nsol <= nsof && nsor <= nsof && (nsor == 0 ? nrrb == 0 : nrrb < nsor)
            && nrrb_fr < 96 && nrrb_pr < 48;
        // The caller's registers in memory (fillBelow), and invalid frame markers, are Swift's.
        if (!valid || nsol > r->bof || r->bof - nsol + nsof > env->stacked_capacity) SLOW();
        r->ec = (r->pfs >> 52) & 0x3f;
        r->bof -= nsol;
        pr = to_logical(to_physical(pr, (unsigned)r->rrb_pr), (unsigned)nrrb_pr);
        sof = nsof; r->sol = nsol; sor = nsor; rrb = nrrb; r->rrb_fr = nrrb_fr; r->rrb_pr = nrrb_pr;
        if (r->flushed > r->bof) r->flushed = r->bof;
        stk = env->stacked + r->bof;
        stkn = env->stacked_nat + r->bof;
        JUMP(target);)
HANDLER(h_br_cloop,
        PRED();
        if (lc != 0) { lc--; JUMP(ip + IMM); }
        NEXT();)
    // br.ctop / br.cexit: the modulo-scheduled loop's rotation (IA64State.rotate).
#define ROTATE() do { \
        if (sor > 0) rrb = (rrb + sor - 1) % sor; \
        r->rrb_fr = (r->rrb_fr + 95) % 96; \
        r->rrb_pr = (r->rrb_pr + 47) % 48; \
        pr = (pr & 0xffff) | rotl48(pr >> 16, 1) << 16; \
    } while (0)
#define COUNTED(top) \
        PRED(); \
        int taken_; \
        if (lc != 0) { lc--; pr = set_pred(pr, 63, 1); ROTATE(); taken_ = (top); } \
        else if (r->ec > 1) { r->ec--; pr = set_pred(pr, 63, 0); ROTATE(); taken_ = (top); } \
        else if (r->ec == 1) { r->ec = 0; pr = set_pred(pr, 63, 0); ROTATE(); taken_ = !(top); } \
        else taken_ = !(top); \
        if (taken_) JUMP(ip + IMM); \
        NEXT();
HANDLER(h_br_ctop, COUNTED(1))
HANDLER(h_br_cexit, COUNTED(0))
}
