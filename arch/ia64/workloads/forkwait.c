/* forkwait.c -- native twin of forkwait.s: 100 forks, children exit(i & 0x7f), sum statuses;
 * then clone(CLONE_VM | CLONE_VFORK | SIGCHLD) of an empty function on a stack in the middle
 * of a 64 KiB mapping (forkwait.s checks its child's IA-64 register backing store there). */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define COUNT 100

static int child(void *unused) { (void)unused; return 0; }

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
    fflush(stdout);
    char *area = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) { perror("mmap"); return 1; }
    pid_t pid = clone(child, area + 32768, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) { fprintf(stderr, "FAIL: clone\n"); return 1; }
    printf("clone with a stack: status %d\n", status);
    return 0;
}
