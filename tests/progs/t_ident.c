/* Identity and limits the app inherits or sets: the umask, RLIMIT_NOFILE
 * and RLIMIT_STACK, the hostname (uname, /proc/sys/kernel, sethostname). */
#include "testutil.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static void umask_checks(void)
{
    mode_t old = umask(0);
    umask(old);
    printf("initial umask %03o\n", (unsigned)old);
    int fd = open("f", O_CREAT | O_WRONLY, 0666);
    struct stat st;
    CHECK(fd >= 0 && fstat(fd, &st) == 0, "create f");
    printf("file mode %03o\n", (unsigned)(st.st_mode & 0777));
    close(fd);
    CHECK(mkdir("d", 0777) == 0 && stat("d", &st) == 0, "mkdir d");
    printf("dir mode %03o\n", (unsigned)(st.st_mode & 0777));
    unlink("f");
    rmdir("d");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    umask_checks();
    return tu_done();
}
