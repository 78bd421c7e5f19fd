/* The x86-64 debuggee of the debugger tests (KernelTests' X86Debugging, and the gdb sessions):
 * not a differential program. Built -static -O0 -g (and dynamically for gdb), it gives the
 * tests fixed symbols to stop at:
 *   marker        a function to break at (software or hardware breakpoint); returns 2x+1
 *   step_start    `mov $110,%eax` (getppid) right before ...
 *   step_syscall  ... a `syscall` instruction, and after_syscall after it
 *   counter       a global the program stores 42 into (main), then 7 (in a forked child)
 * raw_getppid runs twice. The program prints "debuggee: done" and exits with the child's status,
 * 3, or 13 if marker or a getppid returned a wrong value. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

volatile long counter = 0;

__attribute__((noinline)) long marker(long x) { return 2 * x + 1; }

/* getppid with the instruction before `syscall` and the one after it labelled. */
__attribute__((noinline)) long raw_getppid(void) {
    long ret;
    __asm__ volatile(".globl step_start\nstep_start:\n\t"
                     "mov $110, %%eax\n\t"
                     ".globl step_syscall\nstep_syscall:\n\t"
                     "syscall\n\t"
                     ".globl after_syscall\nafter_syscall:\n\t"
                     "nop\n\t"
                     : "=a"(ret)
                     :
                     : "rcx", "r11", "memory");
    return ret;
}

int main(void) {
    long m = marker(20);
    long ppid = raw_getppid();
    long again = raw_getppid();
    counter = 42;
    pid_t child = fork();
    if (child == 0) {
        counter = 7;
        _exit(3);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status)) return 1;
    int ok = m == 41 && ppid == getppid() && again == ppid;
    printf("debuggee: marker %ld, getppid %s, counter %ld\n", m, ok ? "ok" : "wrong", counter);
    printf("debuggee: done\n");
    return WEXITSTATUS(status) + (ok ? 0 : 10);
}
