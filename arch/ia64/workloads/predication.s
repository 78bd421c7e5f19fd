// predication.s -- compares, predicate types and predicated execution.
//  1. "rel a b: BITS CHK" -- for each (a, b): 26 compares (cmp/cmp4, every relation, register
//     and imm8 forms), one bit each (p6), MSB first; CHK counts how many of p6/p7 were set
//     over all 26 (must be 26: the two targets of a normal compare are complements)
//  2. "par a b: BITS" -- parallel compares on p6..p15 (cmp .and, .or, .or.andcm, .and.orcm,
//     .andcm, .orcm; tbit .and/.or), read back with mov r = pr
//  3. "unc a b: BITS" -- cmp.unc / normal cmp under a false and a true qualifying predicate
//  4. "tbit a: BITS" -- tbit.nz at bits 0,1,31,32,63 and tbit.z.unc under a predicate
//  5. predicated arithmetic without branches over all pairs: abs, signed max, unsigned min,
//     clamp to [-100, 100], sign, predicated stores (count of a > b), predicated calls
//  6. tnat: a deferred-fault speculative load (ld8.s from address 0) gives NaT, which
//     propagates through add; tnat.nz sees it; a normal register is not NaT
//  7. mov pr = r, mask and mov pr.rot = imm, read back with mov r = pr
        .include "lib.inc"

        .section .rodata
.Lrel:   .asciz "rel "
.Lpar:   .asciz "par "
.Lunc:   .asciz "unc "
.Ltbit:  .asciz "tbit "
.Lcolon: .asciz ": "
.Labs:   .asciz "sum abs: "
.Lmax:   .asciz "sum max: "
.Lminu:  .asciz "sum minu: "
.Lclamp: .asciz "sum clamp: "
.Lsign:  .asciz "sum sign: "
.Lgt:    .asciz "stores a>b: "
.Lcalls: .asciz "pred calls: "
.Ltnat:  .asciz "tnat: "
.Lmovpr: .asciz "mov pr mask: "
.Lprrot: .asciz "mov pr.rot: "
        .align 8
pairs:
        .quad 0, 0
        .quad 1, 0
        .quad 0, 1
        .quad -1, 1
        .quad 1, -1
        .quad 5, 5
        .quad 0x80000000, 0x7fffffff
        .quad 0xffffffff, 1
        .quad 0x100000000, 1
        .quad 0x8000000000000000, 0x7fffffffffffffff
        .quad -5, -3
        .quad 300, -200
        .quad 3, 10
pairs_end:
        .bss
        .align 8
scratch: .skip 8 * 32

        .text
        // one relation: r20 = 2*r20 + p6; r21 += p6 + p7
        .macro REL cmpop, x, y
        \cmpop p6, p7 = \x, \y
        add r20 = r20, r20
        ;;
(p6)    adds r20 = 1, r20
(p6)    adds r21 = 1, r21
        ;;
(p7)    adds r21 = 1, r21
        ;;
        .endm

// print "label a b: " (signed)
        .proc head
head:
        alloc loc0 = ar.pfs, 3, 2, 2, 0
        mov loc1 = b0
        mov out0 = in0
        ;;
        CALL print_str
        mov out0 = in1
        mov out1 = ' '
        ;;
        CALL print_s64c
        mov out0 = in2
        mov out1 = 0
        ;;
        CALL print_s64c
        movl out0 = .Lcolon
        ;;
        CALL print_str
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp head

// counts its calls in r4... (r4 is preserved: we use a memory counter instead)
        .proc counted
counted:
        movl r14 = scratch + 8 * 31
        ;;
        ld8 r15 = [r14]
        ;;
        adds r15 = 1, r15
        ;;
        st8 [r14] = r15
        br.ret.sptk.many b0
        .endp counted

        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 16, 3, 0
        movl loc1 = pairs
        movl loc2 = pairs_end
        mov loc5 = 0                    // sum abs
        mov loc6 = 0                    // sum max
        mov loc7 = 0                    // sum minu
        mov loc8 = 0                    // sum clamp
        mov loc9 = 0                    // sum sign
        mov loc10 = 0                   // predicated stores
        mov loc11 = 0                   // predicated calls made
        ;;
.Lpair:
        ld8 loc3 = [loc1], 8
        ;;
        ld8 loc4 = [loc1], 8
        ;;
        // ---- 1. relations ----
        movl out0 = .Lrel
        mov out1 = loc3
        mov out2 = loc4
        ;;
        CALL head
        mov r16 = loc3
        mov r17 = loc4
        mov r20 = 0
        mov r21 = 0
        ;;
        REL cmp.eq, r16, r17
        REL cmp.ne, r16, r17
        REL cmp.lt, r16, r17
        REL cmp.le, r16, r17
        REL cmp.gt, r16, r17
        REL cmp.ge, r16, r17
        REL cmp.ltu, r16, r17
        REL cmp.leu, r16, r17
        REL cmp.gtu, r16, r17
        REL cmp.geu, r16, r17
        REL cmp4.eq, r16, r17
        REL cmp4.lt, r16, r17
        REL cmp4.le, r16, r17
        REL cmp4.gt, r16, r17
        REL cmp4.ge, r16, r17
        REL cmp4.ltu, r16, r17
        REL cmp4.leu, r16, r17
        REL cmp4.gtu, r16, r17
        REL cmp4.geu, r16, r17
        REL cmp.eq, 5, r17              // imm8 forms: imm REL b
        REL cmp.lt, -1, r17
        REL cmp.ltu, 10, r17
        REL cmp.gt, 0, r17
        REL cmp4.lt, 0, r17
        REL cmp.ge, 3, r17
        REL cmp.geu, 3, r17
        mov loc12 = r21
        mov out0 = r20
        mov out1 = ' '
        ;;
        CALL print_u64c
        mov out0 = loc12
        ;;
        CALL print_u64
        // ---- 2. parallel compares ----
        movl out0 = .Lpar
        mov out1 = loc3
        mov out2 = loc4
        ;;
        CALL head
        mov r16 = loc3
        mov r17 = loc4
        ;;
        cmp.eq p6, p0 = r0, r0          // p6 = p7 = 1 (and-chain)
        cmp.eq p7, p0 = r0, r0
        cmp.ne p8, p0 = r0, r0          // p8 = p9 = 0 (or-chain)
        cmp.ne p9, p0 = r0, r0
        cmp.ne p10, p11 = r0, r0        // p10 = 0, p11 = 1 (or.andcm)
        cmp.eq p12, p13 = r0, r0        // p12 = 1, p13 = 0 (and.orcm)
        cmp.eq p14, p0 = r0, r0         // p14 = p15 = 1 (andcm)
        cmp.eq p15, p0 = r0, r0
        ;;
        // and: p6 = p7 = (0 < a) && (a != b) && (b even)
        cmp.lt.and p6, p7 = r0, r16
        cmp.ne.and p6, p7 = r16, r17
        tbit.z.and p6, p7 = r17, 0
        // or: p8 = p9 = (a == 5) || (a == b) || (b < 0)
        cmp.eq.or p8, p9 = 5, r16
        cmp.eq.or p8, p9 = r16, r17
        tbit.nz.or p8, p9 = r17, 63
        // or.andcm: p10 = (a == 0 || b == 0), p11 = !p10
        cmp.eq.or.andcm p10, p11 = 0, r16
        cmp.eq.or.andcm p10, p11 = 0, r17
        // and.orcm: p12 = (a != b) && (0 <= a), p13 = !p12
        cmp.ne.and.orcm p12, p13 = r16, r17
        cmp.le.and.orcm p12, p13 = r0, r16
        ;;
        // andcm: p14 = p15 = !(a == b) ; orcm on p9: p9 = p9 || !(low 32 bits differ)
        cmp.eq.andcm p14, p15 = r16, r17
        cmp4.ne.orcm p9, p0 = r16, r17
        ;;
        mov r20 = pr
        ;;
        extr.u out0 = r20, 6, 10        // p6..p15
        ;;
        CALL print_u64
        // ---- 3. unc ----
        movl out0 = .Lunc
        mov out1 = loc3
        mov out2 = loc4
        ;;
        CALL head
        mov r16 = loc3
        mov r17 = loc4
        ;;
        cmp.eq p14, p15 = r16, r17      // qp candidates
        cmp.eq p6, p0 = r0, r0          // p6..p9 = 1
        cmp.eq p7, p0 = r0, r0
        cmp.eq p8, p0 = r0, r0
        cmp.eq p9, p0 = r0, r0
        cmp.ne p10, p0 = r0, r0         // p10..p13 = 0
        cmp.ne p11, p0 = r0, r0
        cmp.ne p12, p0 = r0, r0
        cmp.ne p13, p0 = r0, r0
        ;;
(p14)   cmp.lt.unc p6, p7 = r16, r17    // qp false -> both cleared
(p14)   cmp.lt p8, p9 = r16, r17        // qp false -> unchanged
(p15)   cmp.ltu.unc p10, p11 = r16, r17
(p15)   tbit.nz.unc p12, p13 = r16, 0
        ;;
        mov r20 = pr
        ;;
        extr.u out0 = r20, 6, 10
        ;;
        CALL print_u64
        // ---- 4. tbit on a ----
        movl out0 = .Ltbit
        mov out1 = loc3
        mov out2 = loc4
        ;;
        CALL head
        mov r16 = loc3
        mov r20 = 0
        ;;
        tbit.nz p6, p7 = r16, 0
        tbit.nz p8, p9 = r16, 1
        tbit.nz p10, p11 = r16, 31
        tbit.nz p12, p13 = r16, 32
        tbit.z p14, p15 = r16, 63
        ;;
        mov r20 = pr
        cmp.lt p1, p2 = r16, r0         // p1, p2 are preserved registers: _start may use them
        ;;
(p1)    tbit.z.unc p6, p7 = r16, 62     // p6, p7 depend on the qualifying predicate
        ;;
        mov r21 = pr
        extr.u r20 = r20, 6, 10
        ;;
        extr.u r21 = r21, 6, 2
        shl r20 = r20, 2
        ;;
        or out0 = r20, r21
        ;;
        CALL print_u64
        // ---- 5. predicated arithmetic ----
        mov r16 = loc3
        mov r17 = loc4
        ;;
        cmp.lt p6, p7 = r16, r0         // abs(a)
        cmp.lt p8, p9 = r16, r17        // signed max
        cmp.ltu p10, p11 = r16, r17     // unsigned min
        mov r18 = r16
        ;;
(p6)    sub r18 = r0, r16
(p8)    mov r19 = r17
(p9)    mov r19 = r16
(p10)   mov r22 = r16
(p11)   mov r22 = r17
        ;;
        add loc5 = loc5, r18
        add loc6 = loc6, r19
        add loc7 = loc7, r22
        // clamp(a, -100, 100) and sign(a)
        mov r23 = r16
        cmp.lt p12, p0 = 100, r16
        cmp.gt p13, p0 = -100, r16
        cmp.lt p14, p0 = r0, r16
        cmp.gt p15, p0 = r0, r16
        mov r24 = 0
        ;;
(p12)   mov r23 = 100
(p14)   mov r24 = 1
        ;;
(p13)   mov r23 = -100
(p15)   mov r24 = -1
        ;;
        add loc8 = loc8, r23
        add loc9 = loc9, r24
        // predicated store and predicated call
        movl r25 = scratch
        cmp.gt p6, p7 = r16, r17
        ;;
(p6)    st8 [r25] = r16                 // only when a > b
(p7)    st8 [r25] = r0
        ;;
        ld8 r26 = [r25]
        ;;
        cmp.ne p6, p0 = r26, r0
        cmp.eq p7, p0 = r16, r17
        ;;
(p6)    adds loc10 = 1, loc10
(p7)    adds loc11 = 1, loc11
(p7)    br.call.sptk.many b0 = counted  // called only when a == b
        ;;
        cmp.ltu p6, p0 = loc1, loc2
(p6)    br.cond.sptk .Lpair
        ;;
        movl out0 = .Labs
        mov out1 = loc5
        ;;
        CALL print_kv
        movl out0 = .Lmax
        mov out1 = loc6
        ;;
        CALL print_kv
        movl out0 = .Lminu
        mov out1 = loc7
        ;;
        CALL print_kv
        movl out0 = .Lclamp
        mov out1 = loc8
        ;;
        CALL print_kv
        movl out0 = .Lsign
        mov out1 = loc9
        ;;
        CALL print_kv
        movl out0 = .Lgt
        mov out1 = loc10
        ;;
        CALL print_kv
        movl r14 = scratch + 8 * 31     // calls counted by the callee must equal the
        ;;                              // number of taken predicated calls
        ld8 r14 = [r14]
        ;;
        sub r14 = r14, loc11
        ;;
        shl r14 = r14, 8
        ;;
        add out1 = r14, loc11           // 256 * (callee count - caller count) + caller count
        movl out0 = .Lcalls
        ;;
        CALL print_kv
        // ---- 6. tnat ----
        mov r16 = 0
        mov r20 = 0
        ;;
        ld8.s r17 = [r16]               // faults at address 0: deferred, r17 = NaT
        ;;
        adds r18 = 1, r17               // NaT propagates
        ;;
        tnat.nz p6, p7 = r17
        tnat.nz p8, p9 = r18
        tnat.nz p10, p11 = r16
        ;;
        mov r20 = pr
        mov r17 = 0                     // clear the NaT (a mov of a non-NaT value)
        ;;
        extr.u out1 = r20, 6, 6
        movl out0 = .Ltnat
        ;;
        CALL print_kv
        // ---- 7. mov pr = r, mask / mov pr.rot ----
        mov loc12 = pr
        movl r14 = 0xA5A5
        ;;
        mov pr = r14, 0x1fe             // p1..p8 from bits 1..8 of r14
        ;;
        mov r15 = pr
        mov r16 = 0x1fe
        ;;
        and out1 = r15, r16
        mov pr = loc12, -1
        movl out0 = .Lmovpr
        ;;
        CALL print_kv
        mov pr.rot = 0x0A5A5A5A0000      // p16..p43 (gas takes a 44-bit value)
        ;;
        mov r15 = pr
        ;;
        shr.u out1 = r15, 16
        movl out0 = .Lprrot
        ;;
        CALL print_kv
        mov pr.rot = 0x0FFFFFFF0000      // p16..p43 set, p44..p63 clear
        ;;
        mov r15 = pr
        ;;
        shr.u out1 = r15, 16
        movl out0 = .Lprrot
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
