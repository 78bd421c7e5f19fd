// files.s -- file I/O: create /tmp/ia64-workload.txt, write a 4096-byte pattern, lseek to 0,
// read it back into a second buffer, compare byte by byte, fstat (st_size at offset 48),
// compute a checksum (s = s*31 + byte, 64-bit), close and unlink.  Prints
// "size: 4096", "match: 4096" and "checksum: S".
        .include "lib.inc"
        .set LEN, 4096

        .section .rodata
path:    .asciz "/tmp/ia64-workload.txt"
.Lsize:  .asciz "size: "
.Lmatch: .asciz "match: "
.Lsum:   .asciz "checksum: "
.Leopen: .asciz "open"
.Lewr:   .asciz "write"
.Lerd:   .asciz "read"
.Leseek: .asciz "lseek"
.Leunl:  .asciz "unlink"
        .bss
        .align 16
wbuf:   .skip LEN
rbuf:   .skip LEN
stbuf:  .skip 256

        .text
        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 8, 4, 0
        // fill: byte i = ((i * 31 + 7) ^ (i >> 8)) & 0xff
        movl loc1 = wbuf
        mov r14 = 0                     // i
        movl r20 = LEN
        ;;
        mov r16 = loc1
.Lfill:
        shl r17 = r14, 5
        shr.u r18 = r14, 8
        ;;
        sub r17 = r17, r14              // i * 31
        ;;
        adds r17 = 7, r17
        ;;
        xor r17 = r17, r18
        adds r14 = 1, r14
        ;;
        st1 [r16] = r17, 1              // st1 stores the low byte
        cmp.ltu p6, p0 = r14, r20
(p6)    br.cond.sptk .Lfill
        ;;
        // fd = open(path, O_RDWR|O_CREAT|O_TRUNC, 0644)
        movl out0 = path
        mov out1 = 0x242
        mov out2 = 0644
        SYSCALL SYS_open
        cmp.ne p6, p0 = 0, r10
        mov loc2 = r8
        movl out0 = .Leopen
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        mov out0 = loc2
        mov out1 = loc1
        movl out2 = LEN
        SYSCALL SYS_write
        movl r14 = LEN
        ;;
        cmp.ne p6, p0 = r8, r14
        movl out0 = .Lewr
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        mov out0 = loc2
        mov out1 = 0
        mov out2 = 0                    // SEEK_SET
        SYSCALL SYS_lseek
        cmp.ne p6, p0 = 0, r8
        movl out0 = .Leseek
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        mov out0 = loc2
        movl out1 = rbuf
        movl out2 = LEN
        SYSCALL SYS_read
        movl r14 = LEN
        ;;
        cmp.ne p6, p0 = r8, r14
        movl out0 = .Lerd
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        mov out0 = loc2
        movl out1 = stbuf
        SYSCALL SYS_fstat
        movl r14 = stbuf + 48
        ;;
        ld8 loc3 = [r14]                // st_size
        mov out0 = loc2
        SYSCALL SYS_close
        // compare and checksum
        movl r16 = wbuf
        movl r17 = rbuf
        mov loc4 = 0                    // matches
        mov loc5 = 0                    // checksum
        movl r20 = LEN
        ;;
        adds r20 = -1, r20
        ;;
        mov ar.lc = r20                 // counted loop: br.cloop
        ;;
.Lcmp:
        ld1 r18 = [r16], 1
        ld1 r19 = [r17], 1
        shl r21 = loc5, 5
        ;;
        cmp.eq p6, p0 = r18, r19
        sub r21 = r21, loc5             // s * 31
        ;;
(p6)    adds loc4 = 1, loc4
        add loc5 = r21, r19
        br.cloop.sptk.few .Lcmp
        ;;
        movl out0 = path
        SYSCALL SYS_unlink
        cmp.ne p6, p0 = 0, r10
        movl out0 = .Leunl
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        movl out0 = .Lsize
        mov out1 = loc3
        ;;
        CALL print_kv
        movl out0 = .Lmatch
        mov out1 = loc4
        ;;
        CALL print_kv
        movl out0 = .Lsum
        mov out1 = loc5
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
