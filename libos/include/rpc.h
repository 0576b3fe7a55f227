/* The RPC stream between picoprocesses of one sandbox (libos/rpc.c;
 * proto/rpc.proto): for what the host cannot carry between them, a signal
 * into another launch's Landlock domain (another host uid) or the state of
 * a process the host does not let us read. Each picoprocess listens at the
 * abstract name of an address it registers with nsd (Register.stream), or
 * at that file if the name was taken, served by a helper thread; peers
 * prove the sandbox's secret. */
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
/* Is the abstract name (len bytes after its NUL) a stream listener's? */
bool rpc_is_stream_name(const char *name, size_t len);
/* Start-up, once the seccomp filter is in place (the helper thread must be
 * filtered like every thread), and in a fork child (the parent's listener
 * is the parent's): listen at our address. */
void rpc_start(void);
/* From the host signal handler: sig and si are the listener's SIGIO (a
 * peer connects); rpc_wakeup then starts the helper thread unless one runs. */
bool rpc_is_wakeup(int sig, const siginfo_t *si);
void rpc_wakeup(void);
/* At exit: the socket's file goes, if it listened at one (safe from a
 * host signal handler). */
void rpc_end(void);

/* Signal sig to process p through its stream: code as send_marked's (the
 * app's SI_* code), tid a target thread or 0, uinfo the app's own info or
 * NULL. 0 or -errno (-EPERM without a stream to reach it). */
long rpc_signal(const Nsd__Proc *p, int sig, int code, int tid, const siginfo_t *uinfo);
/* fn(p, arg) on the one process that may have thread tid, which nsd does
 * not record (it records processes, whose main thread's tid is the pid):
 * the holder of the pid lease tid came from (nsd_lease_owner). fn must
 * answer -ESRCH if tid is not p's. fn's answer, or -ESRCH. */
long rpc_on_thread_owner(int tid, long (*fn)(const Nsd__Proc *p, void *arg), void *arg);
/* The record of the other process that has thread tid (asked through its
 * stream), or NULL (free with nsd_free). */
Nsd__Frame *rpc_thread_process(int tid);
/* What p tells about itself (procfs_self_file's files) into *text
 * (malloc'd, NUL-terminated, *len bytes before the NUL). 0 or -errno. */
int rpc_proc_read(const Nsd__Proc *p, const char *file, char **text, size_t *len);

/* A scheduling or limits call made by another process on itself (proto/
 * rpc.proto Sched): nr, which/who and arg as there; data/data_len what it
 * reads, out/out_len where its output goes; the caller's ids. */
struct sched_req {
	int nr, which, who;
	long arg;
	const void *data;
	size_t data_len;
	void *out;
	size_t out_len;
	uint32_t ruid, euid, rgid;
	uint64_t caps;
};
/* Through p's stream, with our ids: the call's value or -errno (-ESRCH when
 * p is gone); out filled with what it wrote. */
long rpc_sched(const Nsd__Proc *p, struct sched_req *r);
/* The server's side (sys/misc.c): the call on ourselves, if r's ids may. */
long sched_serve(const struct sched_req *r);

#endif
