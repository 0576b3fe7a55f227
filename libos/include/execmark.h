/* Which processes of this launch have exec'd, for setpgid's EACCES
 * (execmark.c). */
#ifndef LIBOS_EXECMARK_H
#define LIBOS_EXECMARK_H

#include <stdbool.h>

/* Before the host fork of child pid: it has not exec'd. */
void exec_mark_fork(int pid);
/* At execve's point of no return, before the new program runs. */
void exec_mark_exec(void);
/* Whether process pid of this launch has exec'd since its fork. */
bool exec_mark_seen(int pid);

#endif
