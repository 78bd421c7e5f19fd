// The program the gdb-multiarch tests debug (Tests/UmlabTests/Debugger.swift): built with -g -O0
// so that gdb sees every variable where the source has it.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int counter = 0;
volatile int watched = 1;

int square(int x) {
    int result = x * x;
    return result;
}

int accumulate(int n) {
    int total = 0;
    for (int i = 1; i <= n; i++) {
        total += square(i);
        watched = total;
    }
    return total;
}

int main(void) {
    int value = 5;
    int sum = accumulate(value);
    char msg[64];
    int len = snprintf(msg, sizeof msg, "sum=%d value=%d\n", sum, value);
    write(1, msg, len);
    counter = sum;
    return sum % 50 + 7;
}
