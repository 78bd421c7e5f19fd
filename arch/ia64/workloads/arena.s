// arena.s -- Tests/programs/arena-scribble.c on IA-64: a TT guest that treats umlab's kernel
// arena as the attacker it is allowed to be.  It forges the records' lengths, kinds and owners,
// fakes records, fills the arena with random bytes, and in between uses pipes, fork/exit
// (credential records), file I/O (the I/O bounce buffer) and credential calls.  TT may leak and
// may let the guest rewrite its own identity; it must never let the guest make umlab write
// outside the arena, or die.
//
// stdout is the C program's, natively (the oracle: HostileArena in
// Tests/UmlabTests/Differential.swift compares them), in skas and in tt: every scribble happens
// while the guest's pipes are empty and no data of its own is in a kernel buffer, and the guest
// rewrites its own credential record back to root after each one.  What was done to the arena
// goes to stderr ("arena: ..."), the lines of the C program, so the test can check that the
// attack ran, plus whether the arena is where KernelArena.swift publishes it on IA-64.
//
// The arena is found in /proc/self/maps ("[umlab-kernel]"): in skas it is not mapped, and every
// scribble is skipped, as in the C program.  Layout (KernelArena.swift): a header, records from
// 0x1000, each 16 bytes (u32 magic "UMKR", u16 kind, u16 in-use, i32 owner, u32 payload length)
// and the payload, 16-byte aligned, little-endian (IA-64 Linux is little-endian: plain ld4/st4).
// The random pieces are placed without a division (x = lcg >> 7, folded into the range), so
// they land elsewhere than the C program's; the forged values come from the same LCG.
        .include "lib.inc"

        .set SYS_getuid,       1046
        .set SYS_geteuid,      1047
        .set SYS_getgid,       1062
        .set SYS_setresuid,    1074
        .set SYS_setresgid,    1076
        .set SYS_setrlimit,    1084
        .set SYS_getrlimit,    1085
        .set SYS_pread64,      1148
        .set SYS_munmap,       1152
        .set SYS_madvise,      1209
        .set SYS_pipe2,        1317

        .set ARENA_SIZE,       32 << 20
        .set RECORD_AREA,      0x1000
        .set RECORD_MAGIC,     0x524b4d55
        .set PIPE_RECORD,      16 + 65536       // a pipe ring's record, header included
        .set KIND_CREDENTIALS, 1
        .set KIND_PIPE,        2
        .set MAX_HEADERS,      8192
        .set MAX_FILLERS,      4096
        .set MAX_WAITERS,      64
        .set MAPS_MAX,         65536
        .set ROUNDS,           8
        .set FILE_MAX,         300000
        .set FNV_BASIS,        2166136261
        .set PUBLISHED,        0x7ffffffffe000000   // Backend.kernelRegionBase on IA-64
        .set SIGCHLD,          17
        .set EINTR,            4
        .set O_CLOEXEC,        0x80000
        .set RLIMIT_NOFILE,    7
        .set MADV_DONTNEED,    4
        .set MADV_REMOVE,      9

// FAILIF "what": after a SYSCALL, fail("what") when it returned an error.
        .macro FAILIF what
        .pushsection .rodata
.Lfail\@: .asciz "\what"
        .popsection
        cmp.ne p6, p0 = 0, r10
        movl out0 = .Lfail\@
        ;;
(p6)    br.call.spnt.many b0 = fail
        ;;
        .endm

// CHECK rel, a, b, "what": fail("what") unless cmp.rel a, b holds.
        .macro CHECK rel, a, b, what
        .pushsection .rodata
.Lcheck\@: .asciz "\what"
        .popsection
        cmp.\rel p6, p7 = \a, \b
        movl out0 = .Lcheck\@
        ;;
(p7)    br.call.spnt.many b0 = fail
        ;;
        .endm

// EPRINT "text": the text on stderr (needs one output register).
        .macro EPRINT text
        .pushsection .rodata
.Leprint\@: .asciz "\text"
        .popsection
        movl out0 = .Leprint\@
        ;;
        CALL eprint
        .endm

// ENUM reg: the register's value in decimal on stderr (needs three output registers).
        .macro ENUM reg
        mov out0 = 2
        mov out1 = \reg
        mov out2 = 0
        ;;
        CALL print_fd_u64c
        .endm

        .section .rodata
mapspath:  .asciz "/proc/self/maps"
needle:    .asciz "[umlab-kernel]"
        .set NEEDLE_LEN, 14
fpath:     .asciz "/tmp/ia64-arena.dat"
hexdigits: .ascii "0123456789abcdef"
.Lx:       .asciz "x"
.Lyes:     .asciz "yes\n"
.Lno:      .asciz "no\n"
.Lpipes:   .asciz "pipes and files: "
.Lsum:     .asciz "children's statuses: "
.Lcreds:   .asciz "credential calls: "
.Ldone:    .asciz "arena-scribble: done\n"
        .align 4
// The lengths a forged header gets (case 0 of scribble).
lengths:   data4 0xfffffff0, 0x7fffffff, ARENA_SIZE, 65536, 0, 1 << 20, 48, 0xffffffff

        .bss
        .align 16
arena:    .skip 8                       // the arena's address; 0 when it is not ours to see
own:      .skip 8                       // this process's credential record (offset), 0: none
seed:     .skip 8                       // the LCG's state (u32)
// scan_arena's answer: end of the records (offset), headers found, free pipe records, free
// credential records, this process's credential record (offset, 0: none).
scan:     .skip 40
        .set SCAN_END, 0
        .set SCAN_COUNT, 8
        .set SCAN_FREE_PIPES, 16
        .set SCAN_FREE_CREDS, 24
        .set SCAN_OWN, 32
rlim:     .skip 16
status:   .skip 8
fds:      .skip 8
onebyte:  .skip 8
headers:  .skip 4 * MAX_HEADERS         // offsets of every 16-byte slot holding a record magic
waiters:  .skip 8 * MAX_WAITERS
fillers:  .skip 8 * MAX_FILLERS
mapsbuf:  .skip MAPS_MAX
outb:     .skip 65536
inb:      .skip 65536
fbuf:     .skip FILE_MAX
fback:    .skip FILE_MAX

        .text
        .global _start
        .proc _start
_start:
        // loc1 hash, loc2 children's statuses, loc3 credential calls ok, loc4 round,
        // loc5 the arena's address (0: not mapped), loc6 scratch
        alloc loc0 = ar.pfs, 0, 8, 4, 0
        movl r14 = seed
        mov r15 = 12345
        ;;
        st8 [r14] = r15
        CALL find_arena
        CALL raise_nofile
        movl r14 = arena
        ;;
        ld8 loc5 = [r14]
        ;;
        cmp.eq p6, p0 = 0, loc5
(p6)    br.cond.dpnt .Lrounds
        ;;
        CALL scan_arena
        movl r14 = scan + SCAN_OWN
        movl r15 = own
        ;;
        ld8 r16 = [r14]
        ;;
        st8 [r15] = r16
        cmp.ne p6, p7 = 0, r16
        movl out0 = .Lfound
        ;;
(p6)    mov out1 = 1
(p7)    mov out1 = 0
        ;;
        CALL eyesno
        movl r14 = PUBLISHED
        movl out0 = .Lpublished
        ;;
        cmp.eq p6, p7 = r14, loc5
        ;;
(p6)    mov out1 = 1
(p7)    mov out1 = 0
        ;;
        CALL eyesno
        CALL tail_attack
.Lrounds:
        movl loc1 = FNV_BASIS
        mov loc2 = 0
        mov loc3 = 1
        mov loc4 = 0
        ;;
.Lround:
        cmp.eq p6, p0 = 0, loc5
        mov out0 = loc4
(p6)    br.cond.dpnt .Lwork
        ;;
        CALL scribble
        mov loc6 = r8
        EPRINT "arena: round "
        ENUM loc4
        EPRINT " forged "
        ENUM loc6
        EPRINT " headers\n"
        mov out0 = loc4
        ;;
.Lwork:
        CALL work
        xor loc1 = loc1, r8
        add loc2 = loc2, r9
        ;;
        CALL credentials_round
        and loc3 = loc3, r8
        adds loc4 = 1, loc4
        ;;
        cmp.gt p6, p0 = ROUNDS, loc4
(p6)    br.cond.sptk .Lround
        ;;
        cmp.eq p6, p0 = 0, loc5
(p6)    br.cond.dpnt .Llast
        ;;
        // The arena is a shared mapping: DONTNEED drops the view, the kernel's data stays. It is
        // not a file the guest may punch holes in, nor the guest's to unmap.
        mov out0 = loc5
        movl out1 = ARENA_SIZE
        mov out2 = MADV_DONTNEED
        SYSCALL SYS_madvise
        mov out1 = r8
        mov out2 = r10
        movl out0 = .Ldontneed
        ;;
        CALL eresult
        ld2 r14 = [loc5]                // "UM", little-endian
        movl out0 = .Lkept
        ;;
        movl r15 = 0x4d55
        ;;
        cmp.eq p6, p7 = r14, r15
        ;;
(p6)    mov out1 = 1
(p7)    mov out1 = 0
        ;;
        CALL eyesno
        mov out0 = loc5
        mov out1 = 4096
        mov out2 = MADV_REMOVE
        SYSCALL SYS_madvise
        mov out1 = r8
        mov out2 = r10
        movl out0 = .Lremove
        ;;
        CALL eresult
        mov out0 = loc5
        mov out1 = 4096
        SYSCALL SYS_munmap
        mov out1 = r8
        mov out2 = r10
        movl out0 = .Lmunmap
        ;;
        CALL eresult
        EPRINT "\n"
        CALL become_root
.Llast:
        // One more round after all of it: everything still works.
        mov out0 = ROUNDS
        ;;
        CALL work
        xor loc1 = loc1, r8
        add loc2 = loc2, r9
        movl out0 = .Lpipes
        ;;
        CALL print_str
        mov out0 = loc1
        ;;
        CALL print_hex8
        movl out0 = .Lsum
        ;;
        CALL print_str
        mov out0 = loc2
        ;;
        CALL print_u64
        movl out0 = .Lcreds
        ;;
        CALL print_str
        cmp.ne p6, p7 = 0, loc3
        ;;
(p6)    movl out0 = .Lyes
(p7)    movl out0 = .Lno
        ;;
        CALL print_str
        movl out0 = .Ldone
        ;;
        CALL print_str
        mov out0 = 0
        ;;
        CALL exit
        .endp _start

        .section .rodata
.Lfound:     .asciz "arena: found, own credential record "
.Lpublished: .asciz "arena: at the published address 0x7ffffffffe000000: "
.Ldontneed:  .asciz "arena: DONTNEED "
.Lkept:      .asciz ", header kept "
.Lremove:    .asciz "arena: REMOVE "
.Lmunmap:    .asciz ", munmap "
        .text

// ---- small routines ---------------------------------------------------------------------

// eprint(cstr): cstr on stderr.
        .proc eprint
eprint:
        alloc loc0 = ar.pfs, 1, 2, 2, 0
        mov loc1 = b0
        mov out0 = 2
        mov out1 = in0
        ;;
        CALL print_fd_str
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp eprint

// eyesno(cstr, flag): cstr and "yes\n" or "no\n" on stderr.
        .proc eyesno
eyesno:
        alloc loc0 = ar.pfs, 2, 2, 1, 0
        mov loc1 = b0
        mov out0 = in0
        ;;
        CALL eprint
        cmp.ne p6, p7 = 0, in1
        ;;
(p6)    movl out0 = .Lyes
(p7)    movl out0 = .Lno
        ;;
        CALL eprint
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp eyesno

// eresult(cstr, r8, r10): cstr and a system call's result as C sees it on stderr: the value,
// or "-1 errno N".
        .proc eresult
eresult:
        alloc loc0 = ar.pfs, 3, 2, 3, 0
        mov loc1 = b0
        mov out0 = in0
        ;;
        CALL eprint
        cmp.eq p6, p0 = 0, in2
(p6)    br.cond.sptk .Ler_value
        ;;
        EPRINT "-1 errno "
.Ler_value:
        ENUM in1
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp eresult

// print_hex8(v): the low 32 bits of v as 8 lowercase hex digits and '\n' on stdout.
        .proc print_hex8
print_hex8:
        alloc loc0 = ar.pfs, 1, 3, 3, 0
        mov loc1 = b0
        adds sp = -32, sp
        ;;
        adds loc2 = 16, sp              // the buffer
        mov r16 = 28                    // the shift of the next digit
        movl r20 = hexdigits
        mov r21 = 8
        ;;
        mov r17 = loc2
        ;;
.Lhx:
        shr.u r18 = in0, r16
        adds r16 = -4, r16
        adds r21 = -1, r21
        ;;
        and r18 = 15, r18
        ;;
        add r19 = r20, r18
        ;;
        ld1 r19 = [r19]
        ;;
        st1 [r17] = r19, 1
        cmp.ne p6, p0 = 0, r21
(p6)    br.cond.sptk .Lhx
        ;;
        mov r19 = 10
        ;;
        st1 [r17] = r19
        mov out0 = 1
        mov out1 = loc2
        mov out2 = 9
        SYSCALL SYS_write
        adds sp = 32, sp
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp print_hex8

// lcg() -> r8: the next number of testutil.h's t_lcg (seed = seed * 1664525 + 1013904223,
// 32-bit). A leaf without a frame: scratch registers r14-r17, f6-f8.
        .proc lcg
lcg:
        movl r14 = seed
        movl r15 = 1664525
        movl r16 = 1013904223
        ;;
        ld4 r17 = [r14]
        setf.sig f6 = r15
        setf.sig f8 = r16
        ;;
        setf.sig f7 = r17
        ;;
        xma.l f7 = f7, f6, f8
        ;;
        getf.sig r17 = f7
        ;;
        zxt4 r8 = r17
        ;;
        st4 [r14] = r8
        br.ret.sptk.many b0
        .endp lcg

// mul(a, b) -> r8 = a * b (low 64 bits).
        .proc mul
mul:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        setf.sig f6 = in0
        setf.sig f7 = in1
        ;;
        xma.l f6 = f6, f7, f0
        ;;
        getf.sig r8 = f6
        br.ret.sptk.many b0
        .endp mul

// fnv(p, n, h) -> r8: FNV-1a of n bytes on h (32-bit): h = (h ^ byte) * 16777619, the
// multiplication as h << 24 + 403h (403h = shladd(shladd(3h, 3, h), 4, 3h)); only the low 32
// bits are kept at the end (the high ones never reach them).
        .proc fnv
fnv:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        ;;
        mov r8 = in2
        mov r14 = in0
        add r15 = in0, in1
        cmp.eq p6, p0 = 0, in1
(p6)    br.ret.dpnt.many b0
        ;;
.Lfnv:
        ld1 r16 = [r14], 1
        ;;
        xor r8 = r8, r16
        ;;
        shladd r17 = r8, 1, r8          // 3h
        shl r18 = r8, 24
        ;;
        shladd r19 = r17, 3, r8         // 25h
        cmp.ltu p6, p0 = r14, r15
        ;;
        shladd r19 = r19, 4, r17        // 403h
        ;;
        add r8 = r19, r18
(p6)    br.cond.sptk .Lfnv
        ;;
        zxt4 r8 = r8
        br.ret.sptk.many b0
        .endp fnv

// memeq(a, b, n) -> r8 = 1 when the n bytes at a and b (8-byte aligned) are equal, else 0.
        .proc memeq
memeq:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        mov r14 = in0
        mov r15 = in1
        shr.u r16 = in2, 3
        and r17 = 7, in2
        mov r8 = 1
        ;;
.Lme_words:
        cmp.eq p6, p0 = 0, r16
(p6)    br.cond.dpnt .Lme_bytes
        ld8 r18 = [r14], 8
        ld8 r19 = [r15], 8
        adds r16 = -1, r16
        ;;
        cmp.ne p7, p0 = r18, r19
(p7)    br.cond.dpnt .Lme_differ
        br.cond.sptk .Lme_words
        ;;
.Lme_bytes:
        cmp.eq p6, p0 = 0, r17
(p6)    br.ret.sptk.many b0
        ld1 r18 = [r14], 1
        ld1 r19 = [r15], 1
        adds r17 = -1, r17
        ;;
        cmp.ne p7, p0 = r18, r19
(p7)    br.cond.dpnt .Lme_differ
        br.cond.sptk .Lme_bytes
        ;;
.Lme_differ:
        mov r8 = 0
        br.ret.sptk.many b0
        .endp memeq

// search(buf, len, needle, nlen) -> r8: the offset of the first needle in buf, or -1.
        .proc search
search:
        alloc r2 = ar.pfs, 4, 0, 0, 0
        mov r8 = 0
        sub r14 = in1, in3              // the last offset it may start at
        ;;
.Lse_at:
        cmp.lt p6, p0 = r14, r8
(p6)    br.cond.dpnt .Lse_none
        add r15 = in0, r8
        mov r16 = in2
        mov r17 = in3
        ;;
.Lse_cmp:
        cmp.eq p7, p0 = 0, r17
(p7)    br.ret.dpnt.many b0
        ld1 r18 = [r15], 1
        ld1 r19 = [r16], 1
        adds r17 = -1, r17
        ;;
        cmp.eq p8, p0 = r18, r19
(p8)    br.cond.sptk .Lse_cmp
        adds r8 = 1, r8
        br.cond.sptk .Lse_at
        ;;
.Lse_none:
        mov r8 = -1
        br.ret.sptk.many b0
        .endp search

// fork() -> r8: the child's pid, or 0 in the child (fails the program when fork fails).
        .proc fork
fork:
        alloc loc0 = ar.pfs, 0, 2, 5, 0
        mov loc1 = b0
        mov out0 = SIGCHLD
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        FAILIF "fork"
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp fork

// waitpid(pid) -> r8: the child's wait status (wait4 again after EINTR; fails otherwise).
        .proc waitpid
waitpid:
        alloc loc0 = ar.pfs, 1, 2, 4, 0
        mov loc1 = b0
        ;;
.Lwp:
        mov out0 = in0
        movl out1 = status
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        cmp.ne p6, p8 = 0, r10
        ;;
(p6)    cmp.eq.unc p7, p0 = EINTR, r8
(p8)    cmp.ne.unc p9, p0 = r8, in0
        ;;
(p7)    br.cond.dpnt .Lwp
        ;;
        movl out0 = .Lewait
        ;;
(p6)    br.call.spnt.many b0 = fail
(p9)    br.call.spnt.many b0 = fail
        ;;
        movl r14 = status
        ;;
        ld4 r8 = [r14]
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp waitpid
        .section .rodata
.Lewait: .asciz "waitpid"
        .text

// write_full(fd, buf, n) -> r8: n, or -1 on an error (short writes and EINTR go on).
        .proc write_full
write_full:
        alloc loc0 = ar.pfs, 3, 3, 3, 0
        mov loc1 = b0
        mov loc2 = 0                    // bytes written
        ;;
.Lwf:
        cmp.geu p6, p0 = loc2, in2
(p6)    br.cond.dpnt .Lwf_done
        ;;
        mov out0 = in0
        add out1 = in1, loc2
        sub out2 = in2, loc2
        SYSCALL SYS_write
        cmp.ne p6, p7 = 0, r10
        ;;
(p6)    cmp.eq.unc p8, p9 = EINTR, r8
(p7)    add loc2 = loc2, r8
        ;;
(p8)    br.cond.dpnt .Lwf
(p9)    mov loc2 = -1
(p9)    br.cond.dpnt .Lwf_done
        br.cond.sptk .Lwf
        ;;
.Lwf_done:
        mov r8 = loc2
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp write_full

// read_full(fd, buf, n) -> r8: the bytes read until n or end of file, or -1 on an error.
        .proc read_full
read_full:
        alloc loc0 = ar.pfs, 3, 3, 3, 0
        mov loc1 = b0
        mov loc2 = 0                    // bytes read
        ;;
.Lrf:
        cmp.geu p6, p0 = loc2, in2
(p6)    br.cond.dpnt .Lrf_done
        ;;
        mov out0 = in0
        add out1 = in1, loc2
        sub out2 = in2, loc2
        SYSCALL SYS_read
        cmp.ne p6, p7 = 0, r10
        ;;
(p6)    cmp.eq.unc p8, p9 = EINTR, r8
(p7)    cmp.eq.unc p10, p0 = 0, r8      // end of file
(p7)    add loc2 = loc2, r8
        ;;
(p8)    br.cond.dpnt .Lrf
(p10)   br.cond.dpnt .Lrf_done
(p9)    mov loc2 = -1
(p9)    br.cond.dpnt .Lrf_done
        br.cond.sptk .Lrf
        ;;
.Lrf_done:
        mov r8 = loc2
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp read_full

// close(fd), its result ignored.
        .proc close
close:
        alloc loc0 = ar.pfs, 1, 1, 1, 0
        mov out0 = in0
        SYSCALL SYS_close
        mov ar.pfs = loc0
        ;;
        br.ret.sptk.many b0
        .endp close

// raise_nofile(): RLIMIT_NOFILE's soft limit up to its hard one (the tail attack holds a
// descriptor for every pipe record that fits in the arena).
        .proc raise_nofile
raise_nofile:
        alloc loc0 = ar.pfs, 0, 2, 2, 0
        mov loc1 = b0
        mov out0 = RLIMIT_NOFILE
        movl out1 = rlim
        SYSCALL SYS_getrlimit
        cmp.ne p6, p0 = 0, r10
(p6)    br.cond.dpnt .Lrn_done
        movl r14 = rlim
        ;;
        adds r15 = 8, r14
        ;;
        ld8 r16 = [r15]
        ;;
        st8 [r14] = r16
        mov out0 = RLIMIT_NOFILE
        movl out1 = rlim
        SYSCALL SYS_setrlimit
.Lrn_done:
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp raise_nofile

// ---- the arena ---------------------------------------------------------------------------

// find_arena(): arena = the start of the "[umlab-kernel]" line of /proc/self/maps, if any.
        .proc find_arena
find_arena:
        alloc loc0 = ar.pfs, 0, 5, 4, 0
        mov loc1 = b0
        movl out0 = mapspath
        mov out1 = 0                    // O_RDONLY
        mov out2 = 0
        SYSCALL SYS_open
        cmp.ne p6, p0 = 0, r10
        mov loc2 = r8                   // the descriptor
        mov loc3 = 0                    // bytes read
        movl loc4 = mapsbuf
(p6)    br.cond.dpnt .Lfa_done
        ;;
.Lfa_read:
        mov out0 = loc2
        add out1 = loc4, loc3
        movl out2 = MAPS_MAX
        ;;
        sub out2 = out2, loc3
        SYSCALL SYS_read
        cmp.ne p6, p0 = 0, r10
        cmp.eq p7, p0 = 0, r8
        ;;
(p6)    br.cond.dpnt .Lfa_close
(p7)    br.cond.dpnt .Lfa_close
        add loc3 = loc3, r8
        movl r14 = MAPS_MAX
        ;;
        cmp.ltu p8, p0 = loc3, r14
(p8)    br.cond.sptk .Lfa_read
        ;;
.Lfa_close:
        mov out0 = loc2
        ;;
        CALL close
        mov out0 = loc4
        mov out1 = loc3
        movl out2 = needle
        mov out3 = NEEDLE_LEN
        ;;
        CALL search
        cmp.lt p6, p0 = r8, r0
(p6)    br.cond.dpnt .Lfa_done
        add r14 = loc4, r8              // the match; back to the start of its line
        ;;
.Lfa_back:
        cmp.eq p6, p0 = r14, loc4
(p6)    br.cond.dpnt .Lfa_hex
        adds r15 = -1, r14
        ;;
        ld1 r16 = [r15]
        ;;
        cmp.eq p7, p0 = 10, r16
(p7)    br.cond.dpnt .Lfa_hex
        mov r14 = r15
        br.cond.sptk .Lfa_back
        ;;
.Lfa_hex:                               // the start address: hex digits up to the '-'
        mov r17 = 0
        ;;
.Lfa_digit:
        ld1 r16 = [r14], 1
        ;;
        adds r18 = -48, r16             // '0'
        adds r19 = -97, r16             // 'a'
        ;;
        cmp.geu p6, p0 = 9, r18
        cmp.geu p8, p0 = 5, r19
        ;;
(p8)    adds r18 = 10, r19
(p8)    cmp.eq p6, p0 = r0, r0
        shl r20 = r17, 4
        ;;
        or r20 = r20, r18
        ;;
(p6)    mov r17 = r20
(p6)    br.cond.sptk .Lfa_digit
        ;;
        movl r14 = arena
        ;;
        st8 [r14] = r17
.Lfa_done:
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp find_arena

// scan_arena(): every 16-byte slot holding a record magic, as the kernel last wrote it
// (forged or not), into headers[] (the first MAX_HEADERS) and the answer into scan.
        .proc scan_arena
scan_arena:
        // loc2 pid, loc3 the arena, loc4 end, loc5 count, loc6 free pipe records,
        // loc7 free credential records, loc8 own record, loc9 headers, loc10 offset
        alloc loc0 = ar.pfs, 0, 11, 1, 0
        mov loc1 = b0
        SYSCALL SYS_getpid
        mov loc2 = r8
        movl r14 = arena
        ;;
        ld8 loc3 = [r14]
        mov loc4 = RECORD_AREA
        mov loc5 = 0
        mov loc6 = 0
        mov loc7 = 0
        mov loc8 = 0
        movl loc9 = headers
        mov loc10 = RECORD_AREA
        movl r31 = RECORD_MAGIC
        movl r30 = ARENA_SIZE
        movl r29 = MAX_HEADERS
        ;;
        add r20 = loc3, loc10
        ;;
.Lsc_slot:
        ld4 r21 = [r20]
        ;;
        cmp4.ne p6, p0 = r21, r31
(p6)    br.cond.sptk .Lsc_next
        ;;
        cmp.ltu p7, p0 = loc5, r29      // room in headers[]
        adds r22 = 4, r20
        adds r23 = 8, r20
        adds r24 = 12, r20
        ;;
(p7)    shladd r25 = loc5, 2, loc9
(p7)    adds loc5 = 1, loc5
        ld4 r22 = [r22]                 // kind | in-use << 16
        ld4 r23 = [r23]                 // owner
        ld4 r24 = [r24]                 // payload length
        ;;
(p7)    st4 [r25] = loc10
        extr.u r26 = r22, 0, 16         // kind
        extr.u r27 = r22, 16, 16        // in-use
        sxt4 r23 = r23
        cmp.ltu p8, p0 = r30, r24       // a length forged earlier: nothing more from it
        add r28 = loc10, r24
(p8)    br.cond.dpnt .Lsc_next
        ;;
        adds r28 = 16 + 15, r28
        cmp.eq p11, p12 = 0, r27        // free, in use
        ;;
        and r28 = -16, r28              // the record's end, 16-byte aligned
(p11)   cmp.eq.unc p9, p0 = KIND_PIPE, r26
(p11)   cmp.eq.unc p10, p0 = KIND_CREDENTIALS, r26
(p12)   cmp.eq.unc p13, p0 = KIND_CREDENTIALS, r26
        ;;
        cmp.ltu p14, p0 = loc4, r28
(p9)    adds loc6 = 1, loc6
(p10)   adds loc7 = 1, loc7
(p13)   cmp.eq.unc p15, p0 = r23, loc2
        ;;
(p14)   mov loc4 = r28
(p15)   mov loc8 = loc10
        ;;
.Lsc_next:
        adds r20 = 16, r20
        adds loc10 = 16, loc10
        ;;
        cmp.ltu p6, p0 = loc10, r30
(p6)    br.cond.sptk .Lsc_slot
        ;;
        movl r14 = scan
        ;;
        st8 [r14] = loc4, 8
        ;;
        st8 [r14] = loc5, 8
        ;;
        st8 [r14] = loc6, 8
        ;;
        st8 [r14] = loc7, 8
        ;;
        st8 [r14] = loc8
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp scan_arena

// become_root(): zeroes this process's credential words (TT's become-root), so the workload's
// permission checks come out as natively, where the program runs as root.
        .proc become_root
become_root:
        movl r14 = own
        movl r15 = arena
        ;;
        ld8 r16 = [r14]
        ld8 r17 = [r15]
        ;;
        cmp.eq p6, p0 = 0, r16
        cmp.eq p7, p0 = 0, r17
        add r18 = r16, r17
        ;;
(p6)    br.ret.dpnt.many b0
(p7)    br.ret.dpnt.many b0
        adds r18 = 16, r18              // the payload: uid, euid, suid, fsuid, gid, ... (8 u32)
        ;;
        st8 [r18] = r0, 8
        ;;
        st8 [r18] = r0, 8
        ;;
        st8 [r18] = r0, 8
        ;;
        st8 [r18] = r0
        br.ret.sptk.many b0
        .endp become_root

// scribble(how) -> r8: one round of scribbling, the attack picked by how % 4; returns the
// number of headers touched.
        .proc scribble
scribble:
        // loc2 the arena, loc3 end of the records, loc4 headers found, loc5 how % 4,
        // loc6 headers[], loc7 counter, loc8 the address written, loc9 counter
        alloc loc0 = ar.pfs, 1, 10, 1, 0
        mov loc1 = b0
        ;;
        CALL scan_arena
        movl r14 = arena
        movl r15 = scan
        ;;
        ld8 loc2 = [r14]
        ld8 loc3 = [r15], 8             // SCAN_END
        ;;
        ld8 loc4 = [r15]                // SCAN_COUNT
        and loc5 = 3, in0
        movl loc6 = headers
        mov loc7 = 0
        ;;
        ;;
.Lsb_header:                            // the headers kept (at most MAX_HEADERS)
        cmp.geu p6, p0 = loc7, loc4
(p6)    br.cond.dpnt .Lsb_arena_header
        shladd r14 = loc7, 2, loc6
        ;;
        ld4 r14 = [r14]
        ;;
        add loc8 = loc2, r14
        cmp.eq p7, p0 = 0, loc5
        cmp.eq p8, p0 = 1, loc5
        cmp.eq p9, p0 = 2, loc5
        ;;
(p7)    br.cond.dptk .Lsb_length
(p8)    br.cond.dptk .Lsb_kind
(p9)    br.cond.dptk .Lsb_magic
        ;;
        // case 3: sixteen random bytes
        CALL lcg
        ;;
        st4 [loc8] = r8
        adds loc9 = 4, loc8
        CALL lcg
        ;;
        st4 [loc9] = r8
        adds loc9 = 8, loc8
        CALL lcg
        ;;
        st4 [loc9] = r8
        adds loc9 = 12, loc8
        CALL lcg
        ;;
        st4 [loc9] = r8
        br.cond.sptk .Lsb_next
        ;;
.Lsb_length:                            // case 0: a forged length
        CALL lcg
        and r14 = 7, r8
        movl r15 = lengths
        ;;
        shladd r14 = r14, 2, r15
        adds r16 = 12, loc8
        ;;
        ld4 r14 = [r14]
        ;;
        st4 [r16] = r14
        br.cond.sptk .Lsb_next
        ;;
.Lsb_kind:                              // case 1: kind, in-use and owner
        adds loc9 = 4, loc8
        CALL lcg
        ;;
        st4 [loc9] = r8
        adds loc9 = 8, loc8
        CALL lcg
        ;;
        st4 [loc9] = r8
        br.cond.sptk .Lsb_next
        ;;
.Lsb_magic:                             // case 2: magic and length gone
        CALL lcg
        ;;
        st4 [loc8] = r8
        adds loc9 = 12, loc8
        CALL lcg
        ;;
        st4 [loc9] = r8
        ;;
.Lsb_next:
        adds loc7 = 1, loc7
        br.cond.sptk .Lsb_header
        ;;
.Lsb_arena_header:                      // the arena's own header: size and record-area offset
        adds loc9 = 12, loc2
        CALL lcg
        ;;
        st4 [loc9] = r8
        adds loc9 = 16, loc2
        CALL lcg
        ;;
        st4 [loc9] = r8
        // Fake records with huge lengths in free space, every 256 KiB from the end of the
        // records, and one at the very end.
        mov loc7 = loc3
        movl r20 = RECORD_MAGIC
        movl r21 = KIND_PIPE | 1 << 16
        movl r22 = 0xfffffff0
        movl r23 = ARENA_SIZE - 32
        movl r24 = 0x40000
        ;;
.Lsb_fake:
        cmp.ltu p6, p0 = r23, loc7
(p6)    br.cond.dpnt .Lsb_tail
        add r14 = loc2, loc7
        ;;
        adds r15 = 4, r14
        adds r16 = 12, r14
        st4 [r14] = r20
        ;;
        st4 [r15] = r21
        st4 [r16] = r22
        add loc7 = loc7, r24
        br.cond.sptk .Lsb_fake
        ;;
.Lsb_tail:
        movl r14 = ARENA_SIZE - 16
        movl r15 = ARENA_SIZE - 4
        movl r16 = RECORD_MAGIC
        mov r17 = -1
        ;;
        add r14 = loc2, r14
        add r15 = loc2, r15
        ;;
        st4 [r14] = r16
        st4 [r15] = r17
        mov loc7 = 64
        ;;
.Lsb_piece:                             // random bytes in 64 random 4 KiB pieces
        CALL lcg
        movl r14 = ARENA_SIZE - RECORD_AREA - 4096
        shr.u r15 = r8, 7               // 25 bits
        ;;
        cmp.geu p6, p0 = r15, r14
        ;;
(p6)    sub r15 = r15, r14              // folded into [0, range)
        movl r16 = RECORD_AREA
        ;;
        and r15 = -4, r15
        ;;
        add r15 = r15, r16
        ;;
        add loc8 = loc2, r15
        mov loc9 = 1024
        ;;
.Lsb_word:
        CALL lcg
        adds loc9 = -1, loc9
        ;;
        st4 [loc8] = r8, 4
        cmp.ne p6, p0 = 0, loc9
(p6)    br.cond.sptk .Lsb_word
        ;;
        adds loc7 = -1, loc7
        ;;
        cmp.ne p6, p0 = 0, loc7
(p6)    br.cond.sptk .Lsb_piece
        ;;
        CALL become_root
        mov r8 = loc4
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp scribble

// victim(): the tail attack's child. Its credential record, placed at the arena's end, gets a
// pipe ring's length ("I am a pipe ring"); exits 0 when the record was there to forge.
        .proc victim
victim:
        alloc loc0 = ar.pfs, 0, 2, 1, 0
        ;;
        CALL scan_arena
        movl r14 = scan + SCAN_OWN
        movl r15 = arena
        ;;
        ld8 loc1 = [r14]
        ld8 r16 = [r15]
        movl r17 = 65536
        ;;
        cmp.eq p6, p7 = 0, loc1
        add r18 = r16, loc1
        movl r19 = PIPE_RECORD
        movl r20 = ARENA_SIZE
        ;;
        adds r18 = 12, r18
        add r19 = r19, loc1
        ;;
(p7)    st4 [r18] = r17
        cmp.gtu p8, p0 = r19, r20       // own + PIPE_RECORD > ARENA_SIZE
        mov out0 = 1
        ;;
(p8)    mov out0 = 0
        ;;
(p6)    mov out0 = 1
        ;;
        CALL exit
        .endp victim

// tail_attack(): the issue's attack. A credential record at the arena's very end, freed with a
// forged pipe length: a kernel that believed the header would put the next pipe's 64 KiB ring
// there, past the arena's end.
        .proc tail_attack
tail_attack:
        // loc2/loc3 the gate pipe (read, write), loc4 waiters, loc5 counter / the victim,
        // loc6 waiters[], loc7 filler pipes wanted, loc8 made, loc9 fillers[], loc10 bytes left
        // at the end / a pipe's read end, loc11 placed / a pipe's write end
        alloc loc0 = ar.pfs, 0, 12, 3, 0
        mov loc1 = b0
        ;;
        CALL scan_arena
        SYSCALL SYS_pipe
        mov loc2 = r8
        mov loc3 = r9
        FAILIF "pipe"
        // Use up every freed record, so that new ones come from the end of the arena: freed
        // credential records by processes that wait, freed pipe records by pipes kept open.
        movl r14 = scan + SCAN_FREE_CREDS
        ;;
        ld8 loc4 = [r14]
        ;;
        cmp.ltu p6, p0 = MAX_WAITERS, loc4
        ;;
(p6)    mov loc4 = MAX_WAITERS
        mov loc5 = 0
        movl loc6 = waiters
        ;;
.Lta_waiters:
        cmp.geu p6, p0 = loc5, loc4
(p6)    br.cond.dpnt .Lta_pipes
        ;;
        CALL fork
        shladd r14 = loc5, 3, loc6
        cmp.eq p7, p0 = 0, r8
        ;;
        st8 [r14] = r8
(p7)    br.cond.dpnt .Lta_waiter
        adds loc5 = 1, loc5
        br.cond.sptk .Lta_waiters
        ;;
.Lta_waiter:                            // holds a credential record until the gate closes
        mov out0 = loc3
        SYSCALL SYS_close
        mov out0 = loc2
        movl out1 = onebyte
        mov out2 = 1
        SYSCALL SYS_read
        mov out0 = 0
        ;;
        CALL exit
.Lta_pipes:
        // free pipe records + (ARENA_SIZE - end) / PIPE_RECORD (by subtraction: at most 512)
        movl r14 = scan
        movl r15 = ARENA_SIZE
        movl r16 = PIPE_RECORD
        ;;
        ld8 r17 = [r14], SCAN_FREE_PIPES
        ;;
        ld8 loc7 = [r14]
        sub r17 = r15, r17
        ;;
.Lta_divide:
        cmp.ltu p6, p0 = r17, r16
(p6)    br.cond.dpnt .Lta_fill0
        sub r17 = r17, r16
        adds loc7 = 1, loc7
        br.cond.sptk .Lta_divide
        ;;
.Lta_fill0:
        mov loc8 = 0
        movl loc9 = fillers
        movl r14 = MAX_FILLERS
        ;;
        cmp.ltu p6, p0 = r14, loc7
        ;;
(p6)    mov loc7 = r14
        ;;
.Lta_fill:
        cmp.geu p6, p0 = loc8, loc7
(p6)    br.cond.dpnt .Lta_filled
        ;;
        SYSCALL SYS_pipe
        cmp.ne p6, p0 = 0, r10
        mov loc10 = r8
        mov out0 = r9
(p6)    br.cond.dpnt .Lta_filled
        ;;
        SYSCALL SYS_close               // the write end
        shladd r14 = loc8, 3, loc9
        ;;
        st8 [r14] = loc10
        adds loc8 = 1, loc8
        br.cond.sptk .Lta_fill
        ;;
.Lta_filled:
        CALL scan_arena
        movl r14 = scan + SCAN_END
        movl r15 = ARENA_SIZE
        ;;
        ld8 r16 = [r14]
        ;;
        sub loc10 = r15, r16
        ;;
        cmp.leu p6, p7 = 48, loc10
        ;;
(p6)    mov loc11 = 1
(p7)    mov loc11 = 0
        EPRINT "arena: "
        ENUM loc8
        EPRINT " filler pipes, "
        ENUM loc10
        EPRINT " bytes left at the end\n"
        CALL fork
        cmp.eq p6, p0 = 0, r8
        mov loc5 = r8
(p6)    br.call.dpnt.many b0 = victim   // does not return
        ;;
        mov out0 = loc5
        ;;
        CALL waitpid
        extr.u r14 = r8, 0, 16          // exited with status 0: the record was forged
        ;;
        cmp.ne p6, p0 = 0, r14
        ;;
(p6)    mov loc11 = 0
        movl out0 = .Lforged
        ;;
        mov out1 = loc11
        ;;
        CALL eyesno
        // The next pipe, while every other freed pipe record is in use: a kernel that filed the
        // freed record by its forged length would place this ring across the arena's end.
        SYSCALL SYS_pipe
        mov loc10 = r8
        mov loc11 = r9
        FAILIF "pipe"
        movl r14 = outb
        mov r15 = 0
        movl r16 = 65536
        ;;
.Lta_pattern:                           // out[j] = j * 7
        shl r17 = r15, 3
        ;;
        sub r17 = r17, r15
        adds r15 = 1, r15
        ;;
        st1 [r14] = r17, 1
        cmp.ltu p6, p0 = r15, r16
(p6)    br.cond.sptk .Lta_pattern
        ;;
        mov out0 = loc11
        movl out1 = outb
        movl out2 = 65536
        ;;
        CALL write_full
        movl r14 = 65536
        ;;
        CHECK eq, r8, r14, "pipe write"
        mov out0 = loc10
        movl out1 = inb
        movl out2 = 65536
        ;;
        CALL read_full
        movl r14 = 65536
        ;;
        CHECK eq, r8, r14, "pipe read after the tail attack"
        movl out0 = inb
        movl out1 = outb
        movl out2 = 65536
        ;;
        CALL memeq
        CHECK eq, 1, r8, "pipe after the tail attack"
        mov out0 = loc10
        ;;
        CALL close
        mov out0 = loc11
        ;;
        CALL close
        mov loc5 = 0
        ;;
.Lta_close:
        cmp.geu p6, p0 = loc5, loc8
(p6)    br.cond.dpnt .Lta_gate
        shladd r14 = loc5, 3, loc9
        ;;
        ld8 out0 = [r14]
        adds loc5 = 1, loc5
        ;;
        CALL close
        br.cond.sptk .Lta_close
        ;;
.Lta_gate:
        mov out0 = loc2
        ;;
        CALL close
        mov out0 = loc3
        ;;
        CALL close
        mov loc5 = 0
        ;;
.Lta_reap:
        cmp.geu p6, p0 = loc5, loc4
(p6)    br.cond.dpnt .Lta_done
        shladd r14 = loc5, 3, loc6
        ;;
        ld8 out0 = [r14]
        adds loc5 = 1, loc5
        ;;
        CALL waitpid
        br.cond.sptk .Lta_reap
        ;;
.Lta_done:
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp tail_attack
        .section .rodata
.Lforged: .asciz "arena: credential record at the end, forged and freed: "
        .text

// ---- the workload (the C program's stdout) -----------------------------------------------

// work(round) -> r8 = pipes_round ^ files_round, r9 = children_round.
        .proc work
work:
        alloc loc0 = ar.pfs, 1, 4, 1, 0
        mov loc1 = b0
        mov out0 = in0
        ;;
        CALL pipes_round
        mov loc2 = r8
        mov out0 = in0
        ;;
        CALL children_round
        mov loc3 = r8
        mov out0 = in0
        ;;
        CALL files_round
        xor r8 = r8, loc2
        mov r9 = loc3
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp work

// pipes_round(round) -> r8: 40 pipes (every other one O_CLOEXEC), each carrying
// n = 1 + (round * 7919 + i * 104729) % 65536 bytes out[j] = j * 31 + i + round; the FNV of
// everything read back.
        .proc pipes_round
pipes_round:
        // loc2 hash, loc3 i, loc4/loc5 the pipe (read, write), loc6 round * 7919 + i * 104729,
        // loc7 n
        alloc loc0 = ar.pfs, 1, 8, 3, 0
        mov loc1 = b0
        mov out0 = in0
        mov out1 = 7919
        ;;
        CALL mul
        mov loc6 = r8
        movl loc2 = FNV_BASIS
        mov loc3 = 0
        ;;
.Lpr:
        movl out0 = fds
        tbit.nz p6, p7 = loc3, 0
        ;;
(p6)    movl out1 = O_CLOEXEC
(p7)    mov out1 = 0
        SYSCALL SYS_pipe2
        FAILIF "pipe2"
        movl r14 = fds
        extr.u r15 = loc6, 0, 16
        ;;
        ld4 loc4 = [r14], 4
        adds loc7 = 1, r15
        ;;
        ld4 loc5 = [r14]
        add r15 = loc3, in0
        movl r16 = outb
        mov r17 = 0
        ;;
.Lpr_fill:
        st1 [r16] = r15, 1
        adds r15 = 31, r15
        adds r17 = 1, r17
        ;;
        cmp.ltu p6, p0 = r17, loc7
(p6)    br.cond.sptk .Lpr_fill
        ;;
        mov out0 = loc5
        movl out1 = outb
        mov out2 = loc7
        ;;
        CALL write_full
        CHECK eq, r8, loc7, "pipe write"
        mov out0 = loc4
        movl out1 = inb
        mov out2 = loc7
        ;;
        CALL read_full
        CHECK eq, r8, loc7, "pipe read"
        movl out0 = inb
        movl out1 = outb
        mov out2 = loc7
        ;;
        CALL memeq
        CHECK eq, 1, r8, "pipe data changed"
        movl out0 = inb
        mov out1 = loc7
        mov out2 = loc2
        ;;
        CALL fnv
        mov loc2 = r8
        mov out0 = loc4
        ;;
        CALL close
        mov out0 = loc5
        ;;
        CALL close
        movl r14 = 104729
        adds loc3 = 1, loc3
        ;;
        add loc6 = loc6, r14
        cmp.gt p6, p0 = 40, loc3
(p6)    br.cond.sptk .Lpr
        ;;
        mov r8 = loc2
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp pipes_round

// children_round(round) -> r8: 12 children, each making a pipe and writing a byte to it, then
// exiting with (getuid() == 0) + (round + i) % 7; the sum of their exit statuses.
        .proc children_round
children_round:
        // loc2 sum, loc3 i, loc4 (round + i) % 7, loc5 the child
        alloc loc0 = ar.pfs, 1, 6, 3, 0
        mov loc1 = b0
        mov loc2 = 0
        mov loc3 = 0
        mov loc4 = in0
        ;;
.Lcr_mod:
        cmp.gtu p6, p0 = 7, loc4
(p6)    br.cond.sptk .Lcr
        adds loc4 = -7, loc4
        br.cond.sptk .Lcr_mod
        ;;
.Lcr:
        CALL fork
        cmp.eq p6, p0 = 0, r8
        mov loc5 = r8
(p6)    br.cond.dpnt .Lcr_child
        ;;
        mov out0 = loc5
        ;;
        CALL waitpid
        and r14 = 0x7f, r8
        extr.u r15 = r8, 8, 8
        ;;
        CHECK eq, 0, r14, "child died"
        add loc2 = loc2, r15
        adds loc3 = 1, loc3
        adds loc4 = 1, loc4
        ;;
        cmp.eq p7, p0 = 7, loc4
        cmp.gt p8, p0 = 12, loc3
        ;;
(p7)    mov loc4 = 0
(p8)    br.cond.sptk .Lcr
        ;;
        mov r8 = loc2
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
.Lcr_child:
        SYSCALL SYS_pipe
        cmp.ne p6, p0 = 0, r10
        mov out0 = r9
        movl out1 = .Lx
        mov out2 = 1
        ;;
(p6)    br.cond.dpnt .Lcr_bad
        SYSCALL SYS_write
        cmp.ne p6, p0 = 0, r10
        cmp.ne p7, p0 = 1, r8
        ;;
(p6)    br.cond.dpnt .Lcr_bad
(p7)    br.cond.dpnt .Lcr_bad
        SYSCALL SYS_getuid
        cmp.eq p6, p7 = 0, r8
        ;;
(p6)    adds out0 = 1, loc4
(p7)    mov out0 = loc4
        ;;
        CALL exit
.Lcr_bad:
        mov out0 = 99
        ;;
        CALL exit
        .endp children_round

// files_round(round) -> r8: a file of 300000 - round * 1000 bytes buf[j] = j ^ round, written,
// read back with one pread, compared, unlinked; the FNV of what was read.
        .proc files_round
files_round:
        // loc2 n, loc3 the descriptor
        alloc loc0 = ar.pfs, 1, 4, 4, 0
        mov loc1 = b0
        mov out0 = in0
        mov out1 = 1000
        ;;
        CALL mul
        movl r14 = FILE_MAX
        ;;
        sub loc2 = r14, r8
        movl r15 = fbuf
        mov r16 = 0
        ;;
.Lfr_fill:
        xor r17 = r16, in0
        adds r16 = 1, r16
        ;;
        st1 [r15] = r17, 1
        cmp.ltu p6, p0 = r16, loc2
(p6)    br.cond.sptk .Lfr_fill
        ;;
        movl out0 = fpath
        mov out1 = 0x242                // O_RDWR | O_CREAT | O_TRUNC
        mov out2 = 0600
        SYSCALL SYS_open
        mov loc3 = r8
        FAILIF "open"
        mov out0 = loc3
        movl out1 = fbuf
        mov out2 = loc2
        ;;
        CALL write_full
        CHECK eq, r8, loc2, "file write"
        mov out0 = loc3
        movl out1 = fback
        mov out2 = loc2
        mov out3 = 0
        SYSCALL SYS_pread64
        FAILIF "file read"
        CHECK eq, r8, loc2, "file read"
        movl out0 = fbuf
        movl out1 = fback
        mov out2 = loc2
        ;;
        CALL memeq
        CHECK eq, 1, r8, "file data changed"
        mov out0 = loc3
        ;;
        CALL close
        movl out0 = fpath
        SYSCALL SYS_unlink
        FAILIF "unlink"
        movl out0 = fback
        mov out1 = loc2
        movl out2 = FNV_BASIS
        ;;
        CALL fnv
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp files_round

// credentials_round() -> r8 = 1 when away from root and back works: setresgid/setresuid to
// 100 (saved ids root), getuid/geteuid 100, then all back to 0.
        .macro EXPECT value
        cmp.ne p6, p0 = \value, r8
        ;;
(p6)    mov loc1 = 0
        ;;
        .endm
        .macro EXPECT_OK
        cmp.ne p6, p0 = 0, r10
        ;;
(p6)    mov loc1 = 0
        ;;
        .endm
        .proc credentials_round
credentials_round:
        alloc loc0 = ar.pfs, 0, 2, 3, 0
        mov loc1 = 1
        mov out0 = 100
        mov out1 = 100
        mov out2 = 0
        SYSCALL SYS_setresgid
        EXPECT_OK
        mov out0 = 100
        mov out1 = 100
        mov out2 = 0
        SYSCALL SYS_setresuid
        EXPECT_OK
        SYSCALL SYS_getuid
        EXPECT 100
        SYSCALL SYS_geteuid
        EXPECT 100
        mov out0 = 0
        mov out1 = 0
        mov out2 = 0
        SYSCALL SYS_setresuid
        EXPECT_OK
        mov out0 = 0
        mov out1 = 0
        mov out2 = 0
        SYSCALL SYS_setresgid
        EXPECT_OK
        SYSCALL SYS_getuid
        EXPECT 0
        SYSCALL SYS_getgid
        EXPECT 0
        mov r8 = loc1
        mov ar.pfs = loc0
        ;;
        br.ret.sptk.many b0
        .endp credentials_round
