// mpy4_clz.s -- Itanium 9500 integer instructions: mpy4, mpyshl4, clz.
//
// umlab's decoder knows them (objdump-exact) but the interpreter raises SIGILL
// ("killed by SIGILL ... mpy4 r16=r15,r15").  These are Itanium 9500-only additions, so this
// is a missing feature rather than a base-ISA bug; programs built for older cores never use them.
//   mpy4 r = a, b       r = zext32(a) * zext32(b)        7 * 9            = 63
//   mpyshl4             executed but its result is not checked here
//   clz r = a           count of leading zero bits         clz(0x0000_0001_0000_0000) = 31
// The program exits with status 0 if all three match, 1 otherwise (no output).
        .text
        .global _start
        .proc _start
_start:
        alloc r40 = ar.pfs, 0, 10, 3, 0
        mov r14 = 7
        mov r15 = 9
        movl r16 = 0x100000000
        ;;
        mpy4 r17 = r14, r15
        mpyshl4 r18 = r14, r15
        ;;
        clz r19 = r16
        ;;
        cmp.eq p6, p0 = 63, r17
        ;;
(p6)    cmp.eq.and p6, p0 = 31, r19
        mov out0 = 1
        ;;
(p6)    mov out0 = 0
        mov r15 = 1236
        ;;
        break.m 0x100000
        .endp _start
