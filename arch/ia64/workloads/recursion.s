// recursion.s -- procedure calls on the register stack.
//   fib(25)          doubly recursive, br.call/br.ret, alloc 1 in + 3 locals + 1 out per call
//   sum(100000)      depth-100000 recursion: ~500k stacked registers, far more than the physical
//                    register file, so the RSE spills to / fills from the backing store
//   deep(10000)      depth 10000 with 24 locals per frame, each frame fills its locals with
//                    values derived from n and re-checks them after the recursive call returns
//   ack(3, 6)        Ackermann: irregular call depth (up to ~500), 509
//   rse regs         ar.bsp at the bottom of sum() minus ar.bsp in _start, in registers (NaT
//                    collection slots excluded): 4 + 3 * 100000
// Prints "fib: 75025", "sum: 5000050000", "deep: ...", "ack: 509".
        .include "lib.inc"

        .section .rodata
.Lfib:  .asciz "fib: "
.Lsum:  .asciz "sum: "
.Ldeep: .asciz "deep: "
.Lbad:  .asciz "deep-corrupt: "
.Lack:  .asciz "ack: "
.Lrse:  .asciz "rse regs: "
        .bss
        .align 8
bottom_bsp: .skip 8

        .text
        .proc fib
fib:
        alloc loc0 = ar.pfs, 1, 3, 1, 0
        mov loc1 = b0
        cmp.gt p6, p0 = 2, in0          // n < 2: return n
        mov r8 = in0
        ;;
(p6)    br.ret.sptk.many b0             // (ar.pfs/b0 untouched on this path)
        adds out0 = -1, in0
        br.call.sptk.many b0 = fib
        ;;
        mov loc2 = r8                   // fib(n-1) lives in a stacked local across the call
        adds out0 = -2, in0
        br.call.sptk.many b0 = fib
        ;;
        add r8 = r8, loc2
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp fib

        .proc sum
sum:
        alloc loc0 = ar.pfs, 1, 2, 1, 0
        mov loc1 = b0
        cmp.eq p6, p7 = 0, in0
        mov r8 = 0
        movl r15 = bottom_bsp
        ;;
(p6)    mov r14 = ar.bsp                // at the bottom: remember where this frame starts
        ;;
(p6)    st8 [r15] = r14
(p6)    br.ret.sptk.many b0             // (ar.pfs/b0 untouched on this path)
        adds out0 = -1, in0
        br.call.sptk.many b0 = sum
        ;;
        add r8 = r8, in0
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp sum

// deep(n): returns the number of corrupted locals seen in frames 0..n (0 expected) in r8 and
// the sum over all frames of (loc2 + ... + loc25) in r9.
        .proc deep
deep:
        alloc loc0 = ar.pfs, 1, 26, 1, 0
        mov loc1 = b0
        mov loc2 = in0
        shladd loc3 = in0, 1, in0       // 3n
        adds loc4 = 7, in0
        xor loc5 = -1, in0
        shl loc6 = in0, 5
        shr.u loc7 = in0, 1
        ;;
        add loc8 = loc2, loc3
        sub loc9 = loc4, loc5
        add loc10 = loc6, loc7
        adds loc11 = 11, loc2
        adds loc12 = 12, loc3
        adds loc13 = 13, loc4
        ;;
        adds loc14 = 14, loc8
        adds loc15 = 15, loc9
        adds loc16 = 16, loc10
        adds loc17 = 17, loc11
        adds loc18 = 18, loc12
        adds loc19 = 19, loc13
        ;;
        xor loc20 = loc14, loc15
        xor loc21 = loc16, loc17
        xor loc22 = loc18, loc19
        add loc23 = loc2, loc14
        add loc24 = loc3, loc15
        add loc25 = loc4, loc16
        ;;
        cmp.eq p6, p0 = 0, in0
        mov r8 = 0
        mov r9 = 0
        ;;
(p6)    br.cond.dpnt .Ldeep_sum
        adds out0 = -1, in0
        br.call.sptk.many b0 = deep
        ;;
.Ldeep_sum:
        // recompute the expected values into scratch registers and compare
        shladd r14 = in0, 1, in0
        adds r15 = 7, in0
        xor r16 = -1, in0
        shl r17 = in0, 5
        shr.u r18 = in0, 1
        ;;
        cmp.ne p7, p0 = loc2, in0
        cmp.ne p8, p0 = loc3, r14
        cmp.ne p9, p0 = loc4, r15
        cmp.ne p10, p0 = loc5, r16
        cmp.ne p11, p0 = loc6, r17
        cmp.ne p12, p0 = loc7, r18
        ;;
(p7)    adds r8 = 1, r8
        ;;
(p8)    adds r8 = 1, r8
        ;;
(p9)    adds r8 = 1, r8
        ;;
(p10)   adds r8 = 1, r8
        ;;
(p11)   adds r8 = 1, r8
        ;;
(p12)   adds r8 = 1, r8
        ;;
        add r14 = loc2, loc3
        add r15 = loc4, loc5
        add r16 = loc6, loc7
        add r17 = loc8, loc9
        add r18 = loc10, loc11
        add r19 = loc12, loc13
        ;;
        add r14 = r14, r15
        add r16 = r16, r17
        add r18 = r18, r19
        add r20 = loc14, loc15
        add r21 = loc16, loc17
        add r22 = loc18, loc19
        ;;
        add r14 = r14, r16
        add r18 = r18, r20
        add r21 = r21, r22
        add r23 = loc20, loc21
        add r24 = loc22, loc23
        add r25 = loc24, loc25
        ;;
        add r14 = r14, r18
        add r21 = r21, r23
        add r24 = r24, r25
        ;;
        add r14 = r14, r21
        ;;
        add r14 = r14, r24
        ;;
        add r9 = r9, r14
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp deep

// ack(m, n)
        .proc ack
ack:
        alloc loc0 = ar.pfs, 2, 2, 2, 0
        mov loc1 = b0
        cmp.eq p6, p7 = 0, in0          // m == 0 -> n + 1
        cmp.eq p8, p0 = 0, in1
        adds r8 = 1, in1
        ;;
(p6)    br.cond.dpnt .Lack_ret
(p8)    br.cond.dpnt .Lack_n0
        ;;
        mov out0 = in0                  // ack(m, n - 1)
        adds out1 = -1, in1
        br.call.sptk.many b0 = ack
        ;;
        adds out0 = -1, in0             // ack(m - 1, that)
        mov out1 = r8
        br.call.sptk.many b0 = ack
        br.sptk .Lack_ret
        ;;
.Lack_n0:
        adds out0 = -1, in0             // ack(m - 1, 1)
        mov out1 = 1
        br.call.sptk.many b0 = ack
        ;;
.Lack_ret:
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp ack

        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 4, 2, 0
        mov out0 = 25
        ;;
        CALL fib
        mov out1 = r8
        movl out0 = .Lfib
        ;;
        CALL print_kv
        movl out0 = 100000
        mov loc2 = ar.bsp               // base of _start's frame (sol = 4)
        ;;
        CALL sum
        mov out1 = r8
        movl out0 = .Lsum
        ;;
        CALL print_kv
        // registers between _start's frame base and sum(0)'s frame base: 4 + 3 * 100000.
        // The backing store also holds one NaT collection every 64 slots (address bits 8:3 all
        // ones), so regs = slots - (slot_index(start) + slots) / 64.
        movl r14 = bottom_bsp
        ;;
        ld8 r14 = [r14]
        extr.u r15 = loc2, 3, 6         // slot index of the start address
        ;;
        sub r14 = r14, loc2
        ;;
        shr.u r14 = r14, 3              // slots
        ;;
        add r15 = r15, r14
        ;;
        shr.u r15 = r15, 6              // NaT collections crossed
        ;;
        sub out1 = r14, r15
        movl out0 = .Lrse
        ;;
        CALL print_kv
        movl out0 = 10000
        ;;
        CALL deep
        mov loc1 = r8
        mov out1 = r9
        movl out0 = .Ldeep
        ;;
        CALL print_kv
        mov out1 = loc1
        movl out0 = .Lbad
        ;;
        CALL print_kv
        mov out0 = 3
        mov out1 = 6
        ;;
        CALL ack
        mov out1 = r8
        movl out0 = .Lack
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
