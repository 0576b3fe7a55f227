/* The RPC stream between picoprocesses of one sandbox (libos/rpc.c;
 * proto/rpc.proto): for what the host cannot carry between them, a signal
 * into another launch's Landlock domain (another host uid) or the state of
 * a process the host does not let us read. Each picoprocess listens at an
 * address it registers with nsd (Register.stream), served by a helper
 * thread; peers prove the sandbox's secret. */
#ifndef LIBOS_RPC_H
#define LIBOS_RPC_H

#include <stddef.h>
#include "signal.h"
#include "nsd.h"

/* The directory of the sandbox's stream sockets (beside nsd's socket; made
 * by nsd), NULL when nsd is reached over TCP. For Landlock. */
const char *rpc_dir(void);
/* The stream address of this launch's picoprocess with host pid host_pid
 * into buf (size >= 108); "" without a stream directory. */
void rpc_address(int host_pid, char *buf, size_t size);
/* Start-up, once the seccomp filter is in place (the helper thread must be
 * filtered like every thread), and in a fork child (the parent's listener
 * is the parent's): listen at our address. */
void rpc_start(void);
/* From the host signal handler: sig and si are the listener's SIGIO (a
 * peer connects); rpc_wakeup then starts the helper thread unless one runs. */
bool rpc_is_wakeup(int sig, const siginfo_t *si);
void rpc_wakeup(void);
/* At exit: the socket's name goes (safe from a host signal handler). */
void rpc_end(void);

/* Signal sig to process p through its stream: code as send_marked's (the
 * app's SI_* code), tid a target thread or 0, uinfo the app's own info or
 * NULL. 0 or -errno (-EPERM without a stream to reach it). */
long rpc_signal(const Nsd__Proc *p, int sig, int code, int tid, const siginfo_t *uinfo);
/* What p tells about itself (procfs_self_file's files) into *text
 * (malloc'd, NUL-terminated, *len bytes before the NUL). 0 or -errno. */
int rpc_proc_read(const Nsd__Proc *p, const char *file, char **text, size_t *len);

#endif
