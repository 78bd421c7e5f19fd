/*
 * The guest vDSO (x86-64): found through AT_SYSINFO_EHDR, listed as [vdso] in /proc/self/maps,
 * and answering clock_gettime, gettimeofday, time and getcpu as the trapped system calls do.
 *   vdso loop N     N calls of each through the C library (the vDSO): the caller checks with
 *                   --stats-json that none of them trapped
 *   vdso compare    each vDSO answer against the system call's: times from the vDSO taken
 *                   before and after a system call bracket the call's answer (same clock), and
 *                   getcpu agrees; prints one line per check and "ok" at the end
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static long long ns(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

static void bracket(clockid_t id, const char *name)
{
    for (int i = 0; i < 200; i++) {
        struct timespec a, s, b;
        CHECK(clock_gettime(id, &a) == 0, "%s: vdso", name);
        CHECK(syscall(SYS_clock_gettime, id, &s) == 0, "%s: syscall", name);
        CHECK(clock_gettime(id, &b) == 0, "%s: vdso", name);
        if (!(ns(a) <= ns(s) && ns(s) <= ns(b))) {
            CHECK(0, "%s: vdso %lld, syscall %lld, vdso %lld", name, ns(a), ns(s), ns(b));
            return;
        }
    }
    printf("%s: vdso and syscall agree\n", name);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "loop") == 0) {
        long n = atol(argv[2]);
        struct timespec ts;
        struct timeval tv;
        unsigned cpu, node;
        long sum = 0;
        for (long i = 0; i < n; i++) {
            clock_gettime(CLOCK_MONOTONIC, &ts); sum += ts.tv_nsec;
            clock_gettime(CLOCK_REALTIME, &ts); sum += ts.tv_nsec;
            gettimeofday(&tv, NULL); sum += tv.tv_usec;
            sum += time(NULL);
            getcpu(&cpu, &node); sum += cpu;
        }
        printf("loop done %d\n", sum != 0);
        return 0;
    }
    if (argc != 2 || strcmp(argv[1], "compare") != 0) {
        fprintf(stderr, "usage: vdso loop N | vdso compare\n");
        return 2;
    }

    unsigned long base = getauxval(AT_SYSINFO_EHDR);
    CHECK(base != 0, "no AT_SYSINFO_EHDR");
    CHECK(base != 0 && memcmp((void *)base, "\177ELF", 4) == 0, "AT_SYSINFO_EHDR is not an ELF image");
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int listed = 0;
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long lo = strtoul(line, NULL, 16);
        if (strstr(line, "[vdso]") && lo == base && strstr(line, "r-xp")) listed = 1;
    }
    if (maps) fclose(maps);
    CHECK(listed, "/proc/self/maps has no r-xp [vdso] at AT_SYSINFO_EHDR 0x%lx", base);
    printf("[vdso] at AT_SYSINFO_EHDR\n");

    bracket(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
    bracket(CLOCK_REALTIME, "CLOCK_REALTIME");
    bracket(CLOCK_BOOTTIME, "CLOCK_BOOTTIME");
    bracket(CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW");
    bracket(CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID");
    bracket(CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID");

    /* An invalid clock: the same error both ways. */
    struct timespec ts;
    int v = clock_gettime(12345, &ts);
    long s = syscall(SYS_clock_gettime, 12345, &ts);
    CHECK(v == -1 && s == -1, "clock 12345: vdso %d, syscall %ld", v, s);

    /* gettimeofday and time: CLOCK_REALTIME, bracketed by the system call's reading. */
    for (int i = 0; i < 200; i++) {
        struct timespec a, b;
        struct timeval tv;
        struct timezone tz = { 77, 77 };
        syscall(SYS_clock_gettime, CLOCK_REALTIME, &a);
        CHECK(gettimeofday(&tv, &tz) == 0, "gettimeofday");
        time_t t = time(NULL);
        syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
        long long us = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
        if (!(ns(a) / 1000 <= us && us <= ns(b) / 1000 && a.tv_sec <= t && t <= b.tv_sec)) {
            CHECK(0, "gettimeofday %lld us / time %ld outside [%lld, %lld] ns", us, (long)t, ns(a), ns(b));
            break;
        }
        struct timezone stz = { 55, 55 };
        struct timeval stv;
        syscall(SYS_gettimeofday, &stv, &stz);
        if (tz.tz_minuteswest != stz.tz_minuteswest || tz.tz_dsttime != stz.tz_dsttime) {
            CHECK(0, "timezone: vdso %d/%d, syscall %d/%d", tz.tz_minuteswest, tz.tz_dsttime, stz.tz_minuteswest, stz.tz_dsttime);
            break;
        }
    }
    printf("gettimeofday and time: agree with CLOCK_REALTIME\n");

    unsigned cpu = 99, node = 99, scpu = 98, snode = 98;
    CHECK(getcpu(&cpu, &node) == 0, "getcpu");
    CHECK(syscall(SYS_getcpu, &scpu, &snode, NULL) == 0, "getcpu syscall");
    CHECK(cpu == scpu && node == snode, "getcpu: vdso %u/%u, syscall %u/%u", cpu, node, scpu, snode);
    printf("getcpu: cpu %u node %u\n", cpu, node);

    if (failures) return 1;
    printf("ok\n");
    return 0;
}
