// self_branch.s -- a taken branch whose target is the bundle that contains the branch.
//
// Bug: after such a branch the interpreter resumes at slot 1 of the same bundle instead of
// slot 0 (IA64Interpreter.execute detects a taken branch only by `s.ip != ip`; a branch to
// the current bundle leaves s.ip unchanged, so the loop falls through to `s.slot += 1` after
// branch() has set slot = 0).  The instructions in slot 0 of a one-bundle loop therefore run
// only on the first iteration.
//
// Here: a one-bundle br.cloop loop with ar.lc = 9: slot 0 (adds r14 = 1, r14) must run 10
// times.  Expected output: "10" (umlab prints "1").  The same happens with br.cond/br.ctop/
// br.wtop: a one-bundle `{ cmp (slot 0); adds (slot 1); (p6) br (slot 2) }` loop never
// re-executes the compare and spins forever.
//
// Build: ia64-linux-gnu-as -o self_branch.o self_branch.s && ia64-linux-gnu-ld -o self_branch self_branch.o
        .text
        .global _start
        .proc _start
_start:
        alloc r40 = ar.pfs, 0, 10, 3, 0
        mov r14 = 0
        mov r16 = 9
        ;;
        mov ar.lc = r16
        ;;
.Lloop:
        { .mib
        adds r14 = 1, r14
        nop.i 0
        br.cloop.sptk.few .Lloop        // target = this bundle
        }
        ;;
        // print r14 as two decimal digits at most (r14 <= 99)
        mov r17 = 10
        adds r18 = -48, r12
        ;;
        cmp.lt p6, p7 = r14, r17
        ;;
(p6)    adds r19 = 48, r14              // one digit
(p6)    mov r20 = 10
(p6)    mov out2 = 2
(p7)    adds r19 = 38, r14              // 10..19 -> "1" then r14 - 10
(p7)    mov out2 = 3
        ;;
(p7)    mov r20 = 49                    // '1'
        ;;
(p7)    st1 [r18] = r20, 1
        ;;
(p7)    mov r20 = 10
        ;;
        st1 [r18] = r19, 1
        ;;
        st1 [r18] = r20
        adds out1 = -48, r12
        mov out0 = 1
        mov r15 = 1027                  // write
        ;;
        break.m 0x100000
        ;;
        mov out0 = 0
        mov r15 = 1236                  // exit_group
        ;;
        break.m 0x100000
        .endp _start
