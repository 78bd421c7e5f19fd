// study-ia64.s -- the IA-64 twin of study.c (the TT-vs-SKAS study's workloads), linked with
// arch/ia64/workloads/lib.s.  Same command line, same two output lines:
//
//   study WORKLOAD ITERS     check WORKLOAD ITERS VALUE
//                            loop_ns NS
//   study exit               exits with status 42 at once (forkexec's children run this)
//
// WORKLOAD: syscall, pipe, forkexec, file, mmap, fault, compute, stat, openclose, siginstall,
// fork, create -- see study.c for what one iteration does and what VALUE counts.  Not here:
// sighandle (a handler needs IA-64 function descriptors and the signal trampoline; left for
// later) and forksh (there is no IA-64 shell to run).  At _start, sp + 16 holds argc and argv follows.
        .include "lib.inc"
        .set SYS_execve,        1033
        .set SYS_mmap,          1151
        .set SYS_munmap,        1152
        .set SYS_clock_gettime, 1254
        .set SYS_rt_sigaction,  1177
        .set SYS_stat,          1210
        .set SIGUSR1,           10
        .set EXIT_STATUS,       42
        .set FILE_BYTES,        4096
        .set MMAP_BYTES,        65536
        .set FAULT_BYTES,       1048576
        .set CRC_BYTES,         4096

        .section .rodata
.Lcheck:   .asciz "check "
.Lspace:   .asciz " "
.Lloopns:  .asciz "loop_ns "
.Lusage:   .asciz "usage: study WORKLOAD ITERS | study exit"
.Lunknown: .asciz "unknown workload"
.Lexit:    .asciz "exit"
.Lsyscall: .asciz "syscall"
.Lpipe:    .asciz "pipe"
.Lforkexec: .asciz "forkexec"
.Lfile:    .asciz "file"
.Lmmap:    .asciz "mmap"
.Lfault:   .asciz "fault"
.Lcompute: .asciz "compute"
.Lstat:    .asciz "stat"
.Lopenclose: .asciz "openclose"
.Lsiginstall: .asciz "siginstall"
.Lforkw:   .asciz "fork"
.Lcreate:  .asciz "create"
.Lcreatepath: .asciz "/tmp/umlab-study-ia64.new"
.Lecreate: .asciz "create"
.Lpath:    .asciz "/tmp/umlab-study-ia64.dat"
.Lepipe:   .asciz "pipe"
.Lefork:   .asciz "fork"
.Lechild:  .asciz "child exit status"
.Leopen:   .asciz "open"
.Lewrite:  .asciz "write"
.Lemmap:   .asciz "mmap"

        .bss
        .align 16
tsbuf:    .skip 16
status:   .skip 8
onebyte:  .skip 8
execargv: .skip 24
wbuf:     .skip FILE_BYTES
rbuf:     .skip FILE_BYTES
crctab:   .skip 1024
crcbuf:   .skip CRC_BYTES
statbuf:  .skip 256
sigact:   .skip 32

        .text
// FORK_AND_REAP loop, child: one iteration of fork and forkexec. clone(SIGCHLD); the child
// goes to `child`; the parent reaps it with wait4 and counts it in loc7 when it exited with
// EXIT_STATUS; loc6 counts iterations up to loc5, then the report.
        .macro FORK_AND_REAP loop, child
\loop:
        mov out0 = 17
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        cmp.ne p6, p0 = 0, r10
        cmp.eq p7, p0 = 0, r8
        mov loc13 = r8
        movl out0 = .Lefork
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
(p7)    br.cond.dpnt \child
        ;;
        mov out0 = loc13
        movl out1 = status
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        movl r14 = status
        ;;
        ld4 r14 = [r14]
        ;;
        extr.u r15 = r14, 8, 8          // WEXITSTATUS
        and r16 = 0x7f, r14             // WTERMSIG (0: exited)
        ;;
        cmp.eq p6, p0 = EXIT_STATUS, r15
        adds loc6 = 1, loc6
        ;;
(p6)    cmp.eq.and p6, p0 = 0, r16
        cmp.lt p9, p0 = loc6, loc5
        ;;
(p6)    adds loc7 = 1, loc7
(p9)    br.cond.sptk \loop
        ;;
        br.sptk.many .Lreport
        ;;
        .endm

// now_ns() -> r8: CLOCK_MONOTONIC in nanoseconds.
        .proc now_ns
now_ns:
        alloc loc0 = ar.pfs, 0, 1, 2, 0
        mov out0 = 1                    // CLOCK_MONOTONIC
        movl out1 = tsbuf
        SYSCALL SYS_clock_gettime
        movl r14 = tsbuf
        movl r18 = 1000000000
        ;;
        ld8 r16 = [r14], 8
        setf.sig f7 = r18
        ;;
        ld8 r17 = [r14]
        setf.sig f6 = r16
        ;;
        xma.l f8 = f6, f7, f0
        ;;
        getf.sig r8 = f8
        ;;
        add r8 = r8, r17
        br.ret.sptk.many b0
        .endp now_ns

// atoi(cstr) -> r8: the leading decimal digits of cstr.
        .proc atoi
atoi:
        alloc r2 = ar.pfs, 1, 0, 0, 0
        mov r8 = 0
        mov r14 = in0
        ;;
.Latoi_loop:
        ld1 r15 = [r14], 1
        ;;
        adds r16 = -48, r15
        ;;
        cmp.ltu p6, p7 = 9, r16         // p6: not a digit
        ;;
(p7)    shladd r17 = r8, 2, r8          // 5 * v
        ;;
(p7)    add r17 = r17, r17              // 10 * v
        ;;
(p7)    add r8 = r17, r16
(p7)    br.cond.sptk .Latoi_loop
        ;;
        br.ret.sptk.many b0
        .endp atoi

// streq(a, b) -> r8: 1 if the two strings are equal, else 0.
        .proc streq
streq:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        mov r8 = 0
        mov r14 = in0
        mov r15 = in1
        ;;
.Lstreq_loop:
        ld1 r16 = [r14], 1
        ld1 r17 = [r15], 1
        ;;
        cmp.ne p6, p0 = r16, r17
        cmp.eq p7, p0 = 0, r16
(p6)    br.ret.sptk.many b0
        ;;
(p7)    mov r8 = 1
(p7)    br.ret.sptk.many b0
        br.sptk.many .Lstreq_loop
        ;;
        .endp streq

// Locals of _start: loc1 argc, loc2 argv, loc3 envp, loc4 workload name, loc5 iterations,
// loc6 loop counter, loc7 value, loc8 start time, loc9..loc15 per-workload.
        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 16, 6, 0
        adds r14 = 16, sp
        ;;
        ld8 loc1 = [r14]
        adds loc2 = 24, sp
        ;;
        shladd r14 = loc1, 3, loc2      // &argv[argc] (NULL)
        cmp.lt p6, p0 = 1, loc1         // argc > 1
        ;;
        adds loc3 = 8, r14
        movl out0 = .Lusage
        ;;
(p6)    br.cond.sptk .Lhave_arg
        ;;
        CALL fail
.Lhave_arg:
        adds r14 = 8, loc2
        ;;
        ld8 loc4 = [r14]                // argv[1]
        ;;
        mov out0 = loc4
        movl out1 = .Lexit
        ;;
        CALL streq
        cmp.ne p6, p0 = 0, r8
        mov out0 = EXIT_STATUS
        ;;
(p6)    br.call.sptk.many b0 = exit
        ;;
        cmp.eq p6, p0 = 3, loc1
        movl out0 = .Lusage
        ;;
(p6)    br.cond.sptk .Lhave_iters
        ;;
        CALL fail
.Lhave_iters:
        adds r14 = 16, loc2
        ;;
        ld8 out0 = [r14]                // argv[2]
        ;;
        CALL atoi
        mov loc5 = r8
        mov loc7 = 0
        ;;
        // Dispatch on the name; the compute tables are built before the clock starts.
        .macro DISPATCH name, label
        mov out0 = loc4
        movl out1 = \name
        ;;
        CALL streq
        cmp.ne p6, p0 = 0, r8
(p6)    br.cond.sptk \label
        ;;
        .endm
        DISPATCH .Lsyscall, .Lw_syscall
        DISPATCH .Lpipe, .Lw_pipe
        DISPATCH .Lforkexec, .Lw_forkexec
        DISPATCH .Lfile, .Lw_file
        DISPATCH .Lmmap, .Lw_mmap
        DISPATCH .Lfault, .Lw_fault
        DISPATCH .Lcompute, .Lw_compute
        DISPATCH .Lstat, .Lw_stat
        DISPATCH .Lopenclose, .Lw_openclose
        DISPATCH .Lsiginstall, .Lw_siginstall
        DISPATCH .Lforkw, .Lw_fork
        DISPATCH .Lcreate, .Lw_create
        movl out0 = .Lunknown
        ;;
        CALL fail

// ---- syscall: loc5 x getppid; value = calls that returned a pid > 0 ----
.Lw_syscall:
        CALL now_ns
        mov loc8 = r8
        mov loc6 = loc5
        ;;
.Lsys_loop:
        SYSCALL SYS_getppid
        cmp.eq p7, p0 = 0, r10
        adds loc6 = -1, loc6
        ;;
        cmp.lt.and p7, p0 = r0, r8
        ;;
(p7)    adds loc7 = 1, loc7
        cmp.ne p8, p0 = 0, loc6
(p8)    br.cond.sptk .Lsys_loop
        ;;
        br.sptk.many .Lreport
        ;;

// ---- pipe: loc5 one-byte round trips; the child answers byte + 1 ----
.Lw_pipe:
        CALL now_ns
        mov loc8 = r8
        ;;
        SYSCALL SYS_pipe                // loc9/loc10: parent -> child (read, write)
        cmp.ne p6, p0 = 0, r10
        mov loc9 = r8
        mov loc10 = r9
        movl out0 = .Lepipe
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        SYSCALL SYS_pipe                // loc11/loc12: child -> parent (read, write)
        cmp.ne p6, p0 = 0, r10
        mov loc11 = r8
        mov loc12 = r9
        movl out0 = .Lepipe
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        mov out0 = 17                   // fork = clone(SIGCHLD, 0, 0, 0, 0)
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        cmp.ne p6, p0 = 0, r10
        cmp.eq p7, p0 = 0, r8
        mov loc13 = r8
        movl out0 = .Lefork
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
(p7)    br.cond.dpnt .Lpipe_child
        ;;
        mov out0 = loc9
        SYSCALL SYS_close
        mov out0 = loc12
        SYSCALL SYS_close
        mov loc6 = 0
        movl loc14 = onebyte
        ;;
.Lpipe_loop:
        zxt1 r14 = loc6
        ;;
        st1 [loc14] = r14
        mov out0 = loc10
        mov out1 = loc14
        mov out2 = 1
        SYSCALL SYS_write
        mov out0 = loc11
        mov out1 = loc14
        mov out2 = 1
        SYSCALL SYS_read
        ld1 r14 = [loc14]
        adds r15 = 1, loc6
        cmp.eq p6, p0 = 1, r8
        ;;
        zxt1 r15 = r15
        adds loc6 = 1, loc6
        ;;
(p6)    cmp.eq.and p6, p0 = r14, r15
        cmp.lt p9, p0 = loc6, loc5
        ;;
(p6)    adds loc7 = 1, loc7
(p9)    br.cond.sptk .Lpipe_loop
        ;;
        mov out0 = loc10
        SYSCALL SYS_close
        mov out0 = loc13
        movl out1 = status
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        movl r14 = status
        ;;
        ld4 r14 = [r14]
        movl out0 = .Lechild
        ;;
        cmp4.ne p6, p0 = 0, r14
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        br.sptk.many .Lreport
        ;;
.Lpipe_child:
        mov out0 = loc10
        SYSCALL SYS_close
        mov out0 = loc11
        SYSCALL SYS_close
        movl loc14 = onebyte
        ;;
.Lpipe_child_loop:
        mov out0 = loc9
        mov out1 = loc14
        mov out2 = 1
        SYSCALL SYS_read
        cmp.ne p6, p0 = 1, r8
        ;;
(p6)    br.cond.dpnt .Lpipe_child_done
        ld1 r14 = [loc14]
        ;;
        adds r14 = 1, r14
        ;;
        st1 [loc14] = r14
        mov out0 = loc12
        mov out1 = loc14
        mov out2 = 1
        SYSCALL SYS_write
        br.sptk.many .Lpipe_child_loop
        ;;
.Lpipe_child_done:
        mov out0 = 0
        ;;
        CALL exit

// ---- forkexec: loc5 x (fork; child execve(argv[0], {argv[0], "exit"}); wait4) ----
// value = children that exited with EXIT_STATUS.
.Lw_forkexec:
        movl r14 = execargv
        ld8 r15 = [loc2]                // argv[0]
        movl r16 = .Lexit
        ;;
        st8 [r14] = r15, 8
        ;;
        st8 [r14] = r16, 8
        ;;
        st8 [r14] = r0
        CALL now_ns
        mov loc8 = r8
        mov loc6 = 0
        ;;
        FORK_AND_REAP .Lfe_loop, .Lfe_child
.Lfe_child:
        ld8 out0 = [loc2]
        movl out1 = execargv
        mov out2 = loc3
        SYSCALL SYS_execve
        mov out0 = 1                    // exec failed
        ;;
        CALL exit

// ---- file: loc5 x (open O_RDWR|O_CREAT|O_TRUNC; write 4 KiB; lseek 0; read 4 KiB; close) ----
// Word 0 of the written block is the iteration number; value = reads that gave it back whole.
.Lw_file:
        movl loc9 = wbuf
        movl loc10 = rbuf
        movl r20 = FILE_BYTES
        mov r14 = 0
        ;;
        mov r16 = loc9
.Lfile_fill:
        shl r17 = r14, 5
        ;;
        sub r17 = r17, r14              // 31 * k
        adds r14 = 1, r14
        ;;
        adds r17 = 7, r17
        cmp.ltu p6, p0 = r14, r20
        ;;
        st1 [r16] = r17, 1
(p6)    br.cond.sptk .Lfile_fill
        ;;
        CALL now_ns
        mov loc8 = r8
        mov loc6 = 0
        ;;
.Lfile_loop:
        movl out0 = .Lpath
        mov out1 = 0x242                // O_RDWR | O_CREAT | O_TRUNC
        mov out2 = 0600
        SYSCALL SYS_open
        cmp.ne p6, p0 = 0, r10
        mov loc11 = r8
        movl out0 = .Leopen
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        st8 [loc9] = loc6
        mov out0 = loc11
        mov out1 = loc9
        movl out2 = FILE_BYTES
        SYSCALL SYS_write
        movl r14 = FILE_BYTES
        ;;
        cmp.ne p6, p0 = r8, r14
        movl out0 = .Lewrite
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        mov out0 = loc11
        mov out1 = 0
        mov out2 = 0                    // SEEK_SET
        SYSCALL SYS_lseek
        mov out0 = loc11
        mov out1 = loc10
        movl out2 = FILE_BYTES
        SYSCALL SYS_read
        movl r14 = FILE_BYTES
        ld8 r15 = [loc10]
        ;;
        cmp.eq p6, p0 = r8, r14
        ;;
(p6)    cmp.eq.and p6, p0 = r15, loc6
        ;;
(p6)    adds loc7 = 1, loc7
        mov out0 = loc11
        SYSCALL SYS_close
        adds loc6 = 1, loc6
        ;;
        cmp.lt p9, p0 = loc6, loc5
(p9)    br.cond.sptk .Lfile_loop
        ;;
        movl out0 = .Lpath
        SYSCALL SYS_unlink
        br.sptk.many .Lreport
        ;;

// ---- mmap: loc5 x (mmap 64 KiB anonymous; write and read one byte; munmap) ----
.Lw_mmap:
        CALL now_ns
        mov loc8 = r8
        mov loc6 = 0
        ;;
.Lmmap_loop:
        mov out0 = 0
        movl out1 = MMAP_BYTES
        mov out2 = 3                    // PROT_READ | PROT_WRITE
        mov out3 = 0x22                 // MAP_PRIVATE | MAP_ANONYMOUS
        mov out4 = -1
        mov out5 = 0
        SYSCALL SYS_mmap
        cmp.ne p6, p0 = 0, r10
        mov loc9 = r8
        movl out0 = .Lemmap
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        or r14 = 1, loc6
        ;;
        zxt1 r14 = r14
        ;;
        st1 [loc9] = r14
        ;;
        ld1 r15 = [loc9]
        ;;
        cmp.eq p6, p0 = r14, r15
        ;;
(p6)    adds loc7 = 1, loc7
        mov out0 = loc9
        movl out1 = MMAP_BYTES
        SYSCALL SYS_munmap
        cmp.ne p6, p0 = 0, r10
        adds loc6 = 1, loc6
        movl out0 = .Lemmap
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        cmp.lt p9, p0 = loc6, loc5
(p9)    br.cond.sptk .Lmmap_loop
        ;;
        br.sptk.many .Lreport
        ;;

// ---- fault: loc5 x (mmap 1 MiB; write and read one byte per 4 KiB page; munmap) ----
// value = sum of the bytes read back (256 per iteration).
.Lw_fault:
        CALL now_ns
        mov loc8 = r8
        mov loc6 = 0
        ;;
.Lfault_loop:
        mov out0 = 0
        movl out1 = FAULT_BYTES
        mov out2 = 3
        mov out3 = 0x22
        mov out4 = -1
        mov out5 = 0
        SYSCALL SYS_mmap
        cmp.ne p6, p0 = 0, r10
        mov loc9 = r8
        movl out0 = .Lemmap
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        mov r14 = loc9                  // page pointer
        movl r16 = FAULT_BYTES
        mov r17 = 1
        ;;
        add r16 = r16, loc9             // end
        ;;
.Lfault_touch:
        st1 [r14] = r17
        ;;
        ld1 r15 = [r14]
        ;;
        add loc7 = loc7, r15
        adds r14 = 4096, r14
        ;;
        cmp.ltu p6, p0 = r14, r16
(p6)    br.cond.sptk .Lfault_touch
        ;;
        mov out0 = loc9
        movl out1 = FAULT_BYTES
        SYSCALL SYS_munmap
        adds loc6 = 1, loc6
        ;;
        cmp.lt p9, p0 = loc6, loc5
(p9)    br.cond.sptk .Lfault_loop
        ;;
        br.sptk.many .Lreport
        ;;

// ---- compute: loc5 passes of table CRC-32 (0xEDB88320, init and xorout 0xFFFFFFFF) ----
// over 4 KiB with byte k = (31k + 7) ^ (k >> 8); value = the CRC of all passes in a row.
.Lw_compute:
        movl r19 = crctab
        movl r20 = 0xEDB88320
        mov r14 = 0                     // n
        ;;
.Lcrc_table:
        mov r15 = r14                   // c
        mov r16 = 8
        ;;
.Lcrc_bit:
        tbit.nz p6, p0 = r15, 0
        shr.u r15 = r15, 1
        adds r16 = -1, r16
        ;;
(p6)    xor r15 = r15, r20
        cmp.ne p8, p0 = 0, r16
(p8)    br.cond.sptk .Lcrc_bit
        ;;
        st4 [r19] = r15, 4
        adds r14 = 1, r14
        mov r22 = 256
        ;;
        cmp.lt p9, p0 = r14, r22
(p9)    br.cond.sptk .Lcrc_table
        ;;
        movl r19 = crcbuf
        movl r20 = CRC_BYTES
        mov r14 = 0                     // k
        ;;
.Lcrc_fill:
        shl r17 = r14, 5
        shr.u r18 = r14, 8
        ;;
        sub r17 = r17, r14              // 31 * k
        ;;
        adds r17 = 7, r17
        ;;
        xor r17 = r17, r18
        adds r14 = 1, r14
        ;;
        st1 [r19] = r17, 1
        cmp.ltu p6, p0 = r14, r20
(p6)    br.cond.sptk .Lcrc_fill
        ;;
        CALL now_ns
        mov loc8 = r8
        mov loc6 = 0
        mov r14 = -1
        ;;
        zxt4 loc9 = r14                 // crc
        movl loc10 = crctab
        mov loc11 = ar.lc               // preserved register: restored below
        ;;
.Lcrc_pass:
        movl r14 = CRC_BYTES - 1
        movl r15 = crcbuf
        ;;
        mov ar.lc = r14
        ;;
.Lcrc_byte:
        ld1 r16 = [r15], 1
        ;;
        xor r17 = loc9, r16
        shr.u loc9 = loc9, 8
        ;;
        zxt1 r17 = r17
        ;;
        shladd r17 = r17, 2, loc10
        ;;
        ld4 r18 = [r17]
        ;;
        xor loc9 = loc9, r18
        br.cloop.sptk.few .Lcrc_byte
        ;;
        adds loc6 = 1, loc6
        ;;
        cmp.lt p9, p0 = loc6, loc5
(p9)    br.cond.sptk .Lcrc_pass
        ;;
        mov ar.lc = loc11
        mov r14 = -1
        ;;
        zxt4 r14 = r14
        ;;
        xor loc7 = r14, loc9
        br.sptk.many .Lreport
        ;;

// ---- stat: loc5 x stat(argv[0]); value = calls that succeeded ----
.Lw_stat:
        CALL now_ns
        mov loc8 = r8
        mov loc6 = loc5
        ;;
.Lst_loop:
        ld8 out0 = [loc2]
        movl out1 = statbuf
        ;;
        SYSCALL SYS_stat
        cmp.eq p7, p0 = 0, r10
        adds loc6 = -1, loc6
        ;;
(p7)    adds loc7 = 1, loc7
        cmp.ne p8, p0 = 0, loc6
(p8)    br.cond.sptk .Lst_loop
        ;;
        br.sptk.many .Lreport
        ;;

// ---- openclose: loc5 x (open argv[0] O_RDONLY; close); value = pairs that succeeded ----
.Lw_openclose:
        CALL now_ns
        mov loc8 = r8
        mov loc6 = loc5
        ;;
.Loc_loop:
        ld8 out0 = [loc2]
        mov out1 = 0                    // O_RDONLY
        mov out2 = 0
        ;;
        SYSCALL SYS_open
        cmp.ne p6, p0 = 0, r10
        mov out0 = r8
(p6)    br.cond.dpnt .Loc_next
        ;;
        SYSCALL SYS_close
        cmp.eq p7, p0 = 0, r10
        ;;
(p7)    adds loc7 = 1, loc7
        ;;
.Loc_next:
        adds loc6 = -1, loc6
        ;;
        cmp.ne p8, p0 = 0, loc6
(p8)    br.cond.sptk .Loc_loop
        ;;
        br.sptk.many .Lreport
        ;;

// ---- siginstall: loc5 x rt_sigaction(SIGUSR1); value = calls that succeeded ----
// The handler is never called: any code address stands for its function descriptor.
.Lw_siginstall:
        movl r14 = sigact
        movl r15 = .Lw_siginstall
        ;;
        st8 [r14] = r15                 // sa_handler; sa_flags and sa_mask stay 0
        CALL now_ns
        mov loc8 = r8
        mov loc6 = loc5
        ;;
.Lsi_loop:
        mov out0 = SIGUSR1
        movl out1 = sigact
        mov out2 = 0
        mov out3 = 8                    // sizeof(sigset_t)
        ;;
        SYSCALL SYS_rt_sigaction
        cmp.eq p7, p0 = 0, r10
        adds loc6 = -1, loc6
        ;;
(p7)    adds loc7 = 1, loc7
        cmp.ne p8, p0 = 0, loc6
(p8)    br.cond.sptk .Lsi_loop
        ;;
        br.sptk.many .Lreport
        ;;

// ---- fork: loc5 x (fork; the child exits with EXIT_STATUS; wait4) ----
// value = children that exited with EXIT_STATUS.
.Lw_fork:
        CALL now_ns
        mov loc8 = r8
        mov loc6 = 0
        ;;
        FORK_AND_REAP .Lfk_loop, .Lfk_child
.Lfk_child:
        mov out0 = EXIT_STATUS
        ;;
        CALL exit

// ---- create: loc5 x (open a new file O_WRONLY|O_CREAT|O_EXCL in /tmp; close; unlink) ----
// value = files created, closed and removed.
.Lw_create:
        CALL now_ns
        mov loc8 = r8
        mov loc6 = loc5
        ;;
.Lcr_loop:
        movl out0 = .Lcreatepath
        mov out1 = 0xc1                 // O_WRONLY | O_CREAT | O_EXCL
        mov out2 = 0x180                // 0600
        ;;
        SYSCALL SYS_open
        cmp.ne p6, p0 = 0, r10
        mov loc13 = r8
        movl out0 = .Lecreate
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        mov out0 = loc13
        ;;
        SYSCALL SYS_close
        mov loc14 = r10
        movl out0 = .Lcreatepath
        ;;
        SYSCALL SYS_unlink
        or loc14 = loc14, r10
        adds loc6 = -1, loc6
        ;;
        cmp.eq p7, p0 = 0, loc14
        cmp.ne p8, p0 = 0, loc6
        ;;
(p7)    adds loc7 = 1, loc7
(p8)    br.cond.sptk .Lcr_loop
        ;;
        br.sptk.many .Lreport
        ;;

// ---- "check NAME ITERS VALUE" and "loop_ns NS" ----
.Lreport:
        CALL now_ns
        sub loc9 = r8, loc8
        movl out0 = .Lcheck
        ;;
        CALL print_str
        mov out0 = loc4
        ;;
        CALL print_str
        movl out0 = .Lspace
        ;;
        CALL print_str
        mov out0 = loc5
        mov out1 = ' '
        ;;
        CALL print_u64c
        mov out0 = loc7
        ;;
        CALL print_u64
        movl out0 = .Lloopns
        mov out1 = loc9
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
