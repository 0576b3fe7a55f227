/* Terminal ioctls in sandbox terms (sys/tty.c). */
#ifndef LIBOS_TTY_H
#define LIBOS_TTY_H

#include <stdint.h>

/* The kernel's own "not mine, try the next handler" (not in its UAPI). */
#define ENOIOCTLCMD 515

/* The requests that name process groups or sessions (translated between
 * sandbox and host ids) or make an fd (TIOCGPTPEER); -ENOIOCTLCMD for any
 * other, which the caller passes on by its allowlist. */
long tty_ioctl(int fd, unsigned long req, uintptr_t arg);

/* Field 8 of a host stat line, the foreground group of the process's
 * terminal, in sandbox terms (procfs): pgid when it is the process's own
 * group (host_pgrp, field 5, in host terms), -1 for no terminal. */
int tty_stat_tpgid(const char *tpgid, const char *host_pgrp, int pgid);

#endif
