// lib.s -- runtime routines shared by the IA-64 workloads (linked into every program).
// All routines are normal IA-64 procedures: called with br.call b0, they allocate their own
// register-stack frame (alloc), save ar.pfs/b0 in locals and return with br.ret.
//
//   print_str(cstr)            write a NUL-terminated string to stdout
//   print_u64(v)               v in decimal + '\n'
//   print_u64c(v, ch)          v in decimal followed by byte ch (ch = 0: nothing)
//   print_fd_u64c(fd, v, ch)   the same to descriptor fd
//   print_fd_str(fd, cstr)     cstr to descriptor fd
//   print_s64c(v, ch)          signed v in decimal followed by ch
//   print_kv(cstr, v)          cstr, v in decimal, '\n'   (e.g. "syscalls: " 100000)
//   strlen(cstr) -> r8
//   exit(status)               exit_group(status); does not return
//   fail(cstr)                 write "FAIL: " cstr "\n" to stderr and exit(1)
//   show(what, v, failed)      "what: =v" (signed), or "what: ERRNO" when failed (v = errno)
//   print_yesno(what, flag)    "what: yes" (flag != 0) or "what: no"
// lib.inc's SHOW and YESNO macros call the last two.
        .include "lib.inc"

        .section .rodata
.Lfailmsg: .asciz "FAIL: "
.Lnl:      .asciz "\n"
.Lcolon:   .asciz ": "
.Leq:      .asciz "="
.Lyes:     .asciz "yes\n"
.Lno:      .asciz "no\n"
.LE:       .asciz "E"
.LEPERM:     .asciz "EPERM"
.LENOENT:    .asciz "ENOENT"
.LESRCH:     .asciz "ESRCH"
.LEINTR:     .asciz "EINTR"
.LENXIO:     .asciz "ENXIO"
.LEBADF:     .asciz "EBADF"
.LECHILD:    .asciz "ECHILD"
.LEAGAIN:    .asciz "EAGAIN"
.LENOMEM:    .asciz "ENOMEM"
.LEFAULT:    .asciz "EFAULT"
.LEINVAL:    .asciz "EINVAL"
.LEFBIG:     .asciz "EFBIG"
.LESPIPE:    .asciz "ESPIPE"
.LEPIPE:     .asciz "EPIPE"
.LERANGE:    .asciz "ERANGE"
.LENOSYS:    .asciz "ENOSYS"
.LEOVERFLOW: .asciz "EOVERFLOW"
.LENOTSOCK:  .asciz "ENOTSOCK"
.LEADDRINUSE: .asciz "EADDRINUSE"
.LENETUNREACH: .asciz "ENETUNREACH"
.LENOTCONN:  .asciz "ENOTCONN"
.LECONNREFUSED: .asciz "ECONNREFUSED"
// (errno, name) pairs, ended by errno 0; the C twins' show() knows the same names.
        .align 8
errnames:
        data8 1, .LEPERM
        data8 2, .LENOENT
        data8 3, .LESRCH
        data8 4, .LEINTR
        data8 6, .LENXIO
        data8 9, .LEBADF
        data8 10, .LECHILD
        data8 11, .LEAGAIN
        data8 12, .LENOMEM
        data8 14, .LEFAULT
        data8 22, .LEINVAL
        data8 27, .LEFBIG
        data8 29, .LESPIPE
        data8 32, .LEPIPE
        data8 34, .LERANGE
        data8 38, .LENOSYS
        data8 75, .LEOVERFLOW
        data8 88, .LENOTSOCK
        data8 98, .LEADDRINUSE
        data8 101, .LENETUNREACH
        data8 107, .LENOTCONN
        data8 111, .LECONNREFUSED
        data8 0, 0

        .text
        .align 32
        .global strlen
        .proc strlen
strlen:
        alloc r2 = ar.pfs, 1, 0, 0, 0
        mov r8 = in0
        ;;
.Lsl_loop:
        ld1 r14 = [r8], 1
        ;;
        cmp.ne p6, p0 = 0, r14
(p6)    br.cond.sptk .Lsl_loop
        ;;
        sub r8 = r8, in0
        ;;
        adds r8 = -1, r8
        br.ret.sptk.many b0
        .endp strlen

// write(fd, cstr, strlen(cstr))
        .global print_fd_str
        .proc print_fd_str
print_fd_str:
        alloc loc0 = ar.pfs, 2, 2, 3, 0
        mov loc1 = b0
        mov out0 = in1
        ;;
        CALL strlen
        mov out0 = in0
        mov out1 = in1
        mov out2 = r8
        SYSCALL SYS_write
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp print_fd_str

        .global print_str
        .proc print_str
print_str:
        alloc loc0 = ar.pfs, 1, 2, 2, 0
        mov loc1 = b0
        mov out0 = 1
        mov out1 = in0
        ;;
        CALL print_fd_str
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp print_str

// print_fd_u64c(fd, v, ch): decimal digits of unsigned v, then ch unless ch == 0, to fd.
// Division by 10 is done as a multiply-high by 0xCCCCCCCCCCCCCCCD (xma.hu) and a shift by 3.
        .global print_fd_u64c
        .proc print_fd_u64c
print_fd_u64c:
        alloc loc0 = ar.pfs, 3, 4, 3, 0
        mov loc1 = b0
        adds sp = -48, sp               // 32-byte buffer at sp+16 .. sp+47
        movl r14 = 0xCCCCCCCCCCCCCCCD
        ;;
        setf.sig f6 = r14
        adds loc2 = 48, sp              // end of buffer
        mov r18 = in1
        ;;
        mov loc3 = loc2                 // p
        cmp.eq p7, p0 = 0, in2          // no terminator?
        ;;
(p7)    br.cond.dpnt .Lpu_digits
        adds loc3 = -1, loc3
        ;;
        st1 [loc3] = in2
        ;;
.Lpu_digits:
        setf.sig f7 = r18
        ;;
        xma.hu f8 = f7, f6, f0
        ;;
        getf.sig r19 = f8
        ;;
        shr.u r19 = r19, 3              // q = v / 10
        ;;
        shladd r20 = r19, 2, r19        // q * 5
        ;;
        add r20 = r20, r20              // q * 10
        ;;
        sub r21 = r18, r20              // digit
        adds loc3 = -1, loc3
        mov r18 = r19
        ;;
        adds r21 = '0', r21
        cmp.ne p6, p0 = 0, r18
        ;;
        st1 [loc3] = r21
(p6)    br.cond.sptk .Lpu_digits
        ;;
        mov out0 = in0
        mov out1 = loc3
        sub out2 = loc2, loc3
        SYSCALL SYS_write
        adds sp = 48, sp
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp print_fd_u64c

// print_u64c(v, ch): print_fd_u64c(1, v, ch).
        .global print_u64c
        .proc print_u64c
print_u64c:
        alloc loc0 = ar.pfs, 2, 2, 3, 0
        mov loc1 = b0
        mov out0 = 1
        mov out1 = in0
        mov out2 = in1
        ;;
        CALL print_fd_u64c
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp print_u64c

        .global print_u64
        .proc print_u64
print_u64:
        alloc loc0 = ar.pfs, 1, 2, 2, 0
        mov loc1 = b0
        mov out0 = in0
        mov out1 = 10
        ;;
        CALL print_u64c
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp print_u64

// print_s64c(v, ch): '-' and |v| for negative v.
        .global print_s64c
        .proc print_s64c
print_s64c:
        alloc loc0 = ar.pfs, 2, 2, 2, 0
        mov loc1 = b0
        cmp.lt p6, p7 = in0, r0
        ;;
(p6)    movl out0 = .Lminus
(p6)    sub in0 = r0, in0               // |v| (before the call: p6 is scratch)
        ;;
(p6)    br.call.sptk.many b0 = print_str
        ;;
        mov out0 = in0
        mov out1 = in1
        ;;
        CALL print_u64c
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp print_s64c
        .section .rodata
.Lminus: .asciz "-"
        .text

        .global print_kv
        .proc print_kv
print_kv:
        alloc loc0 = ar.pfs, 2, 2, 1, 0
        mov loc1 = b0
        mov out0 = in0
        ;;
        CALL print_str
        mov out0 = in1
        ;;
        CALL print_u64
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp print_kv

        .global exit
        .proc exit
exit:
        alloc r2 = ar.pfs, 1, 0, 1, 0
        mov out0 = in0
        SYSCALL SYS_exit_group
        break.m 0                       // not reached
        .endp exit

        .global show
        .global print_yesno
        .global fail
        .proc fail
fail:
        alloc loc0 = ar.pfs, 1, 1, 2, 0
        mov out0 = 2
        movl out1 = .Lfailmsg
        ;;
        CALL print_fd_str
        mov out0 = 2
        mov out1 = in0
        ;;
        CALL print_fd_str
        mov out0 = 2
        movl out1 = .Lnl
        ;;
        CALL print_fd_str
        mov out0 = 1
        ;;
        CALL exit
        .endp fail

// show(what, value, failed): "what: =value" (signed) or "what: ERRNO" with value = errno.
        .proc show
show:
        alloc loc0 = ar.pfs, 3, 3, 2, 0
        mov loc1 = b0
        mov out0 = in0
        ;;
        CALL print_str
        movl out0 = .Lcolon
        ;;
        CALL print_str
        cmp.ne p6, p0 = 0, in2
        movl out0 = .Leq
        ;;
(p6)    br.cond.dpnt .Lshow_errno
        CALL print_str
        mov out0 = in1
        mov out1 = 10
        ;;
        CALL print_s64c
        br.sptk.many .Lshow_ret
        ;;
.Lshow_errno:
        movl loc2 = errnames
        ;;
.Lshow_find:
        ld8 r14 = [loc2], 8
        ;;
        ld8 r16 = [loc2], 8
        cmp.eq p6, p0 = r14, in1        // found
        cmp.eq p7, p0 = 0, r14          // end of the table
        ;;
(p6)    br.cond.dpnt .Lshow_name
(p7)    br.cond.dpnt .Lshow_number
        br.sptk.many .Lshow_find
        ;;
.Lshow_name:
        mov out0 = r16
        ;;
        CALL print_str
        movl out0 = .Lnl
        ;;
        CALL print_str
        br.sptk.many .Lshow_ret
        ;;
.Lshow_number:
        movl out0 = .LE
        ;;
        CALL print_str
        mov out0 = in1
        mov out1 = 10
        ;;
        CALL print_u64c
.Lshow_ret:
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp show

// print_yesno(what, flag): "what: yes" (flag != 0) or "what: no".
        .proc print_yesno
print_yesno:
        alloc loc0 = ar.pfs, 2, 2, 1, 0
        mov loc1 = b0
        mov out0 = in0
        ;;
        CALL print_str
        movl out0 = .Lcolon
        ;;
        CALL print_str
        cmp.ne p6, p7 = 0, in1
        ;;
(p6)    movl out0 = .Lyes
(p7)    movl out0 = .Lno
        ;;
        CALL print_str
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp print_yesno
