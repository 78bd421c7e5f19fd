/* A seed for the ELF mutation fuzzer: 32-bit PowerPC without libc (write "ok\n", exit_group(0)).
   powerpc-linux-gnu-gcc -nostdlib -static */
        .section .rodata
ok:     .ascii "ok\n"
        .text
        .globl _start
_start: li 0, 4
        li 3, 1
        lis 4, ok@ha
        addi 4, 4, ok@l
        li 5, 3
        sc
        li 0, 234
        li 3, 0
        sc
