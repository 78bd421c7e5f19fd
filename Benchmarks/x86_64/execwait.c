/*
 * execwait: fork + execve of a static binary + exit + reap.
 *   execwait [iters]   (default 500)
 * Each iteration: fork(); the child execv("/bin/busybox", {"busybox", "true"});
 * the parent waitpid()s and checks for exit status 0.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

#define PROG "/bin/busybox"

static void one(void)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        char *const args[] = { "busybox", "true", NULL };
        execv(PROG, args);
        perror("execv " PROG);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "execwait: child status 0x%x\n", status);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long iters = parse_count(argc, argv, 1, 500);

    one(); /* warm-up (also fails fast if the exec does not work) */

    long long t0 = now_ns();
    for (long i = 0; i < iters; i++)
        one();
    long long t1 = now_ns();

    print_result("execwait", iters, t1 - t0);
    return 0;
}
