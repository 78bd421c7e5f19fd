// A seed for the ELF mutation fuzzer on IA-64: write "ok\n", then exit_group(0).
// Assembled with ia64-linux-gnu-as -x and linked with ia64-linux-gnu-ld.
        .section .rodata
.Lok:   .ascii "ok\n"

        .text
        .global _start
        .proc _start
_start:
        alloc r14 = ar.pfs, 0, 0, 3, 0
        mov out0 = 1
        movl out1 = .Lok
        mov out2 = 3
        mov r15 = 1027                  // write
        ;;
        break.m 0x100000
        ;;
        mov out0 = 0
        mov r15 = 1236                  // exit_group
        ;;
        break.m 0x100000
        ;;
        .endp _start
