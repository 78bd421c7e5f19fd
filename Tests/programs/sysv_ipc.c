/*
 * System V IPC: message queues (types 0, >0, <0, MSG_EXCEPT, MSG_NOERROR/E2BIG, IPC_NOWAIT,
 * blocking woken by another process, EIDRM at IPC_RMID, EINTR whatever SA_RESTART says,
 * IPC_STAT/IPC_SET/IPC_INFO, keys with IPC_CREAT/IPC_EXCL), semaphore sets (SETVAL/GETVAL/
 * SETALL/GETALL, atomic arrays, IPC_NOWAIT, ERANGE, EFBIG, E2BIG, semtimedop timeouts,
 * GETZCNT/GETNCNT/GETPID, SEM_UNDO at exit, EIDRM) and shared memory segments (attach,
 * fork inheritance, shm_nattch, SHM_RDONLY, SHM_RND, SHM_REMAP, IPC_RMID while attached,
 * SHM_LOCK, /proc/sysvipc/shm). Ids and times are never printed.
 */
#include "testutil.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <sys/time.h>
#include <sys/mman.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *__buf; };
struct msg { long type; char text[64]; };

static void on_alarm(int sig) { (void)sig; }

static void sleep_ms(int ms)
{
    struct timespec ts = { 0, ms * 1000000L };
    nanosleep(&ts, NULL);
}

static long snd(int q, long type, const char *text, int flags)
{
    struct msg m;
    m.type = type;
    snprintf(m.text, sizeof m.text, "%s", text);
    return msgsnd(q, &m, strlen(text) + 1, flags);
}

static void messages(void)
{
    struct msg m;
    struct msqid_ds ds;
    struct msginfo info;
    int q = msgget(IPC_PRIVATE, 0600);
    CHECK_SYS(q);
    CHECK_SYS(snd(q, 1, "one", 0));
    CHECK_SYS(snd(q, 3, "three", 0));
    CHECK_SYS(snd(q, 2, "two-a", 0));
    CHECK_SYS(snd(q, 2, "two-b", 0));
    CHECK_SYS(msgctl(q, IPC_STAT, &ds));
    printf("msg: qnum %lu cbytes %lu qbytes %lu mode %o\n", (unsigned long)ds.msg_qnum,
           (unsigned long)ds.msg_cbytes, (unsigned long)ds.msg_qbytes, ds.msg_perm.mode & 0777);
    printf("msg: lspid is me %s\n", yesno(ds.msg_lspid == getpid()));
    long n = msgrcv(q, &m, sizeof m.text, 2, 0);
    printf("msg: type 2 -> %ld %s (%ld)\n", m.type, m.text, n);
    n = msgrcv(q, &m, sizeof m.text, -3, 0);
    printf("msg: type -3 -> %ld %s\n", m.type, m.text);
    n = msgrcv(q, &m, sizeof m.text, 2, MSG_EXCEPT);
    printf("msg: except 2 -> %ld %s\n", m.type, m.text);
    CHECK_ERR(msgrcv(q, &m, 2, 0, 0), E2BIG);
    n = msgrcv(q, &m, 2, 0, MSG_NOERROR);
    printf("msg: noerror -> %ld bytes, type %ld, '%c%c'\n", n, m.type, m.text[0], m.text[1]);
    CHECK_ERR(msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT), ENOMSG);
    CHECK_ERR(snd(q, 0, "zero", 0), EINVAL);
    CHECK_ERR(snd(q, -5, "neg", 0), EINVAL);
    CHECK_ERR(msgsnd(q, &m, 8193, 0), EINVAL);
    CHECK_ERR(msgsnd(-1, &m, 4, 0), EINVAL);
    CHECK_ERR(msgrcv(q, &m, (size_t)-1, 0, IPC_NOWAIT), EINVAL);
    CHECK_ERR(msgctl(q, 999, &ds), EINVAL);
    int max = msgctl(0, IPC_INFO, (struct msqid_ds *)&info);
    printf("msg: info ok %s msgmax %d msgmnb %d\n", yesno(max >= 0), info.msgmax, info.msgmnb);

    /* A smaller queue fills up. */
    ds.msg_qbytes = 12;
    CHECK_SYS(msgctl(q, IPC_SET, &ds));
    CHECK_SYS(snd(q, 1, "0123456789", 0));
    CHECK_ERR(snd(q, 1, "x", IPC_NOWAIT), EAGAIN);
    CHECK_SYS(msgrcv(q, &m, sizeof m.text, 0, 0));

    /* A receiver blocked for type 7, woken by another process's send. */
    int p[2];
    CHECK_SYS(pipe(p));
    pid_t c = t_fork();
    if (c == 0) {
        long r = msgrcv(q, &m, sizeof m.text, 7, 0);
        _exit(r == 6 && m.type == 7 && strcmp(m.text, "seven") == 0 ? 0 : 1);
    }
    sleep_ms(20);
    CHECK_SYS(snd(q, 5, "five", 0));
    CHECK_SYS(snd(q, 7, "seven", 0));
    t_wait_ok(c, "blocked msgrcv");
    CHECK_SYS(msgctl(q, IPC_STAT, &ds));
    printf("msg: after child qnum %lu lrpid is child %s\n", (unsigned long)ds.msg_qnum, yesno(ds.msg_lrpid == c));

    /* A signal ends a blocked msgrcv with EINTR even with SA_RESTART. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, 0 }, { 0, 20000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    CHECK_ERR(msgrcv(q, &m, sizeof m.text, 9, 0), EINTR);
    printf("msg: EINTR with SA_RESTART\n");

    /* IPC_RMID wakes a blocked receiver with EIDRM. */
    c = t_fork();
    if (c == 0) {
        errno = 0;
        long r = msgrcv(q, &m, sizeof m.text, 9, 0);
        _exit(r == -1 && errno == EIDRM ? 0 : 1);
    }
    sleep_ms(20);
    CHECK_SYS(msgctl(q, IPC_RMID, NULL));
    t_wait_ok(c, "EIDRM");
    printf("msg: EIDRM for the sleeper\n");
    CHECK_ERR(msgctl(q, IPC_STAT, &ds), EINVAL);
    CHECK_ERR(snd(q, 1, "gone", 0), EINVAL);

    /* Keys. */
    key_t key = 0x756d0000 | (getpid() & 0xffff);
    int k = msgget(key, IPC_CREAT | IPC_EXCL | 0640);
    CHECK_SYS(k);
    CHECK_ERR(msgget(key, IPC_CREAT | IPC_EXCL | 0640), EEXIST);
    printf("msg: same key same id %s\n", yesno(msgget(key, 0) == k));
    CHECK_SYS(msgctl(k, IPC_RMID, NULL));
    CHECK_ERR(msgget(key, 0), ENOENT);
}

static void semaphores(void)
{
    union semun arg;
    unsigned short vals[3];
    struct semid_ds ds;
    struct sembuf op[2];
    int s = semget(IPC_PRIVATE, 3, 0600);
    CHECK_SYS(s);
    CHECK_ERR(semget(IPC_PRIVATE, 0, 0600), EINVAL);
    CHECK_ERR(semget(IPC_PRIVATE, 32001, 0600), EINVAL);
    CHECK_ERR(semget(IPC_PRIVATE, -1, 0600), EINVAL);
    arg.buf = &ds;
    CHECK_SYS(semctl(s, 0, IPC_STAT, arg));
    printf("sem: nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777);
    arg.val = 5;
    CHECK_SYS(semctl(s, 1, SETVAL, arg));
    printf("sem: getval %d\n", semctl(s, 1, GETVAL));
    vals[0] = 1; vals[1] = 2; vals[2] = 3;
    arg.array = vals;
    CHECK_SYS(semctl(s, 0, SETALL, arg));
    memset(vals, 0, sizeof vals);
    CHECK_SYS(semctl(s, 0, GETALL, arg));
    printf("sem: getall %u %u %u\n", vals[0], vals[1], vals[2]);
    arg.val = -1;
    CHECK_ERR(semctl(s, 0, SETVAL, arg), ERANGE);
    arg.val = 32768;
    CHECK_ERR(semctl(s, 0, SETVAL, arg), ERANGE);
    CHECK_ERR(semctl(s, 3, GETVAL), EINVAL);
    CHECK_ERR(semctl(s, -1, GETVAL), EINVAL);

    /* An array applies all or nothing. */
    op[0] = (struct sembuf){ 0, -1, IPC_NOWAIT };
    op[1] = (struct sembuf){ 1, -5, IPC_NOWAIT };
    CHECK_ERR(semop(s, op, 2), EAGAIN);
    printf("sem: after failed array %d %d\n", semctl(s, 0, GETVAL), semctl(s, 1, GETVAL));
    op[1].sem_op = -2;
    CHECK_SYS(semop(s, op, 2));
    printf("sem: after array %d %d pid is me %s\n", semctl(s, 0, GETVAL), semctl(s, 1, GETVAL),
           yesno(semctl(s, 1, GETPID) == getpid()));
    /* The same semaphore twice in one array. */
    op[0] = (struct sembuf){ 2, 4, 0 };
    op[1] = (struct sembuf){ 2, -6, 0 };
    CHECK_SYS(semop(s, op, 2));
    printf("sem: twice -> %d\n", semctl(s, 2, GETVAL));
    arg.val = 32767;
    CHECK_SYS(semctl(s, 0, SETVAL, arg));
    op[0] = (struct sembuf){ 0, 1, 0 };
    CHECK_ERR(semop(s, op, 1), ERANGE);
    op[0] = (struct sembuf){ 3, 1, 0 };
    CHECK_ERR(semop(s, op, 1), EFBIG);
    CHECK_ERR(semop(s, op, 0), EINVAL);
    static struct sembuf many[501];
    CHECK_ERR(semop(s, many, 501), E2BIG);
    CHECK_ERR(semop(-1, op, 1), EINVAL);

    /* semtimedop: a timeout ends the wait with EAGAIN; a bad timespec is EINVAL. */
    arg.val = 0;
    CHECK_SYS(semctl(s, 0, SETVAL, arg));
    op[0] = (struct sembuf){ 0, -1, 0 };
    struct timespec ts = { 0, 20000000 };
    CHECK_ERR(semtimedop(s, op, 1, &ts), EAGAIN);
    ts.tv_nsec = 1000000000;
    CHECK_ERR(semtimedop(s, op, 1, &ts), EINVAL);

    /* A child waits for zero, one for an increase: GETZCNT and GETNCNT see them. */
    arg.val = 1;
    CHECK_SYS(semctl(s, 1, SETVAL, arg));
    pid_t z = t_fork();
    if (z == 0) {
        struct sembuf w = { 1, 0, 0 };
        _exit(semop(s, &w, 1) == 0 ? 0 : 1);
    }
    pid_t n = t_fork();
    if (n == 0) {
        struct sembuf w = { 0, -1, 0 };
        _exit(semop(s, &w, 1) == 0 ? 0 : 1);
    }
    int tries = 0;
    while ((semctl(s, 1, GETZCNT) != 1 || semctl(s, 0, GETNCNT) != 1) && tries++ < 500)
        sleep_ms(2);
    printf("sem: zcnt %d ncnt %d\n", semctl(s, 1, GETZCNT), semctl(s, 0, GETNCNT));
    op[0] = (struct sembuf){ 1, -1, 0 };
    op[1] = (struct sembuf){ 0, 1, 0 };
    CHECK_SYS(semop(s, op, 2));
    t_wait_ok(z, "wait for zero");
    t_wait_ok(n, "wait for increase");
    printf("sem: both woken, zcnt %d ncnt %d val0 %d\n", semctl(s, 1, GETZCNT), semctl(s, 0, GETNCNT), semctl(s, 0, GETVAL));

    /* SEM_UNDO: a child's adjustments are undone at its exit. */
    arg.val = 10;
    CHECK_SYS(semctl(s, 2, SETVAL, arg));
    pid_t u = t_fork();
    if (u == 0) {
        struct sembuf w[2] = { { 2, -3, SEM_UNDO }, { 2, 1, SEM_UNDO } };
        if (semop(s, w, 2) != 0) _exit(1);
        _exit(semctl(s, 2, GETVAL) == 8 ? 0 : 2);
    }
    t_wait_ok(u, "SEM_UNDO child");
    printf("sem: after undo %d\n", semctl(s, 2, GETVAL));

    /* IPC_RMID wakes sleepers with EIDRM. */
    u = t_fork();
    if (u == 0) {
        struct sembuf w = { 0, -100, 0 };
        errno = 0;
        _exit(semop(s, &w, 1) == -1 && errno == EIDRM ? 0 : 1);
    }
    sleep_ms(20);
    CHECK_SYS(semctl(s, 0, IPC_RMID));
    t_wait_ok(u, "semop EIDRM");
    printf("sem: EIDRM for the sleeper\n");
    CHECK_ERR(semctl(s, 0, GETVAL), EINVAL);

    key_t key = 0x756e0000 | (getpid() & 0xffff);
    int k = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    CHECK_SYS(k);
    CHECK_ERR(semget(key, 3, 0), EINVAL);
    printf("sem: key with fewer %s\n", yesno(semget(key, 1, 0) == k && semget(key, 0, 0) == k));
    CHECK_SYS(semctl(k, 0, IPC_RMID));
}

static int count_in_proc(int id)
{
    char line[512];
    int found = 0;
    FILE *f = fopen("/proc/sysvipc/shm", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f)) {
        int key, shmid;
        if (sscanf(line, "%d %d", &key, &shmid) == 2 && shmid == id) found++;
    }
    fclose(f);
    return found;
}

static void shared_memory(void)
{
    struct shmid_ds ds;
    long page = sysconf(_SC_PAGESIZE);
    int id = shmget(IPC_PRIVATE, 10000, 0600);
    CHECK_SYS(id);
    CHECK_ERR(shmget(IPC_PRIVATE, 0, 0600), EINVAL);
    CHECK_ERR(shmat(-1, NULL, 0), EINVAL);
    char *a = shmat(id, NULL, 0);
    CHECK(a != (void *)-1, "shmat: %s", errname(errno));
    printf("shm: zeroed %s aligned %s\n", yesno(a[0] == 0 && a[9999] == 0), yesno(((unsigned long)a & (page - 1)) == 0));
    strcpy(a, "parent");
    CHECK_SYS(shmctl(id, IPC_STAT, &ds));
    printf("shm: segsz %lu nattch %lu mode %o cpid is me %s\n", (unsigned long)ds.shm_segsz,
           (unsigned long)ds.shm_nattch, ds.shm_perm.mode & 0777, yesno(ds.shm_cpid == getpid()));
    printf("shm: in /proc/sysvipc/shm %d\n", count_in_proc(id));

    /* A forked child shares the attachment. */
    int p[2], q[2];
    CHECK_SYS(pipe(p));
    CHECK_SYS(pipe(q));
    pid_t c = t_fork();
    if (c == 0) {
        char ch;
        int ok = strcmp(a, "parent") == 0;
        strcpy(a + 100, "child");
        if (write(p[1], "x", 1) != 1) _exit(3);
        if (read(q[0], &ch, 1) != 1) _exit(4);
        _exit(ok ? 0 : 1);
    }
    char ch;
    CHECK(read(p[0], &ch, 1) == 1, "sync");
    CHECK_SYS(shmctl(id, IPC_STAT, &ds));
    printf("shm: child wrote '%s', nattch %lu\n", a + 100, (unsigned long)ds.shm_nattch);
    CHECK(write(q[1], "x", 1) == 1, "sync");
    t_wait_ok(c, "shm child");
    CHECK_SYS(shmctl(id, IPC_STAT, &ds));
    printf("shm: after exit nattch %lu\n", (unsigned long)ds.shm_nattch);

    /* A second attachment, read-only: a write is SIGSEGV. */
    char *r = shmat(id, NULL, SHM_RDONLY);
    CHECK(r != (void *)-1, "shmat rdonly: %s", errname(errno));
    printf("shm: read-only view '%s'\n", r);
    c = t_fork();
    if (c == 0) { r[0] = 'x'; _exit(0); }
    int st = t_wait(c);
    printf("shm: write to read-only: %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : "no signal");
    CHECK_SYS(shmdt(r));
    CHECK_ERR(shmdt(r), EINVAL);
    CHECK_ERR(shmdt(a + 1), EINVAL);

    /* Addresses: unaligned is EINVAL unless SHM_RND; SHM_REMAP needs one; a busy range is EINVAL. */
    CHECK_ERR(shmat(id, a + 1, 0), EINVAL);
    CHECK_ERR(shmat(id, NULL, SHM_REMAP), EINVAL);
    CHECK_ERR(shmat(id, a, 0), EINVAL);
    char *free_at = mmap(NULL, 4 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(free_at, 4 * page);
    char *rnd = shmat(id, free_at + 5, SHM_RND);
    printf("shm: SHM_RND rounds down %s, same data %s\n", yesno(rnd == free_at), yesno(rnd != (void *)-1 && strcmp(rnd, "parent") == 0));
    char *over = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *re = shmat(id, over, SHM_REMAP);
    printf("shm: SHM_REMAP over a mapping %s\n", yesno(re == over && strcmp(re, "parent") == 0));
    CHECK_SYS(shmdt(rnd));
    CHECK_SYS(shmdt(re));
    CHECK_SYS(shmctl(id, SHM_LOCK, NULL));
    CHECK_SYS(shmctl(id, IPC_STAT, &ds));
    printf("shm: locked %s\n", yesno(ds.shm_perm.mode & SHM_LOCKED));
    CHECK_SYS(shmctl(id, SHM_UNLOCK, NULL));

    /* IPC_RMID while attached: marked, key gone, still usable until the last detach. */
    key_t key = 0x756f0000 | (getpid() & 0xffff);
    int k = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    CHECK_SYS(k);
    CHECK_ERR(shmget(key, 8192, 0), EINVAL);
    char *b = shmat(k, NULL, 0);
    CHECK(b != (void *)-1, "shmat key");
    strcpy(b, "kept");
    CHECK_SYS(shmctl(k, IPC_RMID, NULL));
    CHECK_SYS(shmctl(k, IPC_STAT, &ds));
    printf("shm: removed: dest %s key %d nattch %lu data '%s'\n", yesno(ds.shm_perm.mode & SHM_DEST),
           (int)ds.shm_perm.__key, (unsigned long)ds.shm_nattch, b);
    CHECK_ERR(shmget(key, 4096, 0), ENOENT);
    CHECK_SYS(shmdt(b));
    CHECK_ERR(shmctl(k, IPC_STAT, &ds), EINVAL);
    printf("shm: gone after the last detach\n");

    CHECK_SYS(shmdt(a));
    CHECK_SYS(shmctl(id, IPC_RMID, NULL));
    CHECK_ERR(shmctl(id, IPC_STAT, &ds), EINVAL);
    printf("shm: in /proc/sysvipc/shm after removal %d\n", count_in_proc(id));
    struct shminfo info;
    CHECK_SYS(shmctl(0, IPC_INFO, (struct shmid_ds *)&info));
    printf("shm: shmmin %lu shmmni %lu\n", (unsigned long)info.shmmin, (unsigned long)info.shmmni);
}

int main(void)
{
    t_init("sysv_ipc");
    messages();
    semaphores();
    shared_memory();
    t_done();
}
