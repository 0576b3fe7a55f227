/* Writing the SysV limits /proc/sys/kernel/{msgmax, msgmnb, msgmni, sem,
 * shmmax, shmall, shmmni}: a value Linux refuses fails with EINVAL at the
 * write (nothing set), a good one is set at once (seen by a read and by a
 * msgsnd, before the fd is closed), extra values, octal and hex as Linux
 * parses them, sem's partial vectors and its semmni check, writev. Run as
 * root in a new IPC namespace natively. */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/uio.h>
#include "sysv_util.h"

static void show(const char *f)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/sys/kernel/%s", f);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    for (char *p = buf; *p; p++)
        if (*p == '\t')
            *p = ' ';
    printf("  %s: %s", f, n > 0 ? buf : "?\n");
    if (fd >= 0)
        close(fd);
}

static void put(const char *f, const char *v)
{
    char path[64], what[96];
    snprintf(path, sizeof path, "/proc/sys/kernel/%s", f);
    int fd = open(path, O_WRONLY);
    snprintf(what, sizeof what, "write %s [%s]", f, v);
    SHOW(what, write(fd, v, strlen(v)));
    close(fd);
    show(f);
}

int main(void)
{
    static const char *const ints[] = { "msgmax", "msgmnb", "msgmni", "shmmni" };
    static const char *const vals[] = { "-1", "abc", "5x", "+3", "\n", "40000", "2147483648",
                                        "0x10", "010", " 7\n", "9 x", "-0", "100" };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        for (size_t k = 0; k < sizeof vals / sizeof *vals; k++)
            put(ints[i], vals[k]);
    static const char *const ulongs[] = { "shmmax", "shmall" };
    static const char *const uvals[] = { "-1", "abc", "18446744073709551616", "18446744073709551615",
                                         "0x10", "4096" };
    for (size_t i = 0; i < 2; i++)
        for (size_t k = 0; k < sizeof uvals / sizeof *uvals; k++)
            put(ulongs[i], uvals[k]);
    static const char *const svals[] = { "250 32000 32 128", "250 32000 32 40000", "abc", "1 2 3",
                                         "5 6 7 8 9", "11 12 13 -1", "21 x", "-1 1 1 1", "250 32000 32 128" };
    for (size_t k = 0; k < sizeof svals / sizeof *svals; k++)
        put("sem", svals[k]);

    /* applied at the write, before the close: msgmax holds for msgsnd */
    int fd = open("/proc/sys/kernel/msgmax", O_WRONLY);
    struct iovec iov[2] = { { "5", 1 }, { "0\n", 2 } };
    SHOW("writev msgmax [5 0\\n]", writev(fd, iov, 2));
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct { long type; char text[64]; } m = { 1, "" };
    SHOW("msgsnd of 51 bytes, msgmax 50, its fd still open", msgsnd(q, &m, 51, IPC_NOWAIT));
    SHOW("msgsnd of 50 bytes", msgsnd(q, &m, 50, IPC_NOWAIT));
    SHOW("read of the fd opened for writing", read(fd, m.text, 8));
    close(fd);
    msgctl(q, IPC_RMID, NULL);
    show("msgmax");
    return 0;
}
