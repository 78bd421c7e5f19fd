// The body of the PowerPC hot loop, included twice by ppc_core.c: as ppc_core_run (blocks
// until the budget or a slow op) and as ppc_core_run_block (returns after each block, for
// the JIT's dispatcher). PPC_CORE_LOOP_NAME and PPC_CORE_ONE_BLOCK select which.
int PPC_CORE_LOOP_NAME(ppc_regs *r, const ppc_env *env, long *remaining_io) {
    static const void *const handlers[PPC_H_COUNT] = {
        [PPC_H_SLOW] = &&slow,
        [PPC_H_LI] = &&h_li, [PPC_H_MR] = &&h_mr, [PPC_H_ADDI] = &&h_addi, [PPC_H_ADDIC] = &&h_addic,
        [PPC_H_ADDIC_RC] = &&h_addic_rc, [PPC_H_SUBFIC] = &&h_subfic, [PPC_H_MULLI] = &&h_mulli,
        [PPC_H_ADD] = &&h_add, [PPC_H_ADDC] = &&h_addc, [PPC_H_ADDE] = &&h_adde, [PPC_H_ADDME] = &&h_addme,
        [PPC_H_ADDZE] = &&h_addze, [PPC_H_SUBF] = &&h_subf, [PPC_H_SUBFC] = &&h_subfc, [PPC_H_SUBFE] = &&h_subfe,
        [PPC_H_SUBFME] = &&h_subfme, [PPC_H_SUBFZE] = &&h_subfze, [PPC_H_NEG] = &&h_neg,
        [PPC_H_MULLW] = &&h_mullw, [PPC_H_MULHW] = &&h_mulhw, [PPC_H_MULHWU] = &&h_mulhwu,
        [PPC_H_DIVW] = &&h_divw, [PPC_H_DIVWU] = &&h_divwu,
        [PPC_H_ANDI] = &&h_andi, [PPC_H_ORI] = &&h_ori, [PPC_H_XORI] = &&h_xori,
        [PPC_H_AND] = &&h_and, [PPC_H_ANDC] = &&h_andc, [PPC_H_OR] = &&h_or, [PPC_H_ORC] = &&h_orc,
        [PPC_H_XOR] = &&h_xor, [PPC_H_NAND] = &&h_nand, [PPC_H_NOR] = &&h_nor, [PPC_H_EQV] = &&h_eqv,
        [PPC_H_EXTSB] = &&h_extsb, [PPC_H_EXTSH] = &&h_extsh, [PPC_H_CNTLZW] = &&h_cntlzw,
        [PPC_H_SLW] = &&h_slw, [PPC_H_SRW] = &&h_srw, [PPC_H_SRAW] = &&h_sraw, [PPC_H_SRAWI] = &&h_srawi,
        [PPC_H_RLWINM] = &&h_rlwinm, [PPC_H_RLWNM] = &&h_rlwnm, [PPC_H_RLWIMI] = &&h_rlwimi,
        [PPC_H_CMP] = &&h_cmp, [PPC_H_CMPI] = &&h_cmpi, [PPC_H_CMPL] = &&h_cmpl, [PPC_H_CMPLI] = &&h_cmpli,
        [PPC_H_LWZ] = &&h_lwz, [PPC_H_LWZX] = &&h_lwzx, [PPC_H_LBZ] = &&h_lbz, [PPC_H_LBZX] = &&h_lbzx,
        [PPC_H_LHZ] = &&h_lhz, [PPC_H_LHZX] = &&h_lhzx, [PPC_H_LHA] = &&h_lha, [PPC_H_LHAX] = &&h_lhax,
        [PPC_H_STW] = &&h_stw, [PPC_H_STWX] = &&h_stwx, [PPC_H_STB] = &&h_stb, [PPC_H_STBX] = &&h_stbx,
        [PPC_H_STH] = &&h_sth, [PPC_H_STHX] = &&h_sthx,
        [PPC_H_B] = &&h_b, [PPC_H_BC] = &&h_bc, [PPC_H_BT] = &&h_bt, [PPC_H_BF] = &&h_bf,
        [PPC_H_BDNZ] = &&h_bdnz, [PPC_H_BDZ] = &&h_bdz, [PPC_H_BLR] = &&h_blr, [PPC_H_BCLR] = &&h_bclr,
        [PPC_H_BCCTR] = &&h_bcctr, [PPC_H_MFSPR] = &&h_mfspr, [PPC_H_MTSPR] = &&h_mtspr,
        [PPC_H_MFCR] = &&h_mfcr, [PPC_H_ISEL] = &&h_isel,
    };
    long remaining = *remaining_io;
    uint32_t pc = r->pc;
    const uint64_t generation = *env->generation;
    const ppc_op *page, *block, *op;
    uint32_t page_base;  // the page of pc
    long run;            // the ops of the current block (from `block`, at pc)

    // Operand shorthands for the current op.
#define D (op->d)
#define A (op->a)
#define B (op->b)
#define IMM ((uint32_t)op->imm)
#define RC (op->flags & 1)
#define UPDATE (op->flags & 4)
    // The address of the current op (pc stays at the block's start within a block).
#define PC() (pc + 4u * (uint32_t)(op - block))
    // The next op of the block: nothing to check. A block ends at a branch (JUMP) or at an op
    // the C loop does not run (the slow path); the last op of a page is always one of them
    // (PPCOp.link gives a non-branch there to Swift), and a block longer than the budget
    // left is not started.
#define NEXT() do { op++; goto *handlers[op->fast]; } while (0)
    // A taken or not-taken branch ends its block (it is always a block's last op).
#define JUMP(target) do { pc = (target); goto block_end; } while (0)
#define ARITH(v) do { uint32_t v_ = (v); GPR(D) = v_; if (RC) record(r, v_); NEXT(); } while (0)
#define LOGIC(v) do { uint32_t v_ = (v); GPR(A) = v_; if (RC) record(r, v_); NEXT(); } while (0)
    // The host address of a guest access of `size` bytes through the TLB, or leave for Swift
    // (a miss, or an access crossing its page).
#define READ(host, ea, size) \
    uintptr_t host; \
    do { \
        if (((ea) & 0xfff) > 0x1000 - (size)) goto slow; \
        uint64_t pg_ = (ea) >> 12; unsigned i_ = pg_ & 511; \
        if (env->read_tags[i_] != pg_ + 1) goto slow; \
        host = env->read_bases[i_] | ((ea) & 0xfff); \
    } while (0)
#define WRITE(host, ea, size) \
    uintptr_t host; \
    do { \
        if (((ea) & 0xfff) > 0x1000 - (size)) goto slow; \
        uint64_t pg_ = (ea) >> 12; unsigned i_ = pg_ & 511; \
        if (env->write_tags[i_] != pg_ + 1) goto slow; \
        host = env->write_bases[i_] | ((ea) & 0xfff); \
    } while (0)
#define EA_D() ((UPDATE ? GPR(A) : BASE(A)) + IMM)
#define EA_X() ((UPDATE ? GPR(A) : BASE(A)) + GPR(B))
#define LOADED(v, ea) do { GPR(D) = (v); if (UPDATE) GPR(A) = (ea); NEXT(); } while (0)
#define STORED(ea) do { \
        if (UPDATE) GPR(A) = (ea); \
        if (r->reservation != 0 && ((r->reservation & ~1u) >> 4) == ((ea) >> 4)) r->reservation = 0; \
        NEXT(); } while (0)

new_page: {
        uint64_t pg = pc >> 12;
        unsigned i = pg & 255;
        if (env->front_tags[i] != pg + 1 || (pc & 3) != 0) goto slow_block;
        page = env->front_ops[i];
        page_base = pc & ~0xfffu;
    }
new_block:
    if (remaining <= 0) { r->pc = pc; *remaining_io = 0; return PPC_CORE_BUDGET; }
    block = op = page + ((pc & 0xfff) >> 2);
    run = block->run;
    // A block the budget would cut runs in Swift, op by op (the end of a slice, a step).
    if (run > remaining) goto slow_block;
    remaining -= run;
    goto *handlers[op->fast];

block_end:
#if PPC_CORE_ONE_BLOCK
    // The JIT's dispatcher looks at every block start (ppc_jit.c).
    r->pc = pc;
    *remaining_io = remaining;
    return PPC_CORE_BLOCK;
#endif
    // A store into decoded code left to Swift, which dropped the page: the generation moved.
    if (*env->generation != generation) goto slow_block;
    if ((pc & ~0xfffu) != page_base) goto new_page;
    goto new_block;

slow:
    // The current op and the rest of its block did not run.
    remaining += run - (op - block);
    pc = PC();
slow_block:
    r->pc = pc;
    *remaining_io = remaining;
    return PPC_CORE_SLOW;

h_li: GPR(D) = IMM; NEXT();
h_mr: GPR(A) = GPR(D); NEXT();
h_addi: GPR(D) = BASE(A) + IMM; NEXT();
h_addic: GPR(D) = add_carrying(r, GPR(A), IMM, 0, 1); NEXT();
h_addic_rc: { uint32_t v = add_carrying(r, GPR(A), IMM, 0, 1); GPR(D) = v; record(r, v); NEXT(); }
h_subfic: GPR(D) = add_carrying(r, ~GPR(A), IMM, 1, 1); NEXT();
h_mulli: GPR(D) = (uint32_t)((int32_t)GPR(A) * op->imm); NEXT();
h_add: ARITH(add_carrying(r, GPR(A), GPR(B), 0, 0));
h_addc: ARITH(add_carrying(r, GPR(A), GPR(B), 0, 1));
h_adde: ARITH(add_carrying(r, GPR(A), GPR(B), ca(r), 1));
h_addme: ARITH(add_carrying(r, GPR(A), 0xffffffffu, ca(r), 1));
h_addze: ARITH(add_carrying(r, GPR(A), 0, ca(r), 1));
h_subf: ARITH(add_carrying(r, ~GPR(A), GPR(B), 1, 0));
h_subfc: ARITH(add_carrying(r, ~GPR(A), GPR(B), 1, 1));
h_subfe: ARITH(add_carrying(r, ~GPR(A), GPR(B), ca(r), 1));
h_subfme: ARITH(add_carrying(r, ~GPR(A), 0xffffffffu, ca(r), 1));
h_subfze: ARITH(add_carrying(r, ~GPR(A), 0, ca(r), 1));
h_neg: ARITH(0u - GPR(A));
h_mullw: ARITH((uint32_t)((int64_t)(int32_t)GPR(A) * (int64_t)(int32_t)GPR(B)));
h_mulhw: ARITH((uint32_t)(((int64_t)(int32_t)GPR(A) * (int64_t)(int32_t)GPR(B)) >> 32));
h_mulhwu: ARITH((uint32_t)(((uint64_t)GPR(A) * (uint64_t)GPR(B)) >> 32));
h_divw: {
        int32_t a = (int32_t)GPR(A), b = (int32_t)GPR(B);
        int bad = b == 0 || (a == INT32_MIN && b == -1);
        // The result is undefined when bad; hardware and qemu give 0 or -1 by sign.
        ARITH(bad ? (a < 0 && b == 0 ? 0xffffffffu : 0u) : (uint32_t)(a / b));
    }
h_divwu: { uint32_t a = GPR(A), b = GPR(B); ARITH(b == 0 ? 0u : a / b); }
h_andi: LOGIC(GPR(D) & IMM);  // andi. / andis.: always record
h_ori: GPR(A) = GPR(D) | IMM; NEXT();
h_xori: GPR(A) = GPR(D) ^ IMM; NEXT();
h_and: LOGIC(GPR(D) & GPR(B));
h_andc: LOGIC(GPR(D) & ~GPR(B));
h_or: LOGIC(GPR(D) | GPR(B));
h_orc: LOGIC(GPR(D) | ~GPR(B));
h_xor: LOGIC(GPR(D) ^ GPR(B));
h_nand: LOGIC(~(GPR(D) & GPR(B)));
h_nor: LOGIC(~(GPR(D) | GPR(B)));
h_eqv: LOGIC(~(GPR(D) ^ GPR(B)));
h_extsb: LOGIC((uint32_t)(int32_t)(int8_t)GPR(D));
h_extsh: LOGIC((uint32_t)(int32_t)(int16_t)GPR(D));
h_cntlzw: { uint32_t v = GPR(D); LOGIC(v == 0 ? 32u : (uint32_t)__builtin_clz(v)); }
h_slw: { uint32_t s = GPR(B) & 63; LOGIC(s > 31 ? 0u : GPR(D) << s); }
h_srw: { uint32_t s = GPR(B) & 63; LOGIC(s > 31 ? 0u : GPR(D) >> s); }
h_sraw: {
        uint32_t s = GPR(B) & 63;
        int32_t v = (int32_t)GPR(D);
        int32_t res = s > 31 ? (v < 0 ? -1 : 0) : v >> s;
        int lost = s > 31 ? v != 0 : (s > 0 && ((uint32_t)v << (32 - s)) != 0);
        set_ca(r, v < 0 && lost);
        LOGIC((uint32_t)res);
    }
h_srawi: {
        uint32_t s = B;
        int32_t v = (int32_t)GPR(D);
        set_ca(r, v < 0 && s > 0 && ((uint32_t)v << (32 - s)) != 0);
        LOGIC((uint32_t)(v >> s));
    }
h_rlwinm: LOGIC(rotl(GPR(D), B) & IMM);
h_rlwnm: LOGIC(rotl(GPR(D), GPR(B) & 31) & IMM);
h_rlwimi: { uint32_t m = IMM; LOGIC((rotl(GPR(D), B) & m) | (GPR(A) & ~m)); }
h_cmp: compare(r, D, (int32_t)GPR(A), (int32_t)GPR(B)); NEXT();
h_cmpi: compare(r, D, (int32_t)GPR(A), op->imm); NEXT();
h_cmpl: compare(r, D, GPR(A), GPR(B)); NEXT();
h_cmpli: compare(r, D, GPR(A), IMM); NEXT();

h_lwz: { uint32_t ea = EA_D(); READ(h, ea, 4); uint32_t v; memcpy(&v, (void *)h, 4); LOADED(__builtin_bswap32(v), ea); }
h_lwzx: { uint32_t ea = EA_X(); READ(h, ea, 4); uint32_t v; memcpy(&v, (void *)h, 4); LOADED(__builtin_bswap32(v), ea); }
h_lbz: { uint32_t ea = EA_D(); READ(h, ea, 1); LOADED(*(const uint8_t *)h, ea); }
h_lbzx: { uint32_t ea = EA_X(); READ(h, ea, 1); LOADED(*(const uint8_t *)h, ea); }
h_lhz: { uint32_t ea = EA_D(); READ(h, ea, 2); uint16_t v; memcpy(&v, (void *)h, 2); LOADED(__builtin_bswap16(v), ea); }
h_lhzx: { uint32_t ea = EA_X(); READ(h, ea, 2); uint16_t v; memcpy(&v, (void *)h, 2); LOADED(__builtin_bswap16(v), ea); }
h_lha: { uint32_t ea = EA_D(); READ(h, ea, 2); uint16_t v; memcpy(&v, (void *)h, 2); LOADED((uint32_t)(int32_t)(int16_t)__builtin_bswap16(v), ea); }
h_lhax: { uint32_t ea = EA_X(); READ(h, ea, 2); uint16_t v; memcpy(&v, (void *)h, 2); LOADED((uint32_t)(int32_t)(int16_t)__builtin_bswap16(v), ea); }
h_stw: { uint32_t ea = EA_D(); WRITE(h, ea, 4); uint32_t v = __builtin_bswap32(GPR(D)); memcpy((void *)h, &v, 4); STORED(ea); }
h_stwx: { uint32_t ea = EA_X(); WRITE(h, ea, 4); uint32_t v = __builtin_bswap32(GPR(D)); memcpy((void *)h, &v, 4); STORED(ea); }
h_stb: { uint32_t ea = EA_D(); WRITE(h, ea, 1); *(uint8_t *)h = (uint8_t)GPR(D); STORED(ea); }
h_stbx: { uint32_t ea = EA_X(); WRITE(h, ea, 1); *(uint8_t *)h = (uint8_t)GPR(D); STORED(ea); }
h_sth: { uint32_t ea = EA_D(); WRITE(h, ea, 2); uint16_t v = __builtin_bswap16((uint16_t)GPR(D)); memcpy((void *)h, &v, 2); STORED(ea); }
h_sthx: { uint32_t ea = EA_X(); WRITE(h, ea, 2); uint16_t v = __builtin_bswap16((uint16_t)GPR(D)); memcpy((void *)h, &v, 2); STORED(ea); }

h_b: {
        uint32_t target = ((op->flags & 2) ? 0 : PC()) + IMM;
        if (op->flags & 1) r->lr = PC() + 4;
        JUMP(target);
    }
h_bc: {
        uint32_t next = PC() + 4;
        if (branch_taken(r, D, A)) next = ((op->flags & 2) ? 0 : PC()) + IMM;
        if (op->flags & 1) r->lr = PC() + 4;
        JUMP(next);
    }
h_bt: JUMP(cr_bit(r, A) ? PC() + IMM : PC() + 4);
h_bf: JUMP(cr_bit(r, A) ? PC() + 4 : PC() + IMM);
h_bdnz: r->ctr -= 1; JUMP(r->ctr != 0 ? PC() + IMM : PC() + 4);
h_bdz: r->ctr -= 1; JUMP(r->ctr == 0 ? PC() + IMM : PC() + 4);
h_blr: JUMP(r->lr & ~3u);
h_bclr: {
        uint32_t target = r->lr & ~3u, next = PC() + 4;
        if (branch_taken(r, D, A)) next = target;
        if (op->flags & 1) r->lr = PC() + 4;
        JUMP(next);
    }
h_bcctr: {
        if ((D & 4) == 0) goto slow;  // an invalid form: Swift raises SIGILL
        uint32_t next = PC() + 4;
        if (branch_taken(r, D, A)) next = r->ctr & ~3u;
        if (op->flags & 1) r->lr = PC() + 4;
        JUMP(next);
    }
h_mfspr:
    switch (op->imm) {
    case 1: GPR(D) = r->xer; NEXT();
    case 8: GPR(D) = r->lr; NEXT();
    case 9: GPR(D) = r->ctr; NEXT();
    default: goto slow;
    }
h_mtspr:
    switch (op->imm) {
    case 1: r->xer = GPR(D) & 0xe000007fu; NEXT();
    case 8: r->lr = GPR(D); NEXT();
    case 9: r->ctr = GPR(D); NEXT();
    default: goto slow;
    }
h_mfcr: GPR(D) = r->cr; NEXT();
h_isel: GPR(D) = cr_bit(r, op->c) ? BASE(A) : GPR(B); NEXT();
}

#undef D
#undef A
#undef B
#undef IMM
#undef RC
#undef UPDATE
#undef PC
#undef NEXT
#undef JUMP
#undef ARITH
#undef LOGIC
#undef READ
#undef WRITE
#undef EA_D
#undef EA_X
#undef LOADED
#undef STORED
