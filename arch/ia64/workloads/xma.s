// xma.s -- integer multiply and divide on the IA-64 floating-point unit.
//   mul: for each (a, b, c) of a table: xma.l / xma.h / xma.hu of a*b (addend f0) and with the
//        addend c (zero-extended, per the SDM), via setf.sig / getf.sig
//   udiv/sdiv: 64-bit unsigned and signed division by frcpa + Newton-Raphson refinement (the
//        sequence of Intel's "Divide, Square Root and Remainder Algorithms for the IA-64
//        Architecture", as used by libgcc/Linux __udivdi3/__divdi3), then
//        fcvt.fxu.trunc / fcvt.fx.trunc, remainder = q * (-b) + a with xma.l
// Prints one line per table entry (all numbers in decimal; signed values with '-').
        .include "lib.inc"

        .section .rodata
.Lmul:   .asciz "mul "
.Ludiv:  .asciz "udiv "
.Lsdiv:  .asciz "sdiv "
.Lcolon: .asciz ": "
        .align 8
// (a, b, c) triples
multab:
        .quad 0, 0, 0
        .quad 3, 5, 7
        .quad 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF
        .quad 0xFFFFFFFFFFFFFFFF, 2, 1
        .quad 0x8000000000000000, 0x8000000000000000, 0
        .quad 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000
        .quad 0x7FFFFFFFFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 1
        .quad 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
        .quad 0x123456789ABCDEF0, 0x0FEDCBA987654321, 0xFFFFFFFFFFFFFFFF
        .quad 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF
        .quad 0xFFFFFFFFFFFFFFFE, 0x100000001, 0x5555555555555555
        .quad 1, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF
multab_end:
// (a, b) unsigned
udivtab:
        .quad 0, 1
        .quad 1, 1
        .quad 7, 3
        .quad 5, 7
        .quad 100, 10
        .quad 1000000007, 13
        .quad 123456789012345, 1000
        .quad 0xFFFFFFFF, 0x10000
        .quad 0xFFFFFFFF, 0xFFFFFFFF
        .quad 9007199254740992, 3               // 2^53
        .quad 9007199254740993, 3               // 2^53 + 1
        .quad 0xFFFFFFFFFFFFFFFF, 1
        .quad 0xFFFFFFFFFFFFFFFF, 3
        .quad 0xFFFFFFFFFFFFFFFF, 10
        .quad 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF
        .quad 0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF
        .quad 0x8000000000000000, 0x7FFFFFFFFFFFFFFF
        .quad 0x8000000000000000, 2
        .quad 0x8000000000000001, 0x100000000
        .quad 12345678901234567890, 987654321
        .quad 18446744073709551557, 4294967291  // largest 64-bit prime / largest 32-bit prime
udivtab_end:
// (a, b) signed
sdivtab:
        .quad 0, -5
        .quad -7, 2
        .quad 7, -2
        .quad -7, -2
        .quad -1, 2
        .quad 100, 7
        .quad -1000000000000, 7
        .quad 0x8000000000000000, 1             // INT64_MIN
        .quad 0x8000000000000000, 2
        .quad 0x8000000000000000, 0x7FFFFFFFFFFFFFFF
        .quad 0x7FFFFFFFFFFFFFFF, -1
        .quad 0x7FFFFFFFFFFFFFFF, 10
        .quad -9007199254740993, 3
        .quad 4611686018427387904, -3           // 2^62
sdivtab_end:

        .text
// udivmod(a, b) -> r8 = a / b, r9 = a % b   (b != 0)
        .proc udivmod
udivmod:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        setf.sig f8 = in0
        setf.sig f9 = in1
        sub r14 = r0, in1
        ;;
        fcvt.xuf.s1 f10 = f8            // a, b as floating-point values (exact: 64-bit significand)
        fcvt.xuf.s1 f11 = f9
        setf.sig f12 = r14              // -b (integer, for the remainder)
        ;;
        frcpa.s1 f13, p6 = f10, f11     // y0 ~ 1/b
        ;;
(p6)    fmpy.s1 f14 = f10, f13          // q0 = a*y0
(p6)    fnma.s1 f15 = f11, f13, f1      // e0 = 1 - b*y0
        ;;
(p6)    fma.s1 f14 = f14, f15, f14      // q1 = q0*e0 + q0
(p6)    fmpy.s1 f6 = f15, f15           // e1 = e0*e0
        ;;
(p6)    fma.s1 f14 = f14, f6, f14       // q2 = q1*e1 + q1
(p6)    fma.s1 f13 = f13, f15, f13      // y1 = y0*e0 + y0
        ;;
(p6)    fma.s1 f13 = f13, f6, f13       // y2 = y1*e1 + y1
(p6)    fnma.s1 f7 = f11, f14, f10      // r = a - b*q2
        ;;
(p6)    fma.s1 f13 = f7, f13, f14       // q3 = r*y2 + q2
        ;;
        fcvt.fxu.trunc.s1 f13 = f13     // q = trunc(q3)
        ;;
        xma.l f7 = f13, f12, f8         // a % b = q*(-b) + a
        getf.sig r8 = f13
        ;;
        getf.sig r9 = f7
        br.ret.sptk.many b0
        .endp udivmod

// sdivmod(a, b) -> r8 = a / b, r9 = a % b   (C semantics: truncation toward zero)
        .proc sdivmod
sdivmod:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        setf.sig f8 = in0
        setf.sig f9 = in1
        sub r14 = r0, in1
        ;;
        fcvt.xf f10 = f8
        fcvt.xf f11 = f9
        setf.sig f12 = r14
        ;;
        frcpa.s1 f13, p6 = f10, f11
        ;;
(p6)    fmpy.s1 f14 = f10, f13
(p6)    fnma.s1 f15 = f11, f13, f1
        ;;
(p6)    fma.s1 f14 = f14, f15, f14
(p6)    fmpy.s1 f6 = f15, f15
        ;;
(p6)    fma.s1 f14 = f14, f6, f14
(p6)    fma.s1 f13 = f13, f15, f13
        ;;
(p6)    fma.s1 f13 = f13, f6, f13
(p6)    fnma.s1 f7 = f11, f14, f10
        ;;
(p6)    fma.s1 f13 = f7, f13, f14
        ;;
        fcvt.fx.trunc.s1 f13 = f13
        ;;
        xma.l f7 = f13, f12, f8
        getf.sig r8 = f13
        ;;
        getf.sig r9 = f7
        br.ret.sptk.many b0
        .endp sdivmod

// print_pair(label, x, y, signed): "label x y: "
        .proc print_head
print_head:
        alloc loc0 = ar.pfs, 4, 3, 2, 0
        mov loc1 = b0
        mov out0 = in0
        cmp.ne p6, p7 = 0, in3
        ;;
        mov loc2 = pr
        CALL print_str
        mov pr = loc2, -1               // p6/p7 are scratch: restore them after the call
        ;;
        mov out0 = in1
        mov out1 = ' '
(p6)    br.call.sptk.many b0 = print_s64c
(p7)    br.call.sptk.many b0 = print_u64c
        ;;
        mov pr = loc2, -1
        ;;
        mov out0 = in2
        mov out1 = 0
(p6)    br.call.sptk.many b0 = print_s64c
(p7)    br.call.sptk.many b0 = print_u64c
        ;;
        movl out0 = .Lcolon
        ;;
        CALL print_str
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp print_head

        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 10, 4, 0
        // ---- multiplications ----
        movl loc1 = multab
        movl loc2 = multab_end
        ;;
.Lmul_loop:
        ld8 loc3 = [loc1], 8
        ;;
        ld8 loc4 = [loc1], 8
        ;;
        ld8 loc5 = [loc1], 8
        movl out0 = .Lmul
        mov out1 = loc3
        mov out3 = 0
        ;;
        mov out2 = loc4
        ;;
        CALL print_head
        setf.sig f6 = loc3
        setf.sig f7 = loc4
        setf.sig f8 = loc5
        ;;
        xma.l f9 = f6, f7, f0           // xmpy.l
        xma.h f10 = f6, f7, f0          // xmpy.h  (signed high)
        ;;
        xma.hu f11 = f6, f7, f0         // xmpy.hu (unsigned high)
        xma.l f12 = f6, f7, f8          // with addend c
        ;;
        xma.h f13 = f6, f7, f8
        xma.hu f14 = f6, f7, f8
        ;;
        getf.sig loc6 = f9
        getf.sig loc7 = f10
        ;;
        getf.sig loc8 = f11
        getf.sig loc9 = f12
        ;;
        getf.sig loc3 = f13
        getf.sig loc4 = f14
        ;;
        mov out0 = loc6
        mov out1 = ' '
        ;;
        CALL print_u64c
        mov out0 = loc7
        mov out1 = ' '
        ;;
        CALL print_u64c
        mov out0 = loc8
        mov out1 = ' '
        ;;
        CALL print_u64c
        mov out0 = loc9
        mov out1 = ' '
        ;;
        CALL print_u64c
        mov out0 = loc3
        mov out1 = ' '
        ;;
        CALL print_u64c
        mov out0 = loc4
        mov out1 = 10
        ;;
        CALL print_u64c
        cmp.ltu p6, p0 = loc1, loc2
(p6)    br.cond.sptk .Lmul_loop
        ;;
        // ---- unsigned division ----
        movl loc1 = udivtab
        movl loc2 = udivtab_end
        ;;
.Lu_loop:
        ld8 loc3 = [loc1], 8
        ;;
        ld8 loc4 = [loc1], 8
        movl out0 = .Ludiv
        mov out1 = loc3
        mov out3 = 0
        ;;
        mov out2 = loc4
        ;;
        CALL print_head
        mov out0 = loc3
        mov out1 = loc4
        ;;
        CALL udivmod
        mov loc5 = r9
        mov out0 = r8
        mov out1 = ' '
        ;;
        CALL print_u64c
        mov out0 = loc5
        ;;
        CALL print_u64
        cmp.ltu p6, p0 = loc1, loc2
(p6)    br.cond.sptk .Lu_loop
        ;;
        // ---- signed division ----
        movl loc1 = sdivtab
        movl loc2 = sdivtab_end
        ;;
.Ls_loop:
        ld8 loc3 = [loc1], 8
        ;;
        ld8 loc4 = [loc1], 8
        movl out0 = .Lsdiv
        mov out1 = loc3
        mov out3 = 1
        ;;
        mov out2 = loc4
        ;;
        CALL print_head
        mov out0 = loc3
        mov out1 = loc4
        ;;
        CALL sdivmod
        mov loc5 = r9
        mov out0 = r8
        mov out1 = ' '
        ;;
        CALL print_s64c
        mov out0 = loc5
        mov out1 = 10
        ;;
        CALL print_s64c
        cmp.ltu p6, p0 = loc1, loc2
(p6)    br.cond.sptk .Ls_loop
        ;;
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
