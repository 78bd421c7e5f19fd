// pfs_frame.s -- a frame marker from ar.pfs that does not fit the register file.
//
// Bug: br.ret took the frame marker in ar.pfs (which a program may write) as it was: with
// `cover`, which moves the whole frame below bof, a loop of "mov ar.pfs = {sof 96}; br.ret;
// cover" grew bof by 96 registers per turn, unchecked, until the stacked registers were
// written past the end of umlab's register array (a write into umlab's own memory). The
// frame rules (sof <= 96, sol and sor <= sof) were not checked either.
//
// Now br.ret gives an Illegal Operation fault (SIGILL) when the marker breaks the frame rules
// or the frame would not fit the register file. A child runs the loop (20000 turns, far
// beyond the register file's 2^20 registers) and, separately, one br.ret with sof = 127; the
// parent prints how each child ended. Expected output: "SIGILL SIGILL".
//
// Build: ia64-linux-gnu-as -x -o pfs_frame.o pfs_frame.s && ia64-linux-gnu-ld -o pfs_frame pfs_frame.o
        .explicit
        .set SYS_exit_group, 1236
        .set SYS_write, 1027
        .set SYS_wait4, 1126
        .set SYS_clone, 1128

        .data
        .align 8
status: .skip 8
.Lout:  .ascii "SIGILL SIGILL\n"
.Lbad:  .ascii "other  other \n"

        .text
        .global _start
        .proc _start
_start:
        alloc r32 = ar.pfs, 0, 8, 5, 0
        mov r33 = 0                     // which attack: 0 the loop, 1 sof = 127
        mov r34 = 0                     // children that died of SIGILL
        ;;
.Lnext:
        mov out0 = 17                   // clone(SIGCHLD, 0, 0, 0): fork
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov r15 = SYS_clone
        ;;
        break.m 0x100000
        ;;
        cmp.eq p6, p7 = 0, r8
        ;;
(p6)    br.cond.dpnt.few .Lchild
        ;;
        mov out0 = r8
        movl out1 = status
        ;;
        mov out2 = 0
        mov out3 = 0
        mov r15 = SYS_wait4
        ;;
        break.m 0x100000
        ;;
        movl r14 = status
        ;;
        ld4 r14 = [r14]
        ;;
        and r14 = 0x7f, r14             // WTERMSIG
        ;;
        cmp.eq p8, p0 = 4, r14          // SIGILL
        ;;
(p8)    adds r34 = 1, r34
        adds r33 = 1, r33
        ;;
        cmp.eq p10, p0 = 1, r33
        ;;
(p10)   br.cond.sptk.few .Lnext
        ;;
        cmp.eq p11, p12 = 2, r34
        movl r16 = .Lout
        movl r17 = .Lbad
        ;;
(p12)   mov r16 = r17
        ;;
        mov out0 = 1
        mov out1 = r16
        mov out2 = 14
        mov r15 = SYS_write
        ;;
        break.m 0x100000
        ;;
        mov out0 = 0
        mov r15 = SYS_exit_group
        ;;
        break.m 0x100000
        ;;

.Lchild:
        cmp.eq p13, p14 = 1, r33
        movl r18 = .Lret                // where each br.ret lands
        ;;
        mov b6 = r18
        mov r14 = 96                    // ar.pfs: sof 96, sol 0
        movl r19 = 127                  // ar.pfs: sof 127
        ;;
(p13)   mov r14 = r19
        mov r16 = 19999
        ;;
        mov ar.lc = r16
        ;;
.Lloop:
        mov ar.pfs = r14
        ;;
        br.ret.sptk.few b6
        ;;
.Lret:
        mov r32 = r16                   // a stacked register of the frame br.ret made
        ;;
        cover
        ;;
        br.cloop.sptk.few .Lloop
        ;;
        mov out0 = 0                    // no fault: exit(0)
        mov r15 = SYS_exit_group
        ;;
        break.m 0x100000
        ;;
        .endp _start
