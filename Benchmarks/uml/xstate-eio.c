/*
 * xstate-eio.c -- an LD_PRELOAD shim for Debian's user-mode-linux (UML 6.1) on this machine.
 *
 * UML saves and restores its processes' extended FPU state with PTRACE_GETREGSET and
 * PTRACE_SETREGSET of NT_X86_XSTATE. On CPUs whose XSAVE area is larger than the buffer UML
 * sizes at boot (this machine's is 11,008 bytes, with AMX and AVX-512), the host refuses the
 * request and UML panics. Failing exactly those two requests with EIO makes UML fall back to
 * PTRACE_GETFPREGS/SETFPREGS (the legacy x87/SSE area), as it does on hosts without XSAVE.
 * Every other ptrace request goes to glibc's ptrace unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/ptrace.h>
#include <sys/types.h>

long ptrace(enum __ptrace_request request, ...)
{
    va_list ap;
    va_start(ap, request);
    pid_t pid = va_arg(ap, pid_t);
    void *addr = va_arg(ap, void *);
    void *data = va_arg(ap, void *);
    va_end(ap);
    if ((request == PTRACE_GETREGSET || request == PTRACE_SETREGSET) && (long)addr == NT_X86_XSTATE) {
        errno = EIO;
        return -1;
    }
    static long (*next)(enum __ptrace_request, ...);
    if (!next)
        next = (long (*)(enum __ptrace_request, ...))dlsym(RTLD_NEXT, "ptrace");
    return next(request, pid, addr, data);
}
