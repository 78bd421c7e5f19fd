/* A seed for the ELF mutation fuzzer: the smallest useful static program (prints "ok").
   Built for x86-64 (gcc -static) and PowerPC (powerpc-linux-gnu-gcc -static). */
#include <unistd.h>
int main(void) { return write(1, "ok\n", 3) == 3 ? 0 : 1; }
