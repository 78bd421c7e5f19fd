/*
 * umlab's guest vDSO for x86-64: clock_gettime, gettimeofday, time and getcpu answered in the
 * guest, without a system call, and with exactly what the trapped calls would return.
 *
 * umlab's guest clocks are the host's (GuestKernel's clock_gettime reads Host.clock for every
 * clock but the CPU-time ones), so the exact answer is the host kernel's own: each guest host
 * process keeps the host's vDSO code and its data pages ([vvar], [vvar_vclock]), which umlab
 * moves out of the guest's address space into the stub's reserved area above user space
 * (X86Context.scrubHostMappings). This image calls the host's __vdso_clock_gettime through the
 * pointer in umlab's data page, the page just below the image (`umlab_vdso_data`, read-only).
 * Clocks the host's vDSO does not answer (the CPU-time clocks, unknown ids) end in its own
 * `syscall` instruction, which traps to umlab like any guest call: umlab answers with the guest's
 * CPU time, as Linux's vDSO falls back to the system call. Without a host vDSO (the pointer is
 * 0) every call is a plain system call.
 *
 * getcpu answers 0 for the CPU and the node: the guest machine has one CPU (GuestKernel's getcpu).
 * clock_getres is not exported: glibc then makes the system call, and umlab's answer stays the
 * one the guest sees.
 *
 * Built by generate.sh into arch/x86_64/Sources/VDSOImage.swift (the bytes are committed, so
 * building umlab needs no C toolchain); the test VDSOTests checks the bytes match this source.
 */
#include <stddef.h>
#include <stdint.h>

struct vdso_timespec { long tv_sec; long tv_nsec; };
struct vdso_timeval { long tv_sec; long tv_usec; };
struct vdso_timezone { int tz_minuteswest; int tz_dsttime; };

/* umlab's data page (X86VDSO.dataPage in the backend writes it): the layout is ABI between the
 * two; `magic` tells a reader which layout it is. */
struct umlab_vdso_data {
    uint64_t magic;  /* "umlabvd1" */
    /* The host vDSO's __vdso_clock_gettime where umlab moved it, or 0. */
    long (*host_clock_gettime)(long clock, struct vdso_timespec *ts);
};

extern const struct umlab_vdso_data umlab_vdso_data __attribute__((visibility("hidden")));

static inline long sys2(long nr, long a, long b)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

long __vdso_clock_gettime(long clock, struct vdso_timespec *ts)
{
    long (*host)(long, struct vdso_timespec *) = umlab_vdso_data.host_clock_gettime;
    if (host)
        return host(clock, ts);
    return sys2(228, clock, (long)ts); /* clock_gettime */
}

/* umlab's gettimeofday: CLOCK_REALTIME in microseconds, and a zero timezone. */
long __vdso_gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz)
{
    if (tv) {
        struct vdso_timespec ts;
        long r = __vdso_clock_gettime(0, &ts);
        if (r)
            return r;
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    if (tz) {
        tz->tz_minuteswest = 0;
        tz->tz_dsttime = 0;
    }
    return 0;
}

/* umlab's time: the seconds of CLOCK_REALTIME (not Linux's coarse seconds: the trapped call's). */
long __vdso_time(long *t)
{
    struct vdso_timespec ts;
    long r = __vdso_clock_gettime(0, &ts);
    if (r)
        return r;
    if (t)
        *t = ts.tv_sec;
    return ts.tv_sec;
}

long __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
    (void)cache;
    if (cpu)
        *cpu = 0;
    if (node)
        *node = 0;
    return 0;
}

long clock_gettime(long, struct vdso_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
long gettimeofday(struct vdso_timeval *, struct vdso_timezone *) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
