/* Terminal attributes through TCGETS/TCSETS*: flags, control characters, speeds, raw mode.
 * Needs a terminal: the tests run it under script(1), which gives it a pseudo-terminal.
 * (PowerPC lays out struct termios and numbers its flag bits differently from x86-64.) */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <errno.h>
#include <sys/ioctl.h>

static void show(const char *what, const struct termios *t)
{
    printf("%s: icanon %d echo %d echoe %d isig %d iexten %d icrnl %d ixon %d opost %d onlcr %d "
           "cs8 %d cread %d parenb %d hupcl %d\n", what,
           !!(t->c_lflag & ICANON), !!(t->c_lflag & ECHO), !!(t->c_lflag & ECHOE), !!(t->c_lflag & ISIG),
           !!(t->c_lflag & IEXTEN), !!(t->c_iflag & ICRNL), !!(t->c_iflag & IXON), !!(t->c_oflag & OPOST),
           !!(t->c_oflag & ONLCR), (t->c_cflag & CSIZE) == CS8, !!(t->c_cflag & CREAD),
           !!(t->c_cflag & PARENB), !!(t->c_cflag & HUPCL));
    printf("%s: intr %d quit %d erase %d kill %d eof %d susp %d start %d stop %d werase %d min %d time %d\n",
           what, t->c_cc[VINTR], t->c_cc[VQUIT], t->c_cc[VERASE], t->c_cc[VKILL], t->c_cc[VEOF],
           t->c_cc[VSUSP], t->c_cc[VSTART], t->c_cc[VSTOP], t->c_cc[VWERASE], t->c_cc[VMIN], t->c_cc[VTIME]);
    printf("%s: ospeed 38400 %d, ispeed 38400 %d, ospeed 115200 %d\n", what,
           cfgetospeed(t) == B38400, cfgetispeed(t) == B38400, cfgetospeed(t) == B115200);
}

int main(void)
{
    struct termios orig, t, back;
    printf("isatty(0) %d isatty(1) %d\n", isatty(0), isatty(1));
    if (tcgetattr(0, &orig) != 0) {
        printf("tcgetattr: %s\n", strerror(errno));
        return 0;
    }
    show("initial", &orig);

    t = orig;
    cfmakeraw(&t);
    t.c_cc[VMIN] = 3; t.c_cc[VTIME] = 7;
    if (tcsetattr(0, TCSANOW, &t) != 0) printf("tcsetattr raw: %s\n", strerror(errno));
    tcgetattr(0, &back);
    show("raw", &back);

    t = orig;
    t.c_lflag &= ~(ECHO | ICANON);
    t.c_cc[VINTR] = 1; t.c_cc[VEOF] = 2; t.c_cc[VSUSP] = 0;
    t.c_cflag = (t.c_cflag & ~CSIZE) | CS7 | PARENB;
    cfsetospeed(&t, B115200);
    cfsetispeed(&t, B115200);
    if (tcsetattr(0, TCSADRAIN, &t) != 0) printf("tcsetattr custom: %s\n", strerror(errno));
    tcgetattr(0, &back);
    show("custom", &back);

    if (tcsetattr(0, TCSAFLUSH, &orig) != 0) printf("tcsetattr restore: %s\n", strerror(errno));
    tcgetattr(0, &back);
    printf("restored identical: %d\n", memcmp(&back.c_iflag, &orig.c_iflag, 16) == 0 &&
           memcmp(back.c_cc, orig.c_cc, NCCS) == 0);
    tcdrain(0); tcflush(0, TCIFLUSH);
    printf("tcgetsid == getsid: %d\n", tcgetsid(0) == getsid(0));
    printf("tcgetpgrp == getpgrp: %d\n", tcgetpgrp(0) == getpgrp());
    printf("termios: done\n");
    return 0;
}
