        .text
        .global _start
        .proc _start
_start:
        alloc r14 = ar.pfs, 0, 2, 3, 0
        movl r16 = 50000000
        mov r17 = 0
        ;;
        mov ar.lc = r16
        ;;
.Lloop:
        add r17 = r17, r16
        add r18 = 3, r17
        br.cloop.sptk.few .Lloop
        ;;
        mov out0 = 0
        mov r15 = 1025
        ;;
        break.m 0x100000
        .endp _start
