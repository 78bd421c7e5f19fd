// vfork for the gdb-multiarch tests (Tests/UmlabTests/Debugger.swift): the child shares the
// parent's memory (and its breakpoints) until it exits; then the parent stops at a breakpoint.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int after_vfork(int x) {
    return x + 1;
}

int main(void) {
    pid_t pid = vfork();
    if (pid == 0) _exit(5);
    int status = 0;
    waitpid(pid, &status, 0);
    int r = after_vfork(WEXITSTATUS(status));
    printf("vfork child %d\n", r);
    return r;
}
