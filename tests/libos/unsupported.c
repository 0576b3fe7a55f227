/* Run under graphene only (logfile.t): calls a system call the libos does
 * not implement three times, and one outside the syscall table, writing
 * its own line to stdout and to stderr. */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    for (int i = 0; i < 3; i++)
        syscall(SYS_acct, NULL);
    syscall(-1L);
    printf("app stdout\n");
    fprintf(stderr, "app stderr\n");
    return 0;
}
