// exec events under gdb (Tests/UmlabTests/Debugger.swift, X86GDBSessions.swift), built -g -O0
// for x86-64 and PowerPC: the program runs itself again through execve with an argument, and
// the second image computes its exit code in a function gdb breaks in (9).
#include <stdio.h>
#include <unistd.h>

int after_exec(int n) {
    return n * 3;
}

int main(int argc, char **argv) {
    if (argc > 1) {
        printf("after exec\n");
        fflush(stdout);
        return after_exec(3);
    }
    char *args[] = { argv[0], "again", NULL };
    execv(argv[0], args);
    perror("execv");
    return 1;
}
