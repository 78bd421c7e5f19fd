// CHost: the C side of umlab's host layer.
//
// Swift cannot call variadic C functions (ptrace, syscall, ioctl, open with a mode), cannot see
// the struct layouts behind <sys/user.h>, and must not run in the child of a fork of a
// multi-threaded process. Those few things live here, each as a small fixed-signature function.
// Every function returns -1 (or a negative value) with errno set on failure, like the libc call
// it wraps; the Swift side (HostOS) turns that into a typed error and retries EINTR.
#ifndef CHOST_H
#define CHOST_H

#include <stdint.h>
#include <sys/types.h>
#include <spawn.h>

/// Host constants Swift's Glibc module does not export (checked against the headers in chost.c).
enum { CH_O_PATH = 010000000, CH_SYS_getdents64 = 217, CH_SYS_getrandom = 318 };

/// x86-64 general registers in the layout of `struct user_regs_struct` (PTRACE_GETREGS).
typedef struct {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
    uint64_t fs_base, gs_base, ds, es, fs, gs;
} ch_x86_regs;

/// x86-64 FXSAVE area as returned by PTRACE_GETFPREGS (512 bytes).
typedef struct {
    uint8_t bytes[512];
} ch_x86_fpregs;

long ch_ptrace(long request, pid_t pid, uint64_t addr, uint64_t data);
long ch_ptrace_getregs(pid_t pid, ch_x86_regs *regs);
long ch_ptrace_setregs(pid_t pid, const ch_x86_regs *regs);
long ch_ptrace_getfpregs(pid_t pid, ch_x86_fpregs *regs);
long ch_ptrace_setfpregs(pid_t pid, const ch_x86_fpregs *regs);
/// PTRACE_GETSIGINFO, reduced to what the kernel needs: signo, code, errno and the fault address.
long ch_ptrace_getsiginfo(pid_t pid, int *signo, int *code, uint64_t *addr);
/// PTRACE_PEEKUSER into `*value` (the libc call returns the word itself, so -1 is ambiguous).
long ch_ptrace_peekuser(pid_t pid, uint64_t offset, uint64_t *value);
/// offsetof(struct user, u_debugreg[n]): where PTRACE_PEEKUSER/POKEUSER reach debug register n.
uint64_t ch_debugreg_offset(int n);

/// Spawns a host process that will become a guest's first thread.
///
/// fork(); in the child (async-signal-safe calls only): new process group, parent-death signal,
/// empty signal mask, wait for the tracer on a pipe, mark every descriptor close-on-exec, then
/// execveat(exec_fd, "", AT_EMPTY_PATH). The parent PTRACE_SEIZEs the child with `options`
/// before letting it go, so the exec is reported as PTRACE_EVENT_EXEC. Returns the child's pid.
pid_t ch_spawn_traced(int exec_fd, long options);

/// Adds "close every descriptor from `low` up" to a posix_spawn action list (glibc's
/// posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does not export).
int ch_spawn_actions_closefrom(posix_spawn_file_actions_t *actions, int low);

/// One classic-BPF instruction (`struct sock_filter`).
typedef struct {
    uint16_t code;
    uint8_t jt, jf;
    uint32_t k;
} ch_bpf_insn;

/// ch_spawn_traced for seccomp mode: after the tracer has seized it, the child installs `filter`
/// (PR_SET_NO_NEW_PRIVS, SECCOMP_FILTER_FLAG_NEW_LISTENER) just before its execveat. The filter
/// must answer that execveat with SECCOMP_RET_TRACE (and `options` include
/// PTRACE_O_TRACESECCOMP): at that stop the parent copies the listener descriptor out of the
/// child (pidfd_getfd, the child passes its number in the unused sixth argument) into
/// `*listener`, close-on-exec, and lets the exec go on. Returns the child's pid.
pid_t ch_spawn_traced_filtered(int exec_fd, long options, const ch_bpf_insn *filter, unsigned short length,
                               int *listener);

/// A seccomp user notification (`struct seccomp_notif`, flattened).
typedef struct {
    uint64_t id;
    uint32_t pid;
    int32_t nr;
    uint32_t arch;
    uint64_t instruction_pointer;
    uint64_t args[6];
} ch_seccomp_notice;

/// SECCOMP_IOCTL_NOTIF_RECV. Fails with ENOENT when the caller was interrupted meanwhile.
int ch_seccomp_receive(int listener, ch_seccomp_notice *notice);
/// SECCOMP_IOCTL_NOTIF_SEND: completes call `id` with `error` (a negative errno) or `value`.
int ch_seccomp_answer(int listener, uint64_t id, int64_t value, int32_t error);
/// SECCOMP_IOCTL_NOTIF_SET_FLAGS(SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP): answers switch straight
/// to the woken caller when it shares the CPU (Linux 6.6+).
int ch_seccomp_sync_wakeups(int listener);

/// waitpid(pid, status, __WALL | extra). Not retried on EINTR (the tick uses EINTR to preempt).
pid_t ch_wait(pid_t pid, int *status, int extra_flags);

long ch_process_vm_read(pid_t pid, void *local, uint64_t remote, uint64_t len);
long ch_process_vm_write(pid_t pid, const void *local, uint64_t remote, uint64_t len);
/// process_vm_readv/writev of `count` (<= 1024) remote ranges, pairs (address, length) in
/// `ranges`, to or from one local buffer of `len` bytes: one host call for a scattered buffer.
long ch_process_vm_read_ranges(pid_t pid, void *local, uint64_t len, const uint64_t *ranges, int count);
long ch_process_vm_write_ranges(pid_t pid, const void *local, uint64_t len, const uint64_t *ranges, int count);

long ch_syscall6(long nr, long a, long b, long c, long d, long e, long f);
int ch_openat(int dirfd, const char *path, int flags, unsigned mode);
/// openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS: the host-side
/// half of hostfs confinement. `path` must be relative to `dirfd`.
int ch_open_beneath(int dirfd, const char *path, int flags, unsigned mode);
int ch_ioctl(int fd, unsigned long request, void *arg);
int ch_memfd(const char *name, int executable);
/// fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE): the range reads as zeros, size kept.
int ch_punch_hole(int fd, long long offset, long long length);

/* A writable host directory tree (bind mounts, the overlay's upper layer): every call names an
 * entry by a directory descriptor and one component, never a host path, and never follows a
 * symlink in that component. */
int ch_mkdirat(int dirfd, const char *name, unsigned mode);
int ch_mkfifoat(int dirfd, const char *name, unsigned mode);
int ch_unlinkat(int dirfd, const char *name, int directory);
int ch_renameat2(int olddirfd, const char *oldname, int newdirfd, const char *newname, unsigned flags);
int ch_linkat(int olddirfd, const char *oldname, int newdirfd, const char *newname);
int ch_symlinkat(const char *target, int dirfd, const char *name);
int ch_chmodat(int dirfd, const char *name, unsigned mode);
int ch_chownat(int dirfd, const char *name, unsigned uid, unsigned gid);
/* Times are (seconds, nanoseconds); a nanosecond value of -1 leaves that time (UTIME_OMIT). */
int ch_utimesat(int dirfd, const char *name, long long asec, long long ansec, long long msec, long long mnsec);
/* Extended attributes of the object an O_PATH descriptor names (through /proc/self/fd). */
int ch_fd_setxattr(int fd, const char *name, const void *value, size_t size);
long ch_fd_getxattr(int fd, const char *name, void *value, size_t size);
int ch_pin_to_cpu(int cpu);
int ch_current_cpu(void);
int ch_fcntl_int(int fd, int cmd, int arg);

/// The scheduler tick: a one-shot POSIX timer that sends `signo` to the calling thread only. Its
/// handler does nothing but interrupt the blocking call in progress (waitpid, epoll) with EINTR.
/// Each event loop creates its own timer (`*timer`), so several guests can share a process.
int ch_tick_create(int signo, void **timer);
/// Arms the timer to fire at `deadline_ns` on CLOCK_MONOTONIC, and every millisecond after
/// until it is re-armed; 0 disarms it.
int ch_tick_arm(void *timer, uint64_t deadline_ns);
int ch_tick_delete(void *timer);

/// Blocks the signals in `mask` (bit n-1 for signal n) in the calling thread and returns a
/// non-blocking signalfd for them.
int ch_signal_fd(uint64_t mask);
/// Reads one signal from a signalfd: 1 and the fields, 0 when none is pending, -1 on error.
int ch_read_signal(int fd, int *signo, int *code, int *pid);

/// One ready descriptor of `ch_epoll_wait`: the token it was registered with and its events.
typedef struct {
    uint64_t token;
    uint32_t events;
} ch_epoll_ready;

int ch_epoll_create(void);
/// A record on a unix socket with up to `nfds` descriptors passed along (SCM_RIGHTS).
long ch_send_record(int fd, const void *buf, unsigned long len, const int *fds, int nfds);
/// Receives a record and up to `maxfds` passed descriptors (close-on-exec); `*nfds` gets their
/// number. Returns the record's length, or -1.
long ch_receive_record(int fd, void *buf, unsigned long len, int *fds, int maxfds, int *nfds);
/// A unix socket (SOCK_SEQPACKET, close-on-exec) listening at `path`, or -1.
int ch_unix_listen(const char *path);
/// A unix socket (SOCK_SEQPACKET, close-on-exec) connected to `path`, or -1.
int ch_unix_connect(const char *path);
/// A pair of connected unix stream sockets (close-on-exec, non-blocking), or -1.
int ch_stream_pair(int *pair);
/// A pair of connected unix record sockets (SOCK_SEQPACKET, close-on-exec, non-blocking), or -1.
int ch_seqpacket_pair(int *pair);
/// accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC): the connection's descriptor, or -1.
int ch_accept_nonblocking(int fd, void *addr, unsigned *len);
/// epoll_ctl with the event's data set to `token`.
int ch_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token);
/// epoll_pwait2: waits at most `timeout_ns` (< 0: forever); fills up to `max` (at most 64) entries.
int ch_epoll_wait(int epfd, ch_epoll_ready *ready, int max, int64_t timeout_ns);

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new limit.
long ch_raise_nofile(void);

/* RAM + swap in bytes (sysinfo), UINT64_MAX if unknown. */
uint64_t ch_memory_and_swap(void);

/* This process's vDSO image (getauxval(AT_SYSINFO_EHDR)), 0 without one. */
uint64_t ch_vdso_base(void);

#endif
