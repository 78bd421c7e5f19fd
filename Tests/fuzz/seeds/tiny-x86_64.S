/* A seed for the ELF mutation fuzzer: x86-64 without libc (write "ok\n", exit_group(0)).
   gcc -nostdlib -static */
        .section .rodata
ok:     .ascii "ok\n"
        .text
        .globl _start
_start: mov $1, %eax
        mov $1, %edi
        lea ok(%rip), %rsi
        mov $3, %edx
        syscall
        mov $231, %eax
        xor %edi, %edi
        syscall
