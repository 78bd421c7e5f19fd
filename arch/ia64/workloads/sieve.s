// sieve.s -- sieve of Eratosthenes below N = 1<<20 in a 1 MiB .bss byte array
// (0 = prime candidate, 1 = composite).  Marking uses st1 with a register stride; counting
// loads 8 bytes at a time and uses popcnt (each composite byte contributes one bit).
// Prints "primes: 82025".
        .include "lib.inc"
        .set N, 1 << 20

        .section .rodata
.Llabel: .asciz "primes: "
        .bss
        .align 16
flags:  .skip N

        .text
        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 3, 2, 0
        movl loc1 = flags
        movl r20 = N
        mov r21 = 1
        ;;
        st1 [loc1] = r21                // 0 and 1 are not prime
        adds r14 = 1, loc1
        ;;
        st1 [r14] = r21
        mov r15 = 2                     // i
        mov r16 = 4                     // i*i, kept incrementally: (i+1)^2 = i^2 + 2i + 1
        ;;
.Louter:
        add r17 = loc1, r15
        ;;
        cmp.ltu p6, p0 = r16, r20
        ld1 r18 = [r17]
        ;;
(p6)    cmp.eq.unc p7, p0 = 0, r18      // i*i < N and i not marked
(p6)    adds r15 = 1, r15               // i++ (the inner loop uses r15 - 1)
(p6)    add r19 = loc1, r16             // &flags[i*i]
        add r22 = loc1, r20             // end
        ;;
(p6)    shladd r16 = r15, 1, r16        // r16 += 2*(i+1) ...
        ;;
(p6)    adds r16 = -1, r16              // ... - 1  =  i^2 + 2i + 1
        ;;
(p7)    br.cond.dptk .Lmark
(p6)    br.cond.sptk .Louter
        br.sptk .Lcount
        ;;
.Lmark:
        adds r23 = -1, r15              // the prime (r15 was already incremented)
        ;;
.Lmark_loop:
        st1 [r19] = r21
        add r19 = r19, r23
        ;;
        cmp.ltu p8, p0 = r19, r22
(p8)    br.cond.sptk .Lmark_loop
        br.sptk .Louter
        ;;
.Lcount:
        // composites = sum popcnt(8-byte words); primes = N - composites
        mov r24 = 0
        mov r25 = loc1
        shr.u r26 = r20, 3
        ;;
        adds r26 = -1, r26
        ;;
        mov ar.lc = r26
        ;;
.Lcnt:
        ld8 r27 = [r25], 8
        ;;
        popcnt r28 = r27
        ;;
        add r24 = r24, r28
        br.cloop.sptk.few .Lcnt
        ;;
        sub out1 = r20, r24
        movl out0 = .Llabel
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
