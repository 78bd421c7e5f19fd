// Signals and watched ranges under gdb (Tests/UmlabTests/Debugger.swift, X86GDBSessions.swift),
// built -g -O0 for x86-64 and PowerPC.
//
// Signals: each SIGUSR1 stops the program in gdb before it is delivered ("Program received
// signal SIGUSR1"); `continue` passes it on (the handler runs), `signal 0` drops it. The store
// through a bad pointer then stops with SIGSEGV, and the process dies of it only when gdb
// continues. Expected with continue, signal 0: "handled=10", death by SIGSEGV.
//
// Watched ranges (argument "watch"): a 4-byte store that covers a watched 2-byte field
// starting before it, and a byte stored into the middle of a watched 16-byte array; exits 0.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

volatile int handled;

union pair {
    unsigned int word;
    unsigned short half[2];
};
union pair shared_word __attribute__((aligned(8)));
char buffer[16] __attribute__((aligned(8)));

static void on_usr1(int sig) { handled += sig; }

static int watch_ranges(void) {
    shared_word.word = 0x00070007;   // both halves 7, whatever the byte order
    buffer[13] = 'x';
    return shared_word.half[1] + buffer[13] - 'x' - 7;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "watch") == 0) return watch_ranges();
    // The test runner may start it with SIGUSR1 blocked (the mask is inherited).
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    raise(SIGUSR1);
    printf("handled=%d\n", handled);
    fflush(stdout);
    volatile int *bad = (volatile int *)16;
    *bad = 1;
    return 0;
}
