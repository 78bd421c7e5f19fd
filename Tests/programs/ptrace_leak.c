/* LeakSanitizer's report at exit: its tracer (a CLONE_VM|CLONE_FILES|CLONE_UNTRACED child)
 * PTRACE_ATTACHes the program's threads, reads their registers with PTRACE_GETREGSET, and
 * detaches; then the leak is reported on the shared standard error (GuestPtrace). */
#include <stdio.h>
#include <stdlib.h>
void *kept;
int main(void) {
    void *lost = malloc(77);
    lost = 0;
    kept = malloc(5);
    printf("leak: done\n");
    return 0;
}
