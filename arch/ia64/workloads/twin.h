/* twin.h - what the C twins of the IA-64 workloads share: printing a call's result the way
 * lib.s's show routine does, so a twin's output equals its assembly workload's. */
#ifndef IA64_TWIN_H
#define IA64_TWIN_H

#include <errno.h>
#include <stdio.h>

/* The errno names lib.s knows (its table in .rodata); others print as "E<n>". */
static void show(const char *what, long r)
{
    static const char *names[] = {
        [EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR",
        [ENXIO] = "ENXIO", [EBADF] = "EBADF", [ECHILD] = "ECHILD", [EAGAIN] = "EAGAIN",
        [ENOMEM] = "ENOMEM", [EFAULT] = "EFAULT", [EINVAL] = "EINVAL", [EFBIG] = "EFBIG",
        [ESPIPE] = "ESPIPE", [EPIPE] = "EPIPE", [ERANGE] = "ERANGE", [ENOSYS] = "ENOSYS",
        [EOVERFLOW] = "EOVERFLOW", [ENOTSOCK] = "ENOTSOCK", [EADDRINUSE] = "EADDRINUSE",
        [ENETUNREACH] = "ENETUNREACH", [ENOTCONN] = "ENOTCONN", [ECONNREFUSED] = "ECONNREFUSED",
    };
    int e = errno;
    if (r != -1)
        printf("%s: =%ld\n", what, r);
    else if (e > 0 && e < (int)(sizeof names / sizeof names[0]) && names[e])
        printf("%s: %s\n", what, names[e]);
    else
        printf("%s: E%d\n", what, e);
}
#define SHOW(what, call) do { errno = 0; show(what, (long)(call)); } while (0)

#endif
