// signals.s -- Linux/ia64 signal delivery and rt_sigreturn.
//   usr1       rt_sigaction(SA_SIGINFO) + kill(getpid()): the handler gets (signum, &info, &sc)
//              in in0..in2 and gp from the function descriptor; it checks si_code/si_pid and
//              reads a stacked register of the interrupted frame from the backing store
//              (flushrs, then sc_ar_bsp and sc_cfm.sof locate it); r1 is restored afterwards
//   deep       the signal arrives at the bottom of a depth-20000 recursion (120000 stacked
//              registers, spilled to the backing store); the handler recurses 1000 deep on the
//              same register stack; every frame re-checks its locals on the way back up
//   alarm      SIGALRM from setitimer while blocked in rt_sigsuspend: EINTR (r10 = -1, r8 = 4)
//   segv       ld8 from address 0 in slot 1 of a bundle: the handler reads si_code/si_addr and
//              the slot from sc_ip bits 1:0, then edits sc_ip (skip to slot 2), sc_gr[8]
//              and sc_pr (p7); all three take effect
//   fp         the handler clobbers f10 (restored from the frame) and writes sc_fr[11] in spill
//              format (takes effect)
//   mask       SIGUSR2 blocked with rt_sigprocmask stays pending (rt_sigpending) and is delivered
//              when unblocked
//   resethand  SA_RESETHAND: one call, then the disposition reads back as SIG_DFL
//   altstack   sigaltstack + SA_ONSTACK: the handler's sp and its register backing store are on
//              the alternate stack (Linux puts the new backing store at its low end), sc_flags
//              has IA64_SC_FLAG_ONSTACK, a 200-deep recursion runs there, and the interrupted
//              frame's locals survive
//   nested     a SIGUSR1 handler sends SIGUSR2, whose handler runs on top of it (order 1, 2, 3)
//   restart    SA_RESTART: SIGALRM interrupts a read from a pipe that a child fills 150 ms later;
//              the read is restarted and returns the byte
//   nat        NaT bits of stacked registers (from ld8.s) in 2002 frames, the interrupted one
//              included, survive a signal whose handler recurses on the same register stack
// signals.c prints the same lines natively (with siglongjmp where the handler edits sc_ip here).
        .include "lib.inc"

        .set SYS_sigaltstack,   1176
        .set SYS_rt_sigaction,  1177
        .set SYS_rt_sigpending, 1178
        .set SYS_rt_sigprocmask, 1179
        .set SYS_rt_sigsuspend, 1182
        .set SYS_setitimer,     1118
        .set SA_RESTART, 0x10000000

        .set SIGHUP, 1
        .set SIGUSR1, 10
        .set SIGSEGV, 11
        .set SIGUSR2, 12
        .set SIGALRM, 14
        .set SA_SIGINFO, 4
        .set SA_ONSTACK, 0x08000000
        .set SA_RESETHAND, 0x80000000
        .set SIG_BLOCK, 0
        .set SIG_UNBLOCK, 1

        .set DEPTH, 20000
        .set ALTSIZE, 65536

        // struct sigcontext offsets (arch/ia64/include/uapi/asm/sigcontext.h)
        .set SC_FLAGS, 0
        .set SC_IP, 40
        .set SC_CFM, 48
        .set SC_BSP, 72
        .set SC_PR, 128
        .set SC_GR, 200
        .set SC_FR, 464

        .section .rodata
.Lusr1:  .asciz "usr1: sig "
.Lcode:  .asciz " code "
.Lpid:   .asciz " pid "
.Lctx:   .asciz " ctx "
.Lgp:    .asciz " gp "
.Ldeep:  .asciz "deep: sum "
.Lhand:  .asciz " handler "
.Lcorr:  .asciz " corrupt "
.Lalrm:  .asciz "alarm: sig "
.Leintr: .asciz " eintr "
.Lsegv:  .asciz "segv: sig "
.Laddr:  .asciz " addr "
.Lslot:  .asciz " slot "
.Lr8:    .asciz " r8 "
.Lr9:    .asciz " r9 "
.Lp7:    .asciz " p7 "
.Lfp:    .asciz "fp: f10 "
.Lf11:   .asciz " f11 "
.Lmask:  .asciz "mask: before "
.Lpend:  .asciz " pending "
.Lafter: .asciz " after "
.Lreset: .asciz "resethand: calls "
.Ldfl:   .asciz " dfl "
.Lalt:   .asciz "altstack: sp "
.Lbsp:   .asciz " bsp "
.Lonst:  .asciz " onstack "
.Lsum:   .asciz " sum "
.Llocal: .asciz " local "
.Lnest:  .asciz "nested: order "
.Lrst:   .asciz "restart: read "
.Lbyte:  .asciz " byte "
.Lalrms: .asciz " alarms "
.Lnat:   .asciz "nat: bad "

        .data
        .align 8
// function descriptors (entry, gp): the trampoline loads gp into r1 from the second word
usr1_fd:  data8 usr1_handler, 0x600d
deep_fd:  data8 deep_handler, 0
alrm_fd:  data8 alrm_handler, 0
segv_fd:  data8 segv_handler, 0
fp_fd:    data8 fp_handler, 0
usr2_fd:  data8 usr2_handler, 0
hup_fd:   data8 hup_handler, 0
alt_fd:   data8 alt_handler, 0
nest1_fd: data8 nest1_handler, 0
nest2_fd: data8 nest2_handler, 0
rst_fd:   data8 rst_handler, 0
itimer30: data8 0, 0, 0, 30000      // 30 ms
sleep150: data8 0, 150000000        // 150 ms
alrm_set: data8 1 << (SIGALRM - 1)
usr2_set: data8 1 << (SIGUSR2 - 1)
empty_set: data8 0
itimer:   data8 0, 0, 0, 20000      // it_interval = 0, it_value = 20 ms
altss:    data8 altbuf, 0, ALTSIZE  // ss_sp, ss_flags (+pad), ss_size

        .bss
        .align 16
R:       .skip 8 * 32               // results, printed by _start
pending: .skip 8
oldact:  .skip 24
altbuf:  .skip ALTSIZE
order:   .skip 8
alarms:  .skip 8
natbad:  .skip 8
byte:    .skip 8

        .text
// sys(nr, a0, a1, a2, a3): a system call with four arguments; r8/r10 as the kernel left them.
        .proc sys
sys:
        alloc r2 = ar.pfs, 5, 0, 4, 0
        mov r15 = in0
        mov out0 = in1
        mov out1 = in2
        mov out2 = in3
        mov out3 = in4
        ;;
        break.m 0x100000
        ;;
        br.ret.sptk.many b0
        .endp sys

// set_action(sig, descriptor, flags): rt_sigaction(sig, {descriptor, flags, mask 0}, NULL, 8)
        .proc set_action
set_action:
        alloc loc0 = ar.pfs, 3, 3, 4, 0
        mov loc1 = b0
        adds sp = -48, sp
        ;;
        adds loc2 = 16, sp              // struct sigaction at sp + 16 (24 bytes)
        adds out1 = 16, sp
        mov out0 = in0
        ;;
        st8 [loc2] = in1, 8
        mov out2 = 0
        mov out3 = 8
        ;;
        st8 [loc2] = in2, 8
        ;;
        st8 [loc2] = r0
        SYSCALL SYS_rt_sigaction
        adds sp = 48, sp
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp set_action

// send_self(sig, marker): kill(getpid(), sig) with `marker` in this frame's loc2 (r36),
// where a handler can find it on the backing store.
        .proc send_self
send_self:
        alloc loc0 = ar.pfs, 2, 3, 2, 0
        mov loc1 = b0
        mov loc2 = in1
        SYSCALL SYS_getpid
        mov out0 = r8
        mov out1 = in0
        SYSCALL SYS_kill
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp send_self

// rse_back(addr, n) -> r8: the backing-store address n registers below addr (NaT collection
// slots, address bits 8:3 all ones, are skipped).
        .proc rse_back
rse_back:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        mov r8 = in0
        cmp.eq p6, p0 = 0, in1
        ;;
(p6)    br.ret.sptk.many b0
        ;;
.Lrb_loop:
        adds r8 = -8, r8
        adds in1 = -1, in1
        ;;
        extr.u r14 = r8, 3, 6
        ;;
        cmp.eq p7, p0 = 63, r14
        ;;
(p7)    adds r8 = -8, r8
        cmp.ne p6, p0 = 0, in1
(p6)    br.cond.sptk .Lrb_loop
        ;;
        br.ret.sptk.many b0
        .endp rse_back

// hrec(n) -> r8 = n + (n - 1) + ... + 1, one register-stack frame per level.
        .proc hrec
hrec:
        alloc loc0 = ar.pfs, 1, 2, 1, 0
        mov loc1 = b0
        cmp.eq p6, p0 = 0, in0
        mov r8 = 0
        ;;
(p6)    br.ret.sptk.many b0             // (ar.pfs/b0 untouched on this path)
        adds out0 = -1, in0
        br.call.sptk.many b0 = hrec
        ;;
        add r8 = r8, in0
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp hrec

// rec(n) -> r8 = sum over k = 0..n of (3k + 1) + (k ^ 0x55); the locals of every frame are
// checked after the call below returns (R[5] counts mismatches). At n = 0: SIGUSR1.
        .proc rec
rec:
        alloc loc0 = ar.pfs, 1, 4, 2, 0
        mov loc1 = b0
        shladd loc2 = in0, 1, in0       // 3n
        xor loc3 = 0x55, in0
        cmp.eq p6, p0 = 0, in0
        ;;
        adds loc2 = 1, loc2             // 3n + 1
(p6)    br.cond.dpnt .Lrec_bottom
        ;;
        adds out0 = -1, in0
        br.call.sptk.many b0 = rec
        ;;
        br.sptk.few .Lrec_check
        ;;
.Lrec_bottom:
        mov out0 = SIGUSR1
        mov out1 = 0
        ;;
        br.call.sptk.many b0 = send_self
        ;;
        mov r8 = 0
        ;;
.Lrec_check:
        shladd r14 = in0, 1, in0
        xor r15 = 0x55, in0
        movl r16 = R + 8 * 5
        ;;
        adds r14 = 1, r14
        add r8 = r8, loc2
        ;;
        cmp.ne p6, p0 = r14, loc2
        cmp.ne p7, p0 = r15, loc3
        add r8 = r8, loc3
        ;;
(p6)    ld8 r17 = [r16]
        ;;
(p6)    adds r17 = 1, r17
        ;;
(p6)    st8 [r16] = r17
        ;;
(p7)    ld8 r17 = [r16]
        ;;
(p7)    adds r17 = 1, r17
        ;;
(p7)    st8 [r16] = r17
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp rec

// ---- handlers: (signum, &info, &sc) in in0..in2 ----

// R[0] = signum, R[1] = si_code, R[2] = (si_pid == getpid()), R[3] = the interrupted frame's
// loc2 (r36) read from the backing store, R[4] = gp on entry.
        .proc usr1_handler
usr1_handler:
        alloc loc0 = ar.pfs, 3, 4, 2, 0
        mov loc1 = b0
        movl loc2 = R
        ;;
        st8 [loc2] = in0, 8             // R[0]
        adds r14 = 8, in1
        adds r15 = 16, in1
        ;;
        ld4 r14 = [r14]                 // si_code
        ld4 loc3 = [r15]                // si_pid
        ;;
        st8 [loc2] = r14, 8             // R[1]
        movl r14 = R + 8 * 4
        ;;
        st8 [r14] = r1                  // R[4]: gp from the descriptor
        SYSCALL SYS_getpid
        cmp4.eq p6, p7 = r8, loc3
        ;;
(p6)    mov r14 = 1
(p7)    mov r14 = 0
        ;;
        st8 [loc2] = r14, 8             // R[2]
        ;;
        flushrs                         // the interrupted frame to the backing store
        ;;
        adds r14 = SC_BSP, in2
        adds r15 = SC_CFM, in2
        ;;
        ld8 out0 = [r14]                // sc_ar_bsp: end of the interrupted frame
        ld8 r15 = [r15]
        ;;
        and r15 = 0x7f, r15             // sof
        ;;
        adds out1 = -4, r15             // send_self's loc2 (r36) is register 4 of the frame
        br.call.sptk.many b0 = rse_back
        ;;
        ld8 r14 = [r8]
        ;;
        st8 [loc2] = r14                // R[3]
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp usr1_handler

// R[6] = hrec(1000), on top of the interrupted recursion's register stack.
        .proc deep_handler
deep_handler:
        alloc loc0 = ar.pfs, 3, 2, 1, 0
        mov loc1 = b0
        mov out0 = 1000
        ;;
        br.call.sptk.many b0 = hrec
        ;;
        movl r14 = R + 8 * 6
        ;;
        st8 [r14] = r8
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp deep_handler

// R[7] = signum
        .proc alrm_handler
alrm_handler:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        movl r14 = R + 8 * 7
        ;;
        st8 [r14] = in0
        br.ret.sptk.many b0
        .endp alrm_handler

// R[9] = signum, R[10] = si_code, R[11] = si_addr, R[12] = slot (sc_ip bits 1:0); then
// sc_ip moves to the next slot, sc_gr[8] = 77, sc_pr gets p7.
        .proc segv_handler
segv_handler:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        movl r14 = R + 8 * 9
        adds r15 = 8, in1
        adds r16 = 16, in1
        ;;
        ld4 r15 = [r15]
        ld8 r16 = [r16]
        adds r17 = SC_IP, in2
        ;;
        st8 [r14] = in0, 8
        ld8 r18 = [r17]                 // sc_ip = bundle | slot
        ;;
        st8 [r14] = r15, 8
        and r19 = 3, r18
        ;;
        st8 [r14] = r16, 8
        cmp.eq p6, p7 = 2, r19
        ;;
        st8 [r14] = r19
(p6)    and r18 = -16, r18              // slot 2: next bundle, slot 0
        ;;
(p6)    adds r18 = 16, r18
(p7)    adds r18 = 1, r18               // else the next slot of this bundle
        ;;
        st8 [r17] = r18
        adds r20 = SC_GR + 8 * 8, in2
        adds r21 = SC_PR, in2
        mov r22 = 77
        mov r24 = 0x80
        ;;
        st8 [r20] = r22                 // sc_gr[8] = 77
        ld8 r23 = [r21]
        ;;
        or r23 = r24, r23               // p7
        ;;
        st8 [r21] = r23
        br.ret.sptk.many b0
        .endp segv_handler

// f10 is clobbered (comes back from the frame); sc_fr[11] = 99 in spill format.
        .proc fp_handler
fp_handler:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        mov r14 = 999
        mov r15 = 99
        adds r16 = SC_FR + 16 * 11, in2
        ;;
        setf.sig f10 = r14
        setf.sig f12 = r15
        ;;
        stf.spill [r16] = f12
        br.ret.sptk.many b0
        .endp fp_handler

// R[19] counts SIGUSR2.
        .proc usr2_handler
usr2_handler:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        movl r14 = R + 8 * 19
        ;;
        ld8 r15 = [r14]
        ;;
        adds r15 = 1, r15
        ;;
        st8 [r14] = r15
        br.ret.sptk.many b0
        .endp usr2_handler

// R[20] counts SIGHUP.
        .proc hup_handler
hup_handler:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        movl r14 = R + 8 * 20
        ;;
        ld8 r15 = [r14]
        ;;
        adds r15 = 1, r15
        ;;
        st8 [r14] = r15
        br.ret.sptk.many b0
        .endp hup_handler

// R[27] = sp on the alternate stack, R[28] = ar.bsp on it, R[29] = sc_flags & ONSTACK,
// R[30] = hrec(200) run on the alternate register backing store.
        .proc alt_handler
alt_handler:
        alloc loc0 = ar.pfs, 3, 4, 1, 0
        mov loc1 = b0
        movl loc2 = altbuf
        movl loc3 = ALTSIZE
        ;;
        sub r14 = sp, loc2
        mov r15 = ar.bsp
        ;;
        sub r15 = r15, loc2
        cmp.ltu p6, p7 = r14, loc3
        movl r16 = R + 8 * 27
        ;;
(p6)    mov r17 = 1
(p7)    mov r17 = 0
        cmp.ltu p8, p9 = r15, loc3
        ;;
(p8)    mov r18 = 1
(p9)    mov r18 = 0
        st8 [r16] = r17, 8
        ;;
        st8 [r16] = r18, 8
        ld8 r19 = [in2]                 // sc_flags
        ;;
        and r19 = 1, r19
        ;;
        st8 [r16] = r19, 8
        mov out0 = 200
        ;;
        br.call.sptk.many b0 = hrec
        ;;
        movl r16 = R + 8 * 30
        ;;
        st8 [r16] = r8
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp alt_handler

// order = order * 8 + 1; SIGUSR2 to self (its handler nests here); order = order * 8 + 3
        .proc nest1_handler
nest1_handler:
        alloc loc0 = ar.pfs, 3, 3, 2, 0
        mov loc1 = b0
        movl loc2 = order
        ;;
        ld8 r14 = [loc2]
        ;;
        shladd r14 = r14, 3, r0
        ;;
        adds r14 = 1, r14
        mov out0 = SIGUSR2
        mov out1 = 0
        ;;
        st8 [loc2] = r14
        br.call.sptk.many b0 = send_self
        ;;
        ld8 r14 = [loc2]
        ;;
        shladd r14 = r14, 3, r0
        ;;
        adds r14 = 3, r14
        ;;
        st8 [loc2] = r14
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp nest1_handler

// order = order * 8 + 2
        .proc nest2_handler
nest2_handler:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        movl r14 = order
        ;;
        ld8 r15 = [r14]
        ;;
        shladd r15 = r15, 3, r0
        ;;
        adds r15 = 2, r15
        ;;
        st8 [r14] = r15
        br.ret.sptk.many b0
        .endp nest2_handler

// alarms += 1
        .proc rst_handler
rst_handler:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        movl r14 = alarms
        ;;
        ld8 r15 = [r14]
        ;;
        adds r15 = 1, r15
        ;;
        st8 [r14] = r15
        br.ret.sptk.many b0
        .endp rst_handler

// natrec(n): loc2 is NaT (ld8.s from address 0) when n is odd, else n; loc3 = n. At n = 0 the
// frame also gets a NaT in loc4 and sends itself SIGUSR1 (this frame is the interrupted one).
// After the call below returns, every frame checks its registers; natbad counts mismatches.
        .proc natrec
natrec:
        alloc loc0 = ar.pfs, 1, 5, 2, 0
        mov loc1 = b0
        mov loc3 = in0
        tbit.nz p6, p7 = in0, 0
        mov r14 = 0
        ;;
(p6)    ld8.s loc2 = [r14]              // deferred fault: NaT
(p7)    mov loc2 = in0
        mov loc4 = in0
        cmp.eq p8, p9 = 0, in0
        ;;
(p9)    adds out0 = -1, in0
(p9)    br.call.sptk.many b0 = natrec
        ;;
        cmp.eq p8, p0 = 0, in0
        ;;
(p8)    ld8.s loc4 = [r0]
(p8)    mov r15 = SYS_getpid
        ;;
(p8)    break.m 0x100000
        ;;
(p8)    mov out0 = r8
(p8)    mov out1 = SIGUSR1
(p8)    mov r15 = SYS_kill
        ;;
(p8)    break.m 0x100000
        ;;
        tbit.nz p6, p7 = in0, 0
        tnat.nz p10, p0 = loc2
        tnat.nz p12, p0 = loc3
        movl r16 = natbad
        mov r18 = 0
        ;;
        ld8 r17 = [r16]
(p6)    mov r18 = 1                     // NaT expected
        cmp.ne p14, p0 = loc3, in0
        ;;
(p10)   xor r18 = 1, r18                // NaT found
(p12)   adds r17 = 1, r17
        ;;
(p14)   adds r17 = 1, r17
        cmp.eq p8, p0 = 0, in0
        ;;
        add r17 = r17, r18
(p8)    tnat.z p8, p0 = loc4            // frame 0: loc4 must be NaT
        ;;
(p8)    adds r17 = 1, r17
        ;;
        st8 [r16] = r17
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp natrec

// ---- main ----
        // print label, then R[idx] in decimal followed by byte ch (0: nothing)
        .macro FIELD label, idx, ch
        movl out0 = \label
        ;;
        CALL print_str
        movl r14 = R + 8 * \idx
        ;;
        ld8 out0 = [r14]
        mov out1 = \ch
        ;;
        CALL print_u64c
        .endm

        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 8, 5, 0

        // ---- usr1 ----
        mov out0 = SIGUSR1
        movl out1 = usr1_fd
        mov out2 = SA_SIGINFO
        ;;
        CALL set_action
        mov r1 = 0x1111
        mov out0 = SIGUSR1
        mov out1 = 4242
        ;;
        CALL send_self
        movl r14 = 0x1111
        movl r15 = R + 8 * 4
        ;;
        ld8 r16 = [r15]
        cmp.eq p6, p0 = r14, r1         // r1 restored after the handler
        ;;
        movl r17 = 0x600d
        ;;
(p6)    cmp.eq p6, p0 = r17, r16        // the handler ran with the descriptor's gp
        mov r18 = 0
        ;;
(p6)    mov r18 = 1
        ;;
        st8 [r15] = r18
        FIELD .Lusr1, 0, 0
        FIELD .Lcode, 1, 0
        FIELD .Lpid, 2, 0
        FIELD .Lctx, 3, 0
        FIELD .Lgp, 4, 10

        // ---- deep ----
        mov out0 = SIGUSR1
        movl out1 = deep_fd
        mov out2 = 0
        ;;
        CALL set_action
        movl out0 = DEPTH
        ;;
        CALL rec
        movl r14 = R + 8 * 8
        ;;
        st8 [r14] = r8
        FIELD .Ldeep, 8, 0
        FIELD .Lhand, 6, 0
        FIELD .Lcorr, 5, 10

        // ---- alarm ----
        mov out0 = SIGALRM
        movl out1 = alrm_fd
        mov out2 = 0
        ;;
        CALL set_action
        mov out0 = SYS_rt_sigprocmask
        mov out1 = SIG_BLOCK
        movl out2 = alrm_set
        mov out3 = 0
        mov out4 = 8
        ;;
        CALL sys
        mov out0 = SYS_setitimer
        mov out1 = 0
        movl out2 = itimer
        mov out3 = 0
        ;;
        CALL sys
        mov out0 = SYS_rt_sigsuspend
        movl out1 = empty_set
        mov out2 = 8
        ;;
        CALL sys
        cmp.eq p6, p0 = -1, r10
        movl r14 = R + 8 * 13
        mov r15 = 0
        ;;
(p6)    cmp.eq p6, p0 = 4, r8           // EINTR
        ;;
(p6)    mov r15 = 1
        ;;
        st8 [r14] = r15
        mov out0 = SYS_rt_sigprocmask
        mov out1 = SIG_UNBLOCK
        movl out2 = alrm_set
        mov out3 = 0
        mov out4 = 8
        ;;
        CALL sys
        FIELD .Lalrm, 7, 0
        FIELD .Leintr, 13, 10

        // ---- segv ----
        mov out0 = SIGSEGV
        movl out1 = segv_fd
        mov out2 = SA_SIGINFO
        ;;
        CALL set_action
        mov r8 = 0
        mov r9 = 0
        cmp.ne p7, p0 = r0, r0
        ;;
        { .mmi
        nop.m 0
        ld8 r10 = [r0]                  // slot 1: faults; the handler resumes at slot 2
        adds r9 = 1, r9
        ;;
        }
        movl r14 = R + 8 * 14
        mov r15 = 0
        ;;
        st8 [r14] = r8, 8               // R[14] = r8
(p7)    mov r15 = 1
        ;;
        st8 [r14] = r9, 8               // R[15] = r9
        ;;
        st8 [r14] = r15                 // R[16] = p7
        FIELD .Lsegv, 9, 0
        FIELD .Lcode, 10, 0
        FIELD .Laddr, 11, 0
        FIELD .Lslot, 12, 0
        FIELD .Lr8, 14, 0
        FIELD .Lr9, 15, 0
        FIELD .Lp7, 16, 10

        // ---- fp ----
        mov out0 = SIGUSR1
        movl out1 = fp_fd
        mov out2 = SA_SIGINFO
        ;;
        CALL set_action
        mov r14 = 1234
        mov r15 = 5
        ;;
        setf.sig f10 = r14
        setf.sig f11 = r15
        mov out0 = SIGUSR1
        mov out1 = 0
        ;;
        CALL send_self
        getf.sig r14 = f10
        getf.sig r15 = f11
        movl r16 = R + 8 * 17
        ;;
        st8 [r16] = r14, 8
        ;;
        st8 [r16] = r15
        FIELD .Lfp, 17, 0
        FIELD .Lf11, 18, 10

        // ---- mask ----
        mov out0 = SIGUSR2
        movl out1 = usr2_fd
        mov out2 = 0
        ;;
        CALL set_action
        mov out0 = SYS_rt_sigprocmask
        mov out1 = SIG_BLOCK
        movl out2 = usr2_set
        mov out3 = 0
        mov out4 = 8
        ;;
        CALL sys
        mov out0 = SIGUSR2
        mov out1 = 0
        ;;
        CALL send_self
        movl r14 = R + 8 * 19
        movl r15 = R + 8 * 21
        ;;
        ld8 r16 = [r14]
        ;;
        st8 [r15] = r16                 // R[21] = calls while blocked
        mov out0 = SYS_rt_sigpending
        movl out1 = pending
        mov out2 = 8
        ;;
        CALL sys
        movl r14 = pending
        movl r15 = R + 8 * 23
        ;;
        ld8 r16 = [r14]
        ;;
        extr.u r16 = r16, SIGUSR2 - 1, 1
        ;;
        st8 [r15] = r16                 // R[23] = pending bit
        mov out0 = SYS_rt_sigprocmask
        mov out1 = SIG_UNBLOCK
        movl out2 = usr2_set
        mov out3 = 0
        mov out4 = 8
        ;;
        CALL sys                        // delivered on the way out of this call
        FIELD .Lmask, 21, 0
        FIELD .Lpend, 23, 0
        FIELD .Lafter, 19, 10

        // ---- resethand ----
        mov out0 = SIGHUP
        movl out1 = hup_fd
        movl out2 = SA_RESETHAND
        ;;
        CALL set_action
        mov out0 = SIGHUP
        mov out1 = 0
        ;;
        CALL send_self
        mov out0 = SYS_rt_sigaction
        mov out1 = SIGHUP
        mov out2 = 0
        movl out3 = oldact
        mov out4 = 8
        ;;
        CALL sys
        movl r14 = oldact
        movl r15 = R + 8 * 24
        mov r16 = 0
        ;;
        ld8 r17 = [r14]                 // sa_handler
        ;;
        cmp.eq p6, p0 = 0, r17          // SIG_DFL
        ;;
(p6)    mov r16 = 1
        ;;
        st8 [r15] = r16
        FIELD .Lreset, 20, 0
        FIELD .Ldfl, 24, 10

        // ---- altstack ----
        mov out0 = SYS_sigaltstack
        movl out1 = altss
        mov out2 = 0
        ;;
        CALL sys
        mov out0 = SIGUSR1
        movl out1 = alt_fd
        movl out2 = SA_ONSTACK | SA_SIGINFO
        ;;
        CALL set_action
        movl loc5 = 31337               // a stacked local of this frame across the signal
        mov out0 = SIGUSR1
        mov out1 = 0
        ;;
        CALL send_self
        movl r14 = 31337
        movl r15 = R + 8 * 31
        mov r16 = 0
        ;;
        cmp.eq p6, p0 = r14, loc5
        ;;
(p6)    mov r16 = 1
        ;;
        st8 [r15] = r16
        FIELD .Lalt, 27, 0
        FIELD .Lbsp, 28, 0
        FIELD .Lonst, 29, 0
        FIELD .Lsum, 30, 0
        FIELD .Llocal, 31, 10

        // ---- nested ----
        mov out0 = SIGUSR1
        movl out1 = nest1_fd
        mov out2 = 0
        ;;
        CALL set_action
        mov out0 = SIGUSR2
        movl out1 = nest2_fd
        mov out2 = 0
        ;;
        CALL set_action
        mov out0 = SIGUSR1
        mov out1 = 0
        ;;
        CALL send_self
        movl out0 = .Lnest
        movl r14 = order
        ;;
        ld8 out1 = [r14]
        ;;
        CALL print_kv

        // ---- restart ----
        mov out0 = SIGALRM
        movl out1 = rst_fd
        movl out2 = SA_RESTART
        ;;
        CALL set_action
        SYSCALL SYS_pipe
        mov loc1 = r8                   // read end
        mov loc2 = r9                   // write end
        mov out0 = SYS_setitimer
        mov out1 = 0
        movl out2 = itimer30
        mov out3 = 0
        ;;
        CALL sys
        mov out0 = 17                   // fork = clone(SIGCHLD, 0, 0, 0, 0)
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        cmp.eq p6, p0 = 0, r8
        ;;
(p6)    br.cond.dpnt .Lchild
        ;;
        mov out0 = loc1
        movl out1 = byte
        mov out2 = 1
        SYSCALL SYS_read                // SIGALRM arrives while this blocks: restarted
        mov loc3 = r8
        mov out0 = -1
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4               // the alarm has fired by the time the child exits
        movl out0 = .Lrst
        mov out1 = loc3
        mov out2 = 0
        ;;
        CALL print_u64c_after
        movl out0 = .Lbyte
        movl r14 = byte
        ;;
        ld1 out1 = [r14]
        mov out2 = 0
        ;;
        CALL print_u64c_after
        movl out0 = .Lalrms
        movl r14 = alarms
        ;;
        ld8 out1 = [r14]
        mov out2 = 10
        ;;
        CALL print_u64c_after

        // ---- nat ----
        mov out0 = SIGUSR1
        movl out1 = deep_fd
        mov out2 = 0
        ;;
        CALL set_action
        mov out0 = 2001
        ;;
        CALL natrec
        movl out0 = .Lnat
        movl r14 = natbad
        ;;
        ld8 out1 = [r14]
        ;;
        CALL print_kv

        mov out0 = 0
        ;;
        CALL exit

.Lchild:                                // sleep, write '*', exit
        movl out0 = sleep150
        mov out1 = 0
        SYSCALL SYS_nanosleep
        movl r14 = byte
        mov r15 = '*'
        ;;
        st1 [r14] = r15
        mov out0 = loc2
        mov out1 = r14
        mov out2 = 1
        SYSCALL SYS_write
        mov out0 = 0
        ;;
        CALL exit
        .endp _start

// print_u64c_after(label, v, ch): label, then v in decimal, then ch (0: nothing)
        .proc print_u64c_after
print_u64c_after:
        alloc loc0 = ar.pfs, 3, 2, 2, 0
        mov loc1 = b0
        mov out0 = in0
        ;;
        CALL print_str
        mov out0 = in1
        mov out1 = in2
        ;;
        CALL print_u64c
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp print_u64c_after
