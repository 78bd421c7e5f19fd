/* ffi_vs_shim.c: what calling a variadic C function through libffi costs against a fixed-signature
 * C shim (CHost's approach), on the call umlab makes on every guest syscall's path.
 *
 * Swift cannot call variadic functions (ptrace, syscall, ioctl). Two ways around it: a small C
 * function with a fixed signature (what umlab's CHost does), or libffi's ffi_call with a variadic
 * call interface prepared once. Both are timed here on syscall(SYS_getppid) and on an empty
 * variadic function (the call overhead alone). Prints one RESULT line per variant. */
#define _GNU_SOURCE
#include <ffi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long shim_syscall(long nr, long a, long b, long c, long d, long e, long f) { return syscall(nr, a, b, c, d, e, f); }

__attribute__((noinline)) static long empty_variadic(long nr, ...) {
    va_list ap;
    va_start(ap, nr);
    long v = va_arg(ap, long);
    va_end(ap);
    return nr + v;
}
__attribute__((noinline)) static long shim_empty(long nr, long a) { return empty_variadic(nr, a); }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    volatile long sink = 0;
    ffi_cif cif;
    ffi_type *args[7];
    for (int i = 0; i < 7; i++) args[i] = &ffi_type_slong;
    if (ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, 1, 7, &ffi_type_slong, args) != FFI_OK) return 1;
    ffi_cif cif2;
    if (ffi_prep_cif_var(&cif2, FFI_DEFAULT_ABI, 1, 2, &ffi_type_slong, args) != FFI_OK) return 1;
    long nr = SYS_getppid, zero = 0, one = 1;
    void *values[7] = {&nr, &zero, &zero, &zero, &zero, &zero, &zero};
    void *values2[2] = {&nr, &one};
    ffi_arg result;

    double t0 = now();
    for (long i = 0; i < n; i++) sink += shim_syscall(SYS_getppid, 0, 0, 0, 0, 0, 0);
    double t1 = now();
    for (long i = 0; i < n; i++) { ffi_call(&cif, FFI_FN(syscall), &result, values); sink += (long)result; }
    double t2 = now();
    for (long i = 0; i < n * 10; i++) sink += shim_empty(i, 1);
    double t3 = now();
    for (long i = 0; i < n * 10; i++) { ffi_call(&cif2, FFI_FN(empty_variadic), &result, values2); sink += (long)result; }
    double t4 = now();
    printf("RESULT name=syscall_shim iters=%ld ns_per_iter=%.2f\n", n, (t1 - t0) / n);
    printf("RESULT name=syscall_ffi iters=%ld ns_per_iter=%.2f\n", n, (t2 - t1) / n);
    printf("RESULT name=call_shim iters=%ld ns_per_iter=%.2f\n", n * 10, (t3 - t2) / (n * 10));
    printf("RESULT name=call_ffi iters=%ld ns_per_iter=%.2f\n", n * 10, (t4 - t3) / (n * 10));
    return sink == 42;
}
