/* A small program gdb runs to a breakpoint inside a guest (GuestPtrace.gdbInGuestSameAsNative). */
#include <stdio.h>
static int counter = 0;
int add(int a, int b) {
    int sum = a + b;
    counter += sum;
    return sum;
}
int main(void) {
    int total = 0;
    for (int i = 1; i <= 3; i++) total += add(i, 10 * i);
    printf("total %d counter %d\n", total, counter);
    return 0;
}
