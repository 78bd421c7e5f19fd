// Runs until it is stopped: the Ctrl-C test of the GDB stub (Tests/UmlabTests/Debugger.swift).
int main(void) {
    volatile unsigned long n = 0;
    for (;;) n++;
}
