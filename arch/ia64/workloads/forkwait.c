/* forkwait.c -- native twin of forkwait.s: 100 forks, children exit(i & 0x7f), sum statuses. */
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

#define COUNT 100

int main(void) {
    long sum = 0;
    for (int i = 0; i < COUNT; i++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) _exit(i & 0x7f);
        int status;
        if (waitpid(pid, &status, 0) != pid) { fprintf(stderr, "FAIL: wait4\n"); return 1; }
        sum += WEXITSTATUS(status);
    }
    printf("forkwait: %ld\n", sum);
    return 0;
}
