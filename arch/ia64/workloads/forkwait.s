// forkwait.s -- 100 x fork (clone(SIGCHLD)); child i exits with i & 0x7f; the parent waits for
// each child with wait4 and sums WEXITSTATUS(status) = (status >> 8) & 0xff (extr.u).
// Prints "forkwait: SUM" (4950).  Then clone(CLONE_VM | CLONE_VFORK | SIGCHLD, stack) with a
// stack in the middle of a fresh 64 KiB mapping (vfork's flags: qemu-user, which runs
// forkwait.c for PPC=1, refuses CLONE_VM without CLONE_THREAD unless it is a vfork).  As IA-64
// Linux's copy_thread does, the child's register backing store starts at the stack address
// (ar.bsp = stack; its frame, flushed by flushrs in a callee, lands there and not over the
// parent's backing store).  The child exits 0 when both hold (1, 2: which did not); "clone
// with a stack: status N" prints the wait status, which forkwait.c's clone of an empty
// function gives natively.
        .include "lib.inc"
        .set COUNT, 100
        .set SYS_mmap, 1151
        .set CLONE_VM_VFORK, 0x4111     // CLONE_VM | CLONE_VFORK | SIGCHLD

        .section .rodata
.Llabel: .asciz "forkwait: "
.Lefork: .asciz "fork"
.Lewait: .asciz "wait4"
.Lemmap: .asciz "mmap"
.Lclone: .asciz "clone with a stack: status "
        .bss
        .align 8
status: .skip 8

        .text
        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 5, 6, 0
        mov loc1 = 0                    // i
        mov loc2 = 0                    // sum
        movl loc3 = status
        ;;
.Lloop:
        mov out0 = 17                   // SIGCHLD
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        cmp.ne p6, p0 = 0, r10
        cmp.eq p7, p0 = 0, r8
        mov loc4 = r8
        movl out0 = .Lefork
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
(p7)    and out0 = 0x7f, loc1           // child: exit(i & 0x7f)
(p7)    br.call.dpnt.many b0 = exit
        ;;
        mov out0 = loc4
        mov out1 = loc3
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        cmp.ne p6, p0 = r8, loc4
        movl out0 = .Lewait
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        ld4 r14 = [loc3]
        adds loc1 = 1, loc1
        ;;
        extr.u r14 = r14, 8, 8          // WEXITSTATUS
        ;;
        add loc2 = loc2, r14
        cmp.gt p9, p0 = COUNT, loc1
(p9)    br.cond.sptk .Lloop
        ;;
        movl out0 = .Llabel
        mov out1 = loc2
        ;;
        CALL print_kv

        // a child in this address space, on a stack of its own
        mov out0 = 0
        movl out1 = 65536
        mov out2 = 3                    // PROT_READ | PROT_WRITE
        mov out3 = 0x22                 // MAP_PRIVATE | MAP_ANONYMOUS
        mov out4 = -1
        mov out5 = 0
        SYSCALL SYS_mmap
        cmp.ne p6, p0 = 0, r10
        movl r14 = 32768
        movl out0 = .Lemmap
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        add loc4 = r8, r14              // the child's stack: the middle of the mapping
        ;;
        mov out0 = CLONE_VM_VFORK
        mov out1 = loc4
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        cmp.ne p6, p0 = 0, r10
        cmp.eq p7, p0 = 0, r8
        mov loc1 = r8
        movl out0 = .Lefork
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
(p7)    br.cond.dpnt .Lchild
        mov out0 = loc1
        mov out1 = loc3
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        cmp.ne p6, p0 = r8, loc1
        movl out0 = .Lewait
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        ld4 out1 = [loc3]
        movl out0 = .Lclone
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit

        // The child: _start's frame, with loc2 = 4950 and loc4 = the stack, is its first frame.
.Lchild:
        mov r14 = ar.bsp
        mov loc1 = 0
        ;;
        cmp.ne p6, p0 = r14, loc4       // the backing store starts at the stack
        ;;
(p6)    mov loc1 = 1
        ;;
        CALL flush_frames               // writes loc0..loc4 at the stack address
        adds r14 = 16, loc4
        ;;
        ld8 r14 = [r14]
        ;;
        cmp.ne p6, p0 = r14, loc2       // loc2 (r34) is the third doubleword
        ;;
(p6)    adds loc1 = 2, loc1
        ;;
        mov out0 = loc1
        ;;
        CALL exit
        .endp _start

// flush_frames(): flushrs, which writes the caller's frames to the backing store.
        .proc flush_frames
flush_frames:
        alloc r2 = ar.pfs, 0, 0, 0, 0
        ;;
        flushrs
        ;;
        br.ret.sptk.many b0
        .endp flush_frames
