// fp_precision.s -- the FP register format has a 64-bit significand; umlab computes in double.
//
// Bug: IA64Float.swift evaluates fma/fms/fnma (and their aliases fmpy/fnorm/fcvt.xuf),
// frcpa, fcvt.xf and fcvt.fx*/fcvt.fxu* on Swift Doubles (53-bit significand) instead of the
// 82-bit register format (64-bit significand, 17-bit exponent).  Integers above 2^53 lose
// their low bits as soon as they pass through fcvt.xuf / fcvt.xf, so the standard IA-64
// 64-bit integer division sequence (frcpa + Newton-Raphson, as in libgcc/Linux __udivdi3)
// gives wrong quotients, and 2^64-1 even rounds up to 2^64, which fcvt.fxu turns into
// integer indefinite (0x8000000000000000).
//
// Test 1: x = 0xFFFFFFFFFFFFFFFF; setf.sig; fcvt.xuf.s1 (= fma.s1 f, f, f1, f0);
//         fcvt.fxu.trunc.s1; getf.sig  -> must give x back (exact in the register format)
// Test 2: same with x = 2^53 + 1 = 9007199254740993
// Test 3: same signed with x = -(2^62 + 1) through fcvt.xf / fcvt.fx.trunc.s1
// Output: the three values in hex-free form, one per line, compared against
//   18446744073709551615 / 9007199254740993 / 13835058055282163711 (= 2^64 - 2^62 - 1)
// umlab prints 9223372036854775808 / 9007199254740992 / 13835058055282163712.
//
// Build: ia64-linux-gnu-as -o fp_precision.o fp_precision.s && ia64-linux-gnu-ld -o fp_precision fp_precision.o
        .text
        .global _start
        .proc _start
_start:
        alloc r40 = ar.pfs, 0, 10, 3, 0
        movl r32 = 0xFFFFFFFFFFFFFFFF
        movl r33 = 9007199254740993
        movl r34 = -4611686018427387905
        ;;
        setf.sig f6 = r32
        setf.sig f7 = r33
        setf.sig f8 = r34
        ;;
        fcvt.xuf.s1 f6 = f6
        fcvt.xuf.s1 f7 = f7
        fcvt.xf f8 = f8
        ;;
        fcvt.fxu.trunc.s1 f6 = f6
        fcvt.fxu.trunc.s1 f7 = f7
        fcvt.fx.trunc.s1 f8 = f8
        ;;
        getf.sig r32 = f6
        getf.sig r33 = f7
        getf.sig r34 = f8
        mov r35 = 3
        ;;
.Lnext:
        // print r32 in decimal (unsigned): digits via xma.hu by 0xCCCCCCCCCCCCCCCD
        movl r14 = 0xCCCCCCCCCCCCCCCD
        adds r21 = -16, r12             // buffer end
        mov r18 = r32
        mov r17 = 10
        ;;
        setf.sig f9 = r14
        st1 [r21] = r17                 // '\n'
        mov r22 = r21
        ;;
.Ldig:
        setf.sig f10 = r18
        ;;
        xma.hu f11 = f10, f9, f0
        ;;
        getf.sig r19 = f11
        ;;
        shr.u r19 = r19, 3
        ;;
        shladd r20 = r19, 2, r19
        ;;
        add r20 = r20, r20
        ;;
        sub r20 = r18, r20
        adds r22 = -1, r22
        mov r18 = r19
        ;;
        adds r20 = 48, r20
        cmp.ne p6, p0 = 0, r18
        ;;
        st1 [r22] = r20
(p6)    br.cond.sptk .Ldig
        ;;
        mov out0 = 1
        mov out1 = r22
        sub out2 = r21, r22
        ;;
        adds out2 = 1, out2
        mov r15 = 1027
        ;;
        break.m 0x100000
        ;;
        mov r32 = r33
        mov r33 = r34
        adds r35 = -1, r35
        ;;
        cmp.ne p7, p0 = 0, r35
(p7)    br.cond.sptk .Lnext
        ;;
        mov out0 = 0
        mov r15 = 1236
        ;;
        break.m 0x100000
        .endp _start
