// The PowerPC template JIT for x86-64 hosts (issue #14, item 2): the step after ppc_core.c.
// Blocks of decoded ops (PPCOp, the same pages the interpreter runs) that ran often enough are
// translated into x86-64 code, one fixed template per op, in a code buffer the owner maps
// twice (a writable and an executable view of one memory file: W^X without an mprotect per
// translation or chain patch). Translated code keeps the guest register file at rbx, the
// budget in r12, and probes the software TLB inline; anything else leaves to the interpreter at
// the instruction concerned, with exact state. Why and how: docs/performance.md, "Template JIT".
#ifndef PPC_JIT_H
#define PPC_JIT_H
#include <stddef.h>
#include <stdint.h>
#include "ppc_core.h"

#if defined(__x86_64__)
#define PPC_JIT_AVAILABLE 1
#else
#define PPC_JIT_AVAILABLE 0
#endif

/// Counters of one backend's JITs (for --stats-json).
typedef struct {
    /// Blocks translated; code bytes emitted; whole-buffer flushes (a decoded page dropped,
    /// or the buffer full); exits patched into direct jumps; entries from the dispatcher.
    uint64_t translations, bytes, flushes, full_flushes, chains, entries;
} ppc_jit_stats;

typedef struct ppc_jit ppc_jit;

/// A JIT over a code buffer of `size` bytes seen writable at `rw` and executable at `rx` (the
/// same memory), for one address space's decoded-code cache. `threshold`: how many times a
/// block start runs in the interpreter before it is translated. NULL if `size` is too small.
ppc_jit *ppc_jit_create(void *rw, void *rx, size_t size, uint32_t threshold, ppc_jit_stats *stats);
/// Frees the JIT's own memory (not the buffer, which its owner maps and unmaps).
void ppc_jit_destroy(ppc_jit *jit);

/// ppc_core_run's contract (PPC_CORE_BUDGET or PPC_CORE_SLOW, r->pc the next op, *remaining
/// decremented by the ops retired), running translated blocks where there are some and the
/// C loop one block at a time elsewhere. Translations made under another generation of the
/// decoded-code cache are all dropped first.
int ppc_jit_run(ppc_regs *r, const ppc_env *env, ppc_jit *jit, long *remaining);

#endif
