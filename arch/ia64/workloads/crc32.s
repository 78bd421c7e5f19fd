// crc32.s -- table-driven CRC-32 (poly 0xEDB88320, reflected, init/xorout 0xFFFFFFFF).
// The 256-entry table is built with tbit + predicated xor; the 64 KiB buffer is filled with
// byte i = (i * 2654435761) >> 24 & 0xff using xma.l (setf.sig/getf.sig); the CRC runs over
// the buffer R times in a row (one CRC of R concatenated copies).  Prints the CRC after one
// pass and after R passes, in decimal.
        .include "lib.inc"
        .set BUFLEN, 65536
        .set R, 16

        .section .rodata
.Lone:  .asciz "crc32 x1: "
.Lall:  .asciz "crc32 x16: "
.Lchk:  .asciz "check 123456789: "
check:  .ascii "123456789"
        .bss
        .align 16
table:  .skip 1024
buf:    .skip BUFLEN

        .text
// crc_update(crc, ptr, len) -> r8  (crc is the running, non-inverted value)
        .proc crc_update
crc_update:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        mov r3 = ar.lc                  // ar.lc is preserved across calls
        adds r14 = -1, in2
        movl r15 = table
        ;;
        mov ar.lc = r14
        mov r8 = in0
        ;;
.Lcu_loop:
        ld1 r16 = [in1], 1
        ;;
        xor r17 = r8, r16
        shr.u r8 = r8, 8
        ;;
        zxt1 r17 = r17
        ;;
        shladd r17 = r17, 2, r15
        ;;
        ld4 r18 = [r17]
        ;;
        xor r8 = r8, r18
        br.cloop.sptk.few .Lcu_loop
        ;;
        mov ar.lc = r3
        br.ret.sptk.many b0
        .endp crc_update

        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 6, 3, 0
        // --- table ---
        movl loc1 = table
        movl r20 = 0xEDB88320
        mov r14 = 0                     // n
        ;;
        mov r21 = loc1
.Ltab:
        mov r15 = r14                   // c
        mov r16 = 8
        ;;
.Lbit:
        tbit.nz p6, p7 = r15, 0
        shr.u r15 = r15, 1
        adds r16 = -1, r16
        ;;
(p6)    xor r15 = r15, r20
        cmp.ne p8, p0 = 0, r16
(p8)    br.cond.sptk .Lbit
        ;;
        st4 [r21] = r15, 4
        adds r14 = 1, r14
        ;;
        mov r22 = 256                   // imm8 range is -128..127, so compare registers
        ;;
        cmp.lt p9, p0 = r14, r22
(p9)    br.cond.sptk .Ltab
        ;;
        // --- buffer: byte i = (i * 2654435761) >> 24 ---
        movl r14 = 2654435761
        movl loc2 = buf
        movl r22 = BUFLEN
        ;;
        setf.sig f6 = r14
        mov r15 = 0                     // i
        mov r21 = loc2
        ;;
.Lfill:
        setf.sig f7 = r15
        adds r15 = 1, r15
        ;;
        xma.l f8 = f7, f6, f0
        ;;
        getf.sig r16 = f8
        ;;
        extr.u r16 = r16, 24, 8
        cmp.ltu p6, p0 = r15, r22
        ;;
        st1 [r21] = r16, 1
(p6)    br.cond.sptk .Lfill
        ;;
        // --- check value: CRC-32("123456789") = 0xCBF43926 = 3421780262 ---
        mov r14 = -1
        ;;
        zxt4 out0 = r14
        movl out1 = check
        mov out2 = 9
        ;;
        CALL crc_update
        mov r14 = -1
        ;;
        xor r14 = r14, r8
        ;;
        zxt4 out1 = r14
        movl out0 = .Lchk
        ;;
        CALL print_kv
        // --- R passes over the buffer ---
        mov r14 = -1
        mov loc4 = 0                    // pass
        ;;
        zxt4 loc3 = r14                 // crc = 0xFFFFFFFF
        ;;
.Lpass:
        mov out0 = loc3
        mov out1 = loc2
        movl out2 = BUFLEN
        ;;
        CALL crc_update
        mov loc3 = r8
        adds loc4 = 1, loc4
        ;;
        cmp.eq p6, p0 = 1, loc4
        mov r14 = -1
        ;;
        xor r14 = r14, loc3
        ;;
(p6)    zxt4 out1 = r14
(p6)    movl out0 = .Lone
        ;;
(p6)    br.call.sptk.many b0 = print_kv
        ;;
        cmp.gt p7, p0 = R, loc4
(p7)    br.cond.sptk .Lpass
        ;;
        mov r14 = -1
        ;;
        xor r14 = r14, loc3
        ;;
        zxt4 out1 = r14
        movl out0 = .Lall
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
