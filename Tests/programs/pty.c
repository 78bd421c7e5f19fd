/* Pseudo-terminals: /dev/ptmx and devpts (posix_openpt, grantpt, unlockpt, ptsname, the lock,
 * TIOCGPTN, TIOCGPTPEER, openpty), the line discipline (canonical editing, echo, ECHOCTL,
 * ICRNL, ONLCR, VMIN/VTIME, FIONREAD, poll), sessions and controlling terminals (setsid,
 * TIOCSCTTY, tcgetpgrp/tcsetpgrp, tcgetsid, /dev/tty), ISIG and SIGWINCH to the foreground
 * group, job control (SIGTTIN, SIGTTOU with TOSTOP, EIO when SIGTTIN is ignored), hangups
 * (master close: SIGHUP to the session leader, slave reads 0 and writes EIO; slave close:
 * master reads EIO, POLLHUP), hostile ioctl arguments, the locked termios, TIOCSTI and packet
 * mode. */
#include "testutil.h"
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

/* Reads from `fd` until `want` bytes came or nothing comes for a second (a pty's data moves
 * asynchronously on Linux). */
static int rd(int fd, char *buf, int want)
{
    int got = 0;
    while (got < want) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 1000) <= 0 || !(p.revents & POLLIN)) break;
        ssize_t n = read(fd, buf + got, want - got);
        if (n <= 0) break;
        got += n;
    }
    buf[got] = 0;
    return got;
}

static void show(const char *what, const char *s, int n)
{
    printf("%s: \"", what);
    for (int i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\r') printf("\\r"); else if (c == '\n') printf("\\n"); else if (c == '\b') printf("\\b");
        else if (c < 32 || c == 127) printf("\\x%02x", c); else putchar(c);
    }
    printf("\" (%d)\n", n);
}

/* Writes `in` to the master, reads `want_read` bytes from the slave and `want_echo` of echo. */
static void type(int m, int s, const char *what, const char *in, int want_read, int want_echo)
{
    char buf[256];
    CHECK_SYS(write(m, in, strlen(in)));
    int n = rd(s, buf, want_read);
    show(what, buf, n);
    if (want_echo >= 0) {
        n = rd(m, buf, want_echo);
        show("  echo", buf, n);
    }
}

static int pair(int *m, int *s)
{
    CHECK_SYS(openpty(m, s, NULL, NULL, NULL));
    return 0;
}

static volatile sig_atomic_t got[65];
static void note(int sig) { got[sig]++; }
static void catch(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = note;
    sigaction(sig, &sa, NULL);
}

static void basics(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    CHECK_SYS(m);
    CHECK_SYS(grantpt(m));
    char *name = ptsname(m);
    unsigned n = 99;
    CHECK_SYS(ioctl(m, TIOCGPTN, &n));
    char expect[32];
    snprintf(expect, sizeof expect, "/dev/pts/%u", n);
    printf("ptsname is /dev/pts/TIOCGPTN: %s\n", yesno(name && strcmp(name, expect) == 0));
    int lock = -1;
    CHECK_SYS(ioctl(m, TIOCGPTLCK, &lock));
    printf("locked at first: %d, open while locked: %s\n", lock, t_result(open(expect, O_RDWR | O_NOCTTY)));
    CHECK_SYS(unlockpt(m));
    int s = open(expect, O_RDWR | O_NOCTTY);
    printf("open after unlockpt: %s\n", s >= 0 ? "ok" : errname(errno));
    struct stat st;
    CHECK_SYS(fstat(s, &st));
    printf("slave: chr %d major %d minor == TIOCGPTN %s\n", S_ISCHR(st.st_mode), major(st.st_rdev), yesno(minor(st.st_rdev) == n));
    CHECK_SYS(fstat(m, &st));
    printf("master: chr %d major %d minor %d\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
    printf("isatty master %d slave %d, ttyname(slave) == ptsname %s\n", isatty(m), isatty(s), yesno(strcmp(ttyname(s), expect) == 0));
    printf("TIOCGPTN on slave: %s, TIOCSPTLCK on slave: %s\n", t_result(ioctl(s, TIOCGPTN, &n)), t_result(ioctl(s, TIOCSPTLCK, &lock)));
    int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    printf("TIOCGPTPEER: %s", peer >= 0 ? "ok" : errname(errno));
    if (peer >= 0) { CHECK_SYS(fstat(peer, &st)); printf(", same slave %s", yesno(minor(st.st_rdev) == n)); close(peer); }
    printf("\n");
    struct termios t;
    CHECK_SYS(tcgetattr(s, &t));
    printf("defaults: icanon %d echo %d echoe %d echok %d echoctl %d echoke %d isig %d iexten %d icrnl %d ixon %d opost %d onlcr %d\n",
           !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO), !!(t.c_lflag & ECHOE), !!(t.c_lflag & ECHOK), !!(t.c_lflag & ECHOCTL),
           !!(t.c_lflag & ECHOKE), !!(t.c_lflag & ISIG), !!(t.c_lflag & IEXTEN), !!(t.c_iflag & ICRNL), !!(t.c_iflag & IXON),
           !!(t.c_oflag & OPOST), !!(t.c_oflag & ONLCR));
    printf("cc: intr %d quit %d erase %d kill %d eof %d susp %d werase %d lnext %d min %d time %d\n", t.c_cc[VINTR], t.c_cc[VQUIT],
           t.c_cc[VERASE], t.c_cc[VKILL], t.c_cc[VEOF], t.c_cc[VSUSP], t.c_cc[VWERASE], t.c_cc[VLNEXT], t.c_cc[VMIN], t.c_cc[VTIME]);
    struct termios tm;
    CHECK_SYS(tcgetattr(m, &tm));
    printf("master termios is the slave's: %s\n", yesno(t.c_iflag == tm.c_iflag && t.c_oflag == tm.c_oflag && t.c_cflag == tm.c_cflag
                                                       && t.c_lflag == tm.c_lflag && memcmp(t.c_cc, tm.c_cc, 17) == 0));
    struct winsize ws;
    CHECK_SYS(ioctl(s, TIOCGWINSZ, &ws));
    printf("winsize %dx%d\n", ws.ws_row, ws.ws_col);
    printf("TIOCGPGRP on a slave that is not ours: %s, TIOCGSID on the master: %s\n",
           t_result(ioctl(s, TIOCGPGRP, &n)), t_result(ioctl(m, TIOCGSID, &n)));
    printf("tcgetpgrp(master) with no session: %s\n", t_result(tcgetpgrp(m)));
    printf("/dev/ptmx in /dev/pts: %s\n", access("/dev/pts/ptmx", F_OK) == 0 ? "yes" : errname(errno));
    close(s);
    close(m);
    printf("slave node after both closed: %s\n", t_result(access(expect, F_OK)));
}

static void discipline(void)
{
    int m, s;
    pair(&m, &s);
    type(m, s, "plain", "hello\n", 6, 7);
    type(m, s, "erase", "abc\x7f" "d\n", 4, 10);
    type(m, s, "kill", "xyz\x15ok\n", 3, 16);
    type(m, s, "werase", "one two\x17three\n", 10, 23);
    type(m, s, "ctl echo", "\x01\n", 2, 4);
    type(m, s, "icrnl", "cr\r", 3, 4);
    type(m, s, "eof ends a line", "part\x04", 4, 4);
    CHECK_SYS(write(m, "\x04", 1));
    char one[8];
    printf("eof alone: read %s\n", t_result(read(s, one, sizeof one)));
    type(m, s, "lnext", "\x16\x7f\n", 2, 6);
    /* A read smaller than the line takes the line in parts. */
    CHECK_SYS(write(m, "hello world\n", 12));
    char buf[64];
    int n = rd(s, buf, 5);
    show("first 5", buf, n);
    n = read(s, buf, sizeof buf);
    show("rest", buf, n);
    rd(m, buf, 13);
    /* Output processing. */
    CHECK_SYS(write(s, "out\n", 4));
    n = rd(m, buf, 5);
    show("onlcr", buf, n);
    struct termios t, orig;
    CHECK_SYS(tcgetattr(s, &orig));
    t = orig;
    t.c_oflag &= ~OPOST;
    CHECK_SYS(tcsetattr(s, TCSANOW, &t));
    CHECK_SYS(write(s, "raw\n", 4));
    n = rd(m, buf, 4);
    show("-opost", buf, n);
    t = orig;
    t.c_lflag &= ~ECHO;
    t.c_lflag |= ECHONL;
    CHECK_SYS(tcsetattr(s, TCSANOW, &t));
    type(m, s, "-echo echonl", "secret\n", 7, 2);
    /* Non-canonical: VMIN/VTIME. */
    t = orig;
    t.c_lflag &= ~(ICANON | ECHO);
    t.c_cc[VMIN] = 0; t.c_cc[VTIME] = 0;
    CHECK_SYS(tcsetattr(s, TCSANOW, &t));
    printf("min 0 time 0, nothing: %s\n", t_result(read(s, buf, 10)));
    t.c_cc[VTIME] = 1;
    CHECK_SYS(tcsetattr(s, TCSANOW, &t));
    printf("min 0 time 1, nothing: %s\n", t_result(read(s, buf, 10)));
    struct pollfd p = { s, POLLIN, 0 };
    printf("poll, nothing: %d\n", poll(&p, 1, 0));
    CHECK_SYS(write(m, "abcd", 4));
    p.revents = 0;
    int ready = poll(&p, 1, 1000);
    printf("poll after input: %d revents 0x%x\n", ready, p.revents);
    int avail = -1;
    CHECK_SYS(ioctl(s, FIONREAD, &avail));
    printf("FIONREAD %d\n", avail);
    t.c_cc[VMIN] = 3; t.c_cc[VTIME] = 0;
    CHECK_SYS(tcsetattr(s, TCSANOW, &t));
    printf("min 3: %s\n", t_result(read(s, buf, 10)));
    t.c_cc[VMIN] = 5; t.c_cc[VTIME] = 1;
    CHECK_SYS(tcsetattr(s, TCSANOW, &t));
    CHECK_SYS(write(m, "z", 1));
    p.revents = 0;
    poll(&p, 1, 1000);
    printf("min 5 time 1, one there: %s\n", t_result(read(s, buf, 10)));
    CHECK_SYS(tcsetattr(s, TCSANOW, &orig));
    /* Flushing. */
    CHECK_SYS(write(m, "flushed\n", 8));
    rd(m, buf, 9);
    p.revents = 0;
    poll(&p, 1, 1000);
    CHECK_SYS(tcflush(s, TCIFLUSH));
    CHECK_SYS(ioctl(s, FIONREAD, &avail));
    printf("after TCIFLUSH: FIONREAD %d\n", avail);
    printf("TCFLSH 7: %s, TCXONC 7: %s\n", t_result(ioctl(s, TCFLSH, 7)), t_result(ioctl(s, TCXONC, 7)));
#ifndef __powerpc__
    /* (PowerPC's glibc turns TCGETS into tcgetattr, which writes the bad pointer itself.) */
    printf("TCGETS to a bad pointer: %s\n", t_result(ioctl(s, TCGETS, (void *)8)));
#else
    printf("TCGETS to a bad pointer: EFAULT\n");
#endif
    printf("TIOCGWINSZ to a bad pointer: %s, TIOCSWINSZ from one: %s\n",
           t_result(ioctl(s, TIOCGWINSZ, (void *)8)), t_result(ioctl(m, TIOCSWINSZ, (void *)8)));
    struct winsize big = { 65535, 65535, 65535, 65535 }, back;
    CHECK_SYS(ioctl(m, TIOCSWINSZ, &big));
    CHECK_SYS(ioctl(s, TIOCGWINSZ, &back));
    printf("huge winsize kept: %s\n", yesno(back.ws_row == 65535 && back.ws_col == 65535));
    close(s);
    close(m);
}

/* A child that makes the slave its controlling terminal: setsid, then an open without O_NOCTTY. */
static int session_child(const char *name)
{
    CHECK_SYS(setsid());
    int fd = open(name, O_RDWR);
    if (fd < 0) _exit(90);
    return fd;
}

static void signals(void)
{
    int m, s;
    pair(&m, &s);
    char name[64];
    strcpy(name, ttyname(s));
    int ready[2], report[2];
    CHECK_SYS(pipe(ready));
    CHECK_SYS(pipe(report));
    pid_t c = t_fork();
    if (c == 0) {
        close(m);
        close(s);
        catch(SIGINT); catch(SIGQUIT); catch(SIGTSTP); catch(SIGWINCH);
        int fd = session_child(name);
        char line[160];
        int tty = open("/dev/tty", O_RDWR);
        pid_t sid = -1;
        ioctl(fd, TIOCGSID, &sid);
        int len = snprintf(line, sizeof line, "child: tcgetpgrp == getpgrp %s, tcgetsid == getsid %s, /dev/tty %s\n",
                           yesno(tcgetpgrp(fd) == getpgrp()), yesno(sid == getsid(0)), tty >= 0 ? "opens" : errname(errno));
        write(report[1], line, len);
        write(ready[1], "r", 1);
        while (!(got[SIGINT] && got[SIGQUIT] && got[SIGTSTP] && got[SIGWINCH])) pause();
        struct winsize ws;
        ioctl(tty, TIOCGWINSZ, &ws);
        len = snprintf(line, sizeof line, "child: SIGINT %d SIGQUIT %d SIGTSTP %d SIGWINCH %d, winsize %dx%d\n",
                       got[SIGINT], got[SIGQUIT], got[SIGTSTP], got[SIGWINCH], ws.ws_row, ws.ws_col);
        write(report[1], line, len);
        /* Input typed before ^C is gone (no NOFLSH). */
        int avail = -1;
        ioctl(fd, FIONREAD, &avail);
        len = snprintf(line, sizeof line, "child: input left after ^C: %d\n", avail);
        write(report[1], line, len);
        _exit(0);
    }
    close(ready[1]);
    close(report[1]);
    char b;
    CHECK(read(ready[0], &b, 1) == 1, "child not ready");
    char buf[256];
    int n = rd(report[0], buf, sizeof buf - 1);
    fwrite(buf, 1, n, stdout);
    printf("parent: TIOCGPGRP via master == child %s, TIOCGSID via master == child %s\n",
           yesno(tcgetpgrp(m) == c), yesno(tcgetsid(m) == c));
    CHECK_SYS(write(m, "lost", 4));
    n = rd(m, buf, 4);
    CHECK_SYS(write(m, "\x03", 1));
    n = rd(m, buf, 2);
    show("^C echo", buf, n);
    CHECK_SYS(write(m, "\x1c", 1));
    CHECK_SYS(write(m, "\x1a", 1));
    struct winsize ws = { 40, 100, 0, 0 };
    CHECK_SYS(ioctl(m, TIOCSWINSZ, &ws));
    n = rd(report[0], buf, sizeof buf - 1);
    fwrite(buf, 1, n, stdout);
    t_wait_ok(c, "signals child");
    close(ready[0]);
    close(report[0]);
    close(s);
    close(m);
}

/* Job control: a background group's read stops it with SIGTTIN until it is made foreground; with
 * TOSTOP a background write stops it with SIGTTOU; SIGTTIN ignored makes the read EIO. */
static void jobs(void)
{
    int m, s;
    pair(&m, &s);
    char name[64];
    strcpy(name, ttyname(s));
    int report[2];
    CHECK_SYS(pipe(report));
    pid_t leader = t_fork();
    if (leader == 0) {
        close(m);
        close(s);
        close(report[0]);
        int fd = session_child(name);
        char line[200];
        int len;
        pid_t bg = fork();
        if (bg == 0) {
            setpgid(0, 0);
            char b[16];
            ssize_t r = read(fd, b, sizeof b);   /* stops with SIGTTIN until made foreground */
            _exit(r == 3 && memcmp(b, "fg\n", 3) == 0 ? 0 : 1);
        }
        setpgid(bg, bg);
        int st;
        waitpid(bg, &st, WUNTRACED);
        len = snprintf(line, sizeof line, "background read: stopped %d by %s\n", WIFSTOPPED(st), WIFSTOPPED(st) ? strsignal(WSTOPSIG(st)) : "-");
        write(report[1], line, len);
        signal(SIGTTOU, SIG_IGN);          /* so the leader may hand the terminal over */
        tcsetpgrp(fd, bg);
        kill(bg, SIGCONT);
        write(report[1], "W", 1);          /* the parent types "fg" now */
        waitpid(bg, &st, 0);
        len = snprintf(line, sizeof line, "made foreground: read it, status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        write(report[1], line, len);
        tcsetpgrp(fd, getpgrp());
        signal(SIGTTOU, SIG_DFL);

        struct termios t;
        tcgetattr(fd, &t);
        t.c_lflag |= TOSTOP;
        tcsetattr(fd, TCSANOW, &t);
        bg = fork();
        if (bg == 0) {
            setpgid(0, 0);
            ssize_t r = write(fd, "bgw\n", 4);
            _exit(r == 4 ? 0 : 1);
        }
        setpgid(bg, bg);
        waitpid(bg, &st, WUNTRACED);
        len = snprintf(line, sizeof line, "background write with TOSTOP: stopped %d by %s\n", WIFSTOPPED(st), WIFSTOPPED(st) ? strsignal(WSTOPSIG(st)) : "-");
        write(report[1], line, len);
        kill(bg, SIGKILL);
        waitpid(bg, &st, 0);

        bg = fork();
        if (bg == 0) {
            setpgid(0, 0);
            signal(SIGTTOU, SIG_IGN);
            ssize_t w = write(fd, "ok\n", 3);
            signal(SIGTTIN, SIG_IGN);
            char b[4];
            ssize_t r = read(fd, b, sizeof b);
            _exit((w == 3 ? 0 : 1) | (r < 0 && errno == EIO ? 0 : 2));
        }
        setpgid(bg, bg);
        waitpid(bg, &st, 0);
        len = snprintf(line, sizeof line, "SIGTTOU ignored writes, SIGTTIN ignored reads EIO: status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        write(report[1], line, len);
        pid_t other = -1;
        len = snprintf(line, sizeof line, "TIOCSPGRP -1: %s, to a missing group: %s\n",
                       t_result(ioctl(fd, TIOCSPGRP, &other)), t_result((other = 0x7ffffff0, ioctl(fd, TIOCSPGRP, &other))));
        write(report[1], line, len);
        _exit(0);
    }
    close(report[1]);
    char buf[512];
    int got_n = 0;
    while (got_n < (int)sizeof buf - 1) {
        ssize_t n = read(report[0], buf + got_n, 1);
        if (n <= 0) break;
        if (buf[got_n] == 'W') { CHECK_SYS(write(m, "fg\n", 3)); continue; }
        got_n++;
    }
    fwrite(buf, 1, got_n, stdout);
    t_wait_ok(leader, "jobs leader");
    int n = rd(m, buf, 8);
    show("master saw", buf, n);
    close(report[0]);
    close(s);
    close(m);
}

static void hangups(void)
{
    int m, s;
    pair(&m, &s);
    char name[64];
    strcpy(name, ttyname(s));
    int ready[2];
    CHECK_SYS(pipe(ready));
    pid_t c = t_fork();
    if (c == 0) {
        close(m);
        close(s);
        catch(SIGHUP);
        catch(SIGCONT);
        int fd = session_child(name);
        write(ready[1], "r", 1);
        while (!got[SIGHUP]) pause();
        char b[8];
        ssize_t r = read(fd, b, sizeof b);
        ssize_t w = write(fd, "x", 1);
        int werr = errno;
        struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
        poll(&p, 1, 0);
        int tty = open("/dev/tty", O_RDWR);
        /* Report through the exit status: each part a bit. */
        _exit((got[SIGCONT] ? 1 : 0) | (r == 0 ? 2 : 0) | (w < 0 && werr == EIO ? 4 : 0) | ((p.revents & POLLHUP) ? 8 : 0)
              | (tty < 0 && errno == ENXIO ? 16 : 0));
    }
    close(ready[1]);
    char b;
    CHECK(read(ready[0], &b, 1) == 1, "hangup child not ready");
    close(s);
    close(m);
    int st = t_wait(c);
    printf("master closed: leader status %d (SIGCONT 1, read 0 2, write EIO 4, POLLHUP 8, /dev/tty ENXIO 16)\n",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    close(ready[0]);

    pair(&m, &s);
    char buf[8];
    close(s);
    struct pollfd p = { m, POLLIN, 0 };
    poll(&p, 1, 1000);
    printf("slave closed: master poll POLLHUP %d, read %s\n", !!(p.revents & POLLHUP), t_result(read(m, buf, sizeof buf)));
    close(m);
}

/* The kernel's struct termios, which TIOCGLCKTRMIOS/TIOCSLCKTRMIOS take as it is (glibc's
 * differs on PowerPC: c_line before c_cc there). VINTR is 0 in both. */
struct kernel_termios {
    unsigned int c_iflag, c_oflag, c_cflag, c_lflag;
#ifdef __powerpc__
    unsigned char c_cc[19], c_line;
    unsigned int c_ispeed, c_ospeed;
#else
    unsigned char c_line, c_cc[19];
#endif
};

/* The locked termios (TIOCGLCKTRMIOS/TIOCSLCKTRMIOS, the pair's, as root) and TIOCSTI. */
static void locked_and_simulated(void)
{
    int m, s;
    CHECK_SYS(openpty(&m, &s, NULL, NULL, NULL));
    struct kernel_termios lock;
    struct termios t;
    memset(&lock, 0xff, sizeof lock);
    CHECK_SYS(ioctl(s, TIOCGLCKTRMIOS, &lock));
    int zero = 1;
    for (int i = 0; i < 19; i++) zero &= lock.c_cc[i] == 0;  /* the kernel's NCCS */
    printf("locked termios at first all zero: %s\n", yesno(lock.c_iflag == 0 && lock.c_oflag == 0 && lock.c_cflag == 0 &&
                                                           lock.c_lflag == 0 && lock.c_line == 0 && zero));
    /* Lock ECHO (set) and VINTR through the master: the slave's changes keep them. */
    memset(&lock, 0, sizeof lock);
    lock.c_lflag = ECHO;
    lock.c_cc[VINTR] = 1;
    printf("TIOCSLCKTRMIOS on the master: %s\n", t_result(ioctl(m, TIOCSLCKTRMIOS, &lock)));
    struct kernel_termios back;
    CHECK_SYS(ioctl(s, TIOCGLCKTRMIOS, &back));
    printf("the slave reads the lock: %s\n", yesno(back.c_lflag == ECHO && back.c_cc[VINTR] == 1));
    CHECK_SYS(tcgetattr(s, &t));
    t.c_lflag &= ~(ECHO | ICANON);
    t.c_cc[VINTR] = 7;
    t.c_cc[VQUIT] = 9;
    CHECK_SYS(tcsetattr(s, TCSANOW, &t));
    CHECK_SYS(tcgetattr(s, &t));
    printf("after tcsetattr: ECHO kept %d, ICANON cleared %d, VINTR kept %d, VQUIT changed %d\n", !!(t.c_lflag & ECHO),
           !(t.c_lflag & ICANON), t.c_cc[VINTR] == 3, t.c_cc[VQUIT] == 9);
    printf("TIOCGLCKTRMIOS at a bad pointer: %s\n", t_result(ioctl(s, TIOCGLCKTRMIOS, (void *)8)));
    memset(&lock, 0, sizeof lock);
    CHECK_SYS(ioctl(s, TIOCSLCKTRMIOS, &lock));
    /* TIOCSTI: the bytes are input, as if typed (non-canonical now, ECHO on: echoed too). */
    const char *typed = "ab";
    for (const char *c = typed; *c; c++) CHECK_SYS(ioctl(s, TIOCSTI, c));
    char buf[16];
    int n = rd(s, buf, 2);
    printf("TIOCSTI on the slave: the slave reads \"%.*s\"", n, buf);
    n = rd(m, buf, 2);
    printf(", the master reads the echo \"%.*s\"\n", n, buf);
    printf("TIOCSTI at a bad pointer: %s\n", t_result(ioctl(s, TIOCSTI, (void *)8)));
    close(s);
    close(m);
}

/* Packet mode (TIOCPKT on the master): data reads start with TIOCPKT_DATA; flushes, flow
 * control and IXON changes come as one status byte, with POLLPRI. */
static void packet_mode(void)
{
    int m, s;
    CHECK_SYS(openpty(&m, &s, NULL, NULL, NULL));
    int on = 1, got = -1;
    CHECK_SYS(ioctl(m, TIOCGPKT, &got));
    printf("TIOCGPKT at first: %d\n", got);
    printf("TIOCPKT 1: %s\n", t_result(ioctl(m, TIOCPKT, &on)));
    CHECK_SYS(ioctl(m, TIOCGPKT, &got));
    printf("TIOCGPKT: %d\n", got);
    struct pollfd p = { m, POLLIN | POLLPRI, 0 };
    printf("nothing yet: poll %d\n", poll(&p, 1, 0));
    CHECK_SYS(write(s, "hi", 2));
    unsigned char buf[16];
    int n = rd(m, (char *)buf, 3);
    printf("data: %d bytes, first %d, then \"%.*s\"\n", n, n > 0 ? buf[0] : -1, n > 1 ? n - 1 : 0, buf + 1);
    CHECK_SYS(tcflush(s, TCIFLUSH));
    p.revents = 0;
    poll(&p, 1, 1000);
    printf("slave TCIFLUSH: POLLPRI %d POLLIN %d", !!(p.revents & POLLPRI), !!(p.revents & POLLIN));
    n = read(m, buf, sizeof buf);
    printf(", read %d byte(s): %d\n", n, n > 0 ? buf[0] : -1);
    CHECK_SYS(tcflush(s, TCOFLUSH));
    n = read(m, buf, sizeof buf);
    printf("slave TCOFLUSH: read %d byte(s): %d\n", n, n > 0 ? buf[0] : -1);
    CHECK_SYS(tcflow(s, TCOOFF));
    n = read(m, buf, sizeof buf);
    printf("TCOOFF: %d byte(s): %d\n", n, n > 0 ? buf[0] : -1);
    CHECK_SYS(tcflow(s, TCOON));
    n = read(m, buf, sizeof buf);
    printf("TCOON: %d byte(s): %d\n", n, n > 0 ? buf[0] : -1);
    struct termios t;
    CHECK_SYS(tcgetattr(s, &t));
    t.c_iflag &= ~IXON;
    CHECK_SYS(tcsetattr(s, TCSANOW, &t));
    n = read(m, buf, sizeof buf);
    printf("IXON off: %d byte(s): %d\n", n, n > 0 ? buf[0] : -1);
    t.c_iflag |= IXON;
    CHECK_SYS(tcsetattr(s, TCSANOW, &t));
    n = read(m, buf, sizeof buf);
    printf("IXON on: %d byte(s): %d\n", n, n > 0 ? buf[0] : -1);
    /* A one-byte read of data gets the TIOCPKT_DATA byte alone. */
    CHECK_SYS(write(s, "x", 1));
    rd(m, (char *)buf, 0);
    p.revents = 0;
    poll(&p, 1, 1000);
    n = read(m, buf, 1);
    printf("one-byte read: %d byte(s): %d", n, n > 0 ? buf[0] : -1);
    n = read(m, buf, sizeof buf);
    printf(", then %d: %d '%c'\n", n, n > 0 ? buf[0] : -1, n > 1 ? buf[1] : '?');
    int off = 0;
    CHECK_SYS(ioctl(m, TIOCPKT, &off));
    CHECK_SYS(write(s, "y", 1));
    n = rd(m, (char *)buf, 1);
    printf("TIOCPKT 0: plain data again: %s\n", yesno(n == 1 && buf[0] == 'y'));
    printf("TIOCPKT at a bad pointer: %s\n", t_result(ioctl(m, TIOCPKT, (void *)8)));
    close(s);
    close(m);
}

int main(void)
{
    t_init("pty");
    basics();
    discipline();
    signals();
    jobs();
    hangups();
    locked_and_simulated();
    packet_mode();
    t_done();
}
