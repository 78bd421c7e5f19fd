// rotate.s -- software-pipelined loops with register rotation.
//   pipe_gr   4-stage br.ctop loop (ar.lc/ar.ec, pr.rot = 1<<16), rotating GRs r32-r39 (alloc
//             rot = 8) and rotating predicates p16-p19: dst[i] = 3*src[i] + 1; run for
//             n = 1000 and for the short trip counts n = 1, 2, 3 (prolog/epilog only)
//   pipe_dot  4-stage br.ctop loop with rotating FRs (ldf8 f32/f40 -> xma.l f50 -> getf.sig):
//             64-bit wrapping dot product
//   pipe_dbl  3-stage br.ctop loop with rotating FRs in double precision
//             (ldfd -> fma.d y = x*1.5 + 0.25 -> stfd)
//   pipe_wtop 3-stage while loop with br.wtop: copy 5*w[i] of a zero-terminated list
//             (the compare in the loop writes p16; ar.ec = 2 drains the last stage)
//   cloop     plain counted loop with br.cloop
// p16-p63 and ar.lc are preserved across calls (saved with mov r = pr, restored with
// clrrrb.pr + mov pr = r, -1).
        .include "lib.inc"
        .set N, 1000
        .set NW, 500

        .section .rodata
.Lgr:    .asciz "gr n=1000: "
.Lgr1:   .asciz "gr n=1: "
.Lgr2:   .asciz "gr n=2: "
.Lgr3:   .asciz "gr n=3: "
.Lsent:  .asciz "sentinel: "
.Ldot:   .asciz "dot: "
.Ldbl:   .asciz "dbl bits: "
.Lwcnt:  .asciz "wtop count: "
.Lwsum:  .asciz "wtop sum: "
.Lcloop: .asciz "cloop: "
.Lpreds: .asciz "preds kept: "
        .align 8
c1_5:    .double 1.5
c0_25:   .double 0.25
        .bss
        .align 16
src:    .skip 8 * (N + 8)
dst:    .skip 8 * (N + 8)
src2:   .skip 8 * (N + 8)
wlist:  .skip 8 * (NW + 8)

        .text
// pipe_gr(src, dst, n): dst[i] = 3*src[i] + 1
        .proc pipe_gr
pipe_gr:
        alloc r2 = ar.pfs, 3, 13, 0, 8  // r32-r47, rotating r32-r39 (rrb = 0 on entry)
        mov r3 = ar.lc
        mov r9 = pr
        mov r14 = r32                   // copy the inputs out of the rotating region
        mov r15 = r33
        adds r16 = -1, r34
        ;;
        mov ar.lc = r16
        mov ar.ec = 4
        mov pr.rot = 1 << 16            // p16 = 1, p17..p63 = 0
        ;;
.Lgr_loop:
(p16)   ld8 r32 = [r14], 8              // stage 1: load
(p17)   shladd r34 = r33, 1, r33        // stage 2: 3x
(p18)   adds r36 = 1, r35               // stage 3: +1
(p19)   st8 [r15] = r37, 8              // stage 4: store
        br.ctop.sptk.few .Lgr_loop
        ;;
        mov ar.lc = r3
        clrrrb.pr                       // mov pr writes *logical* predicates: undo the
        ;;                              // rotation first (br.ret restores the caller's rrb)
        mov pr = r9, -1
        ;;
        br.ret.sptk.many b0
        .endp pipe_gr

// pipe_dot(a, b, n) -> r8 = sum a[i]*b[i] (mod 2^64)
        .proc pipe_dot
pipe_dot:
        alloc r2 = ar.pfs, 3, 5, 0, 8
        mov r3 = ar.lc
        mov r9 = pr
        mov r14 = r32
        mov r15 = r33
        adds r16 = -1, r34
        mov r8 = 0
        ;;
        mov ar.lc = r16
        mov ar.ec = 4
        mov pr.rot = 1 << 16
        ;;
.Ldot_loop:
(p16)   ldf8 f32 = [r14], 8             // stage 1: integer loads into FR significands
(p16)   ldf8 f40 = [r15], 8
(p17)   xma.l f50 = f33, f41, f0        // stage 2: low 64 bits of the product
(p18)   getf.sig r36 = f51              // stage 3: back to a (rotating) GR
(p19)   add r8 = r8, r37                // stage 4: accumulate
        br.ctop.sptk.few .Ldot_loop
        ;;
        mov ar.lc = r3
        clrrrb.pr                       // mov pr writes *logical* predicates: undo the
        ;;                              // rotation first (br.ret restores the caller's rrb)
        mov pr = r9, -1
        ;;
        br.ret.sptk.many b0
        .endp pipe_dot

// pipe_dbl(x, y, n): y[i] = x[i] * 1.5 + 0.25 (doubles)
        .proc pipe_dbl
pipe_dbl:
        alloc r2 = ar.pfs, 3, 5, 0, 0
        mov r3 = ar.lc
        mov r9 = pr
        movl r17 = c1_5
        ;;
        ldfd f6 = [r17], 8
        mov r14 = in0
        mov r15 = in1
        adds r16 = -1, in2
        ;;
        ldfd f7 = [r17]
        mov ar.lc = r16
        mov ar.ec = 3
        mov pr.rot = 1 << 16
        ;;
.Ldbl_loop:
(p16)   ldfd f32 = [r14], 8
(p17)   fma.d f42 = f33, f6, f7
(p18)   stfd [r15] = f43, 8
        br.ctop.sptk.few .Ldbl_loop
        ;;
        mov ar.lc = r3
        clrrrb.pr                       // mov pr writes *logical* predicates: undo the
        ;;                              // rotation first (br.ret restores the caller's rrb)
        mov pr = r9, -1
        ;;
        br.ret.sptk.many b0
        .endp pipe_dbl

// pipe_wtop(list, dst) -> r8 = number of non-zero items (the list ends with two zeros;
// the epilog iteration reads one item past the terminator).
        .proc pipe_wtop
pipe_wtop:
        alloc r2 = ar.pfs, 2, 6, 0, 8
        mov r3 = ar.lc
        mov r9 = pr
        mov r14 = r32
        mov r15 = r33
        mov r8 = 0
        ;;
        mov ar.ec = 2
        mov pr.rot = 0                  // p16..p63 = 0
        ;;
.Lw_loop:
        ld8 r32 = [r14], 8              // stage 1 (unpredicated): load item
(p17)   shladd r34 = r33, 2, r33        // stage 2: 5x ...
(p17)   adds r8 = 1, r8                 //          ... and count
(p18)   st8 [r15] = r35, 8              // stage 3: store
        ;;
        cmp.ne p16, p0 = 0, r32         // item != 0: the next stages of this item run
(p16)   br.wtop.sptk.few .Lw_loop
        ;;
        mov ar.lc = r3
        clrrrb.pr                       // mov pr writes *logical* predicates: undo the
        ;;                              // rotation first (br.ret restores the caller's rrb)
        mov pr = r9, -1
        ;;
        br.ret.sptk.many b0
        .endp pipe_wtop

// sum64(p, n) -> r8, plain br.cloop
        .proc sum64
sum64:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        mov r3 = ar.lc
        adds r14 = -1, in1
        mov r8 = 0
        ;;
        mov ar.lc = r14
        ;;
.Ls_loop:
        ld8 r15 = [in0], 8
        ;;
        add r8 = r8, r15
        br.cloop.sptk.few .Ls_loop
        ;;
        mov ar.lc = r3
        br.ret.sptk.many b0
        .endp sum64

        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 8, 3, 0
        movl loc1 = src
        movl loc2 = dst
        movl loc3 = src2
        movl r20 = N
        ;;
        // src[i] = 7i + 3; src2[i] = i * 0x9E3779B97F4A7C15; dst[i] = sentinel (0x5a5a...)
        movl r21 = 0x9E3779B97F4A7C15
        movl r22 = 0x5a5a5a5a5a5a5a5a
        mov r14 = loc1
        mov r15 = loc2
        mov r16 = loc3
        mov r17 = 3
        mov r18 = 0
        adds r19 = 7, r20
        ;;
        mov ar.lc = r19                 // N + 8 entries (the sentinels after N): lc = N + 7
        ;;
.Linit:
        st8 [r14] = r17, 8
        st8 [r15] = r22, 8
        st8 [r16] = r18, 8
        adds r17 = 7, r17
        add r18 = r18, r21
        br.cloop.sptk.few .Linit
        ;;
        // mark p20 and p40 (rotating, preserved registers) to check the callees restore them
        cmp.eq p20, p40 = r0, r0        // p20 = 1, p40 = 0
        ;;
        // --- pipe_gr, n = 1, 2, 3, then 1000 ---
        mov loc4 = 1
        ;;
.Lshort:
        mov out0 = loc1
        mov out1 = loc2
        mov out2 = loc4
        ;;
        CALL pipe_gr
        mov out0 = loc2
        adds out1 = 1, loc4             // include the first untouched sentinel in the sum
        ;;
        CALL sum64
        movl r14 = 0x5a5a5a5a5a5a5a5a
        cmp.eq p6, p0 = 1, loc4
        cmp.eq p7, p0 = 2, loc4
        cmp.eq p8, p0 = 3, loc4
        ;;
        sub out1 = r8, r14              // minus the sentinel
(p6)    movl out0 = .Lgr1
        ;;
(p7)    movl out0 = .Lgr2
        ;;
(p8)    movl out0 = .Lgr3
        ;;
        CALL print_kv
        adds loc4 = 1, loc4
        ;;
        cmp.gt p9, p0 = 4, loc4
(p9)    br.cond.sptk .Lshort
        ;;
        mov out0 = loc1
        mov out1 = loc2
        movl out2 = N
        ;;
        CALL pipe_gr
        mov out0 = loc2
        movl out1 = N
        ;;
        CALL sum64
        mov out1 = r8
        movl out0 = .Lgr
        ;;
        CALL print_kv
        movl r14 = dst + 8 * N          // first element after the array must be untouched
        ;;
        ld8 r14 = [r14]
        movl r15 = 0x5a5a5a5a5a5a5a5a
        ;;
        cmp.eq p6, p7 = r14, r15
        ;;
(p6)    mov out1 = 1
(p7)    mov out1 = 0
        movl out0 = .Lsent
        ;;
        CALL print_kv
        // --- pipe_dot ---
        mov out0 = loc1
        mov out1 = loc3
        movl out2 = N
        ;;
        CALL pipe_dot
        mov out1 = r8
        movl out0 = .Ldot
        ;;
        CALL print_kv
        // --- pipe_dbl: x[i] = (double) i in src2, y in dst ---
        mov r14 = loc3
        mov r15 = 0
        movl r16 = N - 1
        ;;
        mov ar.lc = r16
        ;;
.Lcvt:
        setf.sig f8 = r15
        adds r15 = 1, r15
        ;;
        fcvt.xf f8 = f8
        ;;
        fnorm.d f8 = f8
        ;;
        stfd [r14] = f8, 8
        br.cloop.sptk.few .Lcvt
        ;;
        mov out0 = loc3
        mov out1 = loc2
        movl out2 = N
        ;;
        CALL pipe_dbl
        mov out0 = loc2
        movl out1 = N
        ;;
        CALL sum64
        mov out1 = r8
        movl out0 = .Ldbl
        ;;
        CALL print_kv
        // --- pipe_wtop: w[i] = (13 i mod 97) + 1, i < NW, then 0, 0 ---
        movl r14 = wlist
        mov r15 = 0                     // 13 i mod 97, kept incrementally
        movl r16 = NW - 1
        mov r17 = 97
        ;;
        mov ar.lc = r16
        ;;
.Lwinit:
        adds r18 = 1, r15
        adds r15 = 13, r15
        ;;
        st8 [r14] = r18, 8
        cmp.geu p6, p0 = r15, r17
        ;;
(p6)    sub r15 = r15, r17
        br.cloop.sptk.few .Lwinit
        ;;
        st8 [r14] = r0, 8
        ;;
        st8 [r14] = r0, 8
        ;;
        movl out0 = wlist
        mov out1 = loc2
        ;;
        CALL pipe_wtop
        mov loc5 = r8
        mov out1 = r8
        movl out0 = .Lwcnt
        ;;
        CALL print_kv
        mov out0 = loc2
        mov out1 = loc5
        ;;
        CALL sum64
        mov out1 = r8
        movl out0 = .Lwsum
        ;;
        CALL print_kv
        // --- cloop: sum 1..1000 ---
        mov r14 = 0
        mov r15 = 1
        movl r16 = 999
        ;;
        mov ar.lc = r16
        ;;
.Lcl:
        add r14 = r14, r15
        adds r15 = 1, r15
        br.cloop.sptk.few .Lcl
        ;;
        mov out1 = r14
        movl out0 = .Lcloop
        ;;
        CALL print_kv
        // p20 must still be 1 and p40 still 0 (pipelined callees saved/restored pr)
        mov r14 = 0
        ;;
(p20)   adds r14 = 1, r14
        ;;
(p40)   adds r14 = 2, r14
        ;;
        mov out1 = r14
        movl out0 = .Lpreds
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
