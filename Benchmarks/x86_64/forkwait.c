/*
 * forkwait: process creation + teardown + reaping.
 *   forkwait [iters]   (default 2000)
 * Each iteration: fork(); the child _exit(0)s immediately; the parent waitpid()s.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

static void one(void)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0)
        _exit(0);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "forkwait: child status 0x%x\n", status);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long iters = parse_count(argc, argv, 1, 2000);

    one(); /* warm-up */

    long long t0 = now_ns();
    for (long i = 0; i < iters; i++)
        one();
    long long t1 = now_ns();

    print_result("forkwait", iters, t1 - t0);
    return 0;
}
