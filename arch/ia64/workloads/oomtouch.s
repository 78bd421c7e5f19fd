// oomtouch.s -- `oomtouch [MIB]`: a forked child maps MIB MiB (default 2048) in 16 MiB
// anonymous mmaps and writes one byte to every 4 KiB of it; the parent waits and prints how the
// child ended, in the words of Tests/programs/limits.c's "touch":
//   "child killed by SIGKILL"      (what `umlab run --memory 512M` must give: the OOM policy)
//   "child killed by signal N"
//   "child exited N"               (0: everything touched; 2: an mmap was refused)
// No C twin: the answer depends on umlab's limit, not on the program (the Limits suite in
// Tests/UmlabTests/Differential.swift runs it; Benchmarks/limits/memory.sh measures umlab's RSS
// meanwhile, and `oomtouch 0` is its trivial baseline).
        .include "lib.inc"

        .set SYS_mmap,     1151
        .set CHUNK,        16 << 20
        .set STEP,         4096             // every 4 KiB: each page whatever the page size
        .set PRIVATE_ANON, 0x22             // MAP_PRIVATE | MAP_ANONYMOUS
        .set SIGCHLD,      17

        .section .rodata
.Lkilled9: .asciz "child killed by SIGKILL\n"
.Lkilled:  .asciz "child killed by signal "
.Lexited:  .asciz "child exited "
.Lefork:   .asciz "fork"
.Lewait:   .asciz "wait4"
        .bss
        .align 8
status: .skip 8

        .text
        .global _start
        .proc _start
_start:
        // At entry argc is at sp + 16 and argv follows (16 bytes of scratch above sp).
        alloc loc0 = ar.pfs, 0, 4, 5, 0
        adds r14 = 16, sp
        movl loc1 = 2048                // MiB to touch
        ;;
        ld8 r15 = [r14], 16             // argc; r14 = &argv[1]
        ;;
        cmp.lt p6, p0 = 1, r15
        ;;
(p6)    ld8 r16 = [r14]                 // argv[1]
(p6)    mov loc1 = 0
(p6)    br.cond.sptk .Lparse
        br.cond.sptk .Lfork
        ;;
.Lparse:                                // loc1 = loc1 * 10 + digit, to the first non-digit
        ld1 r17 = [r16], 1
        ;;
        adds r17 = -'0', r17
        ;;
        cmp.ltu p7, p0 = 9, r17         // not a digit (NUL included)
(p7)    br.cond.dpnt .Lfork
        ;;
        shladd r18 = loc1, 2, loc1      // loc1 * 5
        ;;
        shladd loc1 = r18, 1, r17       // loc1 * 10 + digit
        br.cond.sptk .Lparse
        ;;
.Lfork:
        mov out0 = SIGCHLD              // fork = clone(SIGCHLD, 0, ...)
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        cmp.ne p6, p0 = 0, r10
        cmp.eq p7, p0 = 0, r8
        mov loc2 = r8
        movl out0 = .Lefork
        ;;
(p6)    br.call.spnt.many b0 = fail
        ;;
(p7)    mov out0 = loc1
(p7)    br.call.dpnt.many b0 = touch    // the child: does not return
        ;;
        mov out0 = loc2
        movl out1 = status
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        cmp.ne p6, p0 = r8, loc2
        movl out0 = .Lewait
        ;;
(p6)    br.call.spnt.many b0 = fail
        ;;
        movl r14 = status
        ;;
        ld4 r14 = [r14]
        ;;
        and loc3 = 0x7f, r14            // WTERMSIG (0: exited)
        extr.u loc2 = r14, 8, 8         // WEXITSTATUS
        ;;
        cmp.eq p6, p0 = 9, loc3
        cmp.eq p7, p0 = 0, loc3
        ;;
(p6)    movl out0 = .Lkilled9
(p6)    br.cond.dpnt .Lprint
        ;;
(p7)    movl out0 = .Lexited
(p7)    br.cond.dptk .Lnumber
        ;;
        movl out0 = .Lkilled
        mov loc2 = loc3
        ;;
.Lnumber:
        CALL print_str
        mov out0 = loc2
        ;;
        CALL print_u64
        br.cond.sptk .Lend
        ;;
.Lprint:
        CALL print_str
.Lend:
        mov out0 = 0
        ;;
        CALL exit
        .endp _start

// touch(mib): map mib MiB in CHUNK pieces and write a byte to every STEP of each; exit(0), or
// exit(2) as soon as an mmap is refused.
        .proc touch
touch:
        alloc loc0 = ar.pfs, 1, 3, 6, 0
        shl loc1 = in0, 20              // bytes left to map
        ;;
.Lchunk:
        cmp.ge p6, p0 = 0, loc1
        mov out0 = 0
(p6)    br.cond.dpnt .Ldone
        ;;
        movl out1 = CHUNK
        mov out2 = 3                    // PROT_READ | PROT_WRITE
        mov out3 = PRIVATE_ANON
        mov out4 = -1
        mov out5 = 0
        SYSCALL SYS_mmap
        cmp.ne p6, p0 = 0, r10
        mov out0 = 2
        ;;
(p6)    br.call.spnt.many b0 = exit
        ;;
        movl r14 = CHUNK
        mov r16 = 1
        mov r17 = r8                    // the page to touch
        ;;
        add r18 = r8, r14               // end of the chunk
        sub loc1 = loc1, r14
        ;;
.Lpage:
        st1 [r17] = r16
        adds r17 = STEP, r17
        ;;
        cmp.ltu p7, p0 = r17, r18
(p7)    br.cond.sptk .Lpage
        br.cond.sptk .Lchunk
        ;;
.Ldone:
        CALL exit                       // out0 = 0
        .endp touch
