// A program that forks, for the gdb-multiarch follow-fork tests (Tests/UmlabTests/Debugger.swift):
// the child computes 14 * 3 and exits with it; the parent reports what it saw.
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int child_work(int x) {
    return x * 3;
}

int main(void) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int r = child_work(14);
        printf("child %d\n", r);
        return r;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("parent saw %d\n", WEXITSTATUS(status));
    return 0;
}
