/* The libos as a client of nsd, the namespace leader (libos/nsd.c): the
 * connection, registration, the pid lease and the sandbox pid <-> host pid
 * maps (libos/pids.c). Every picoprocess is registered with nsd before the
 * app runs: pids are always sandbox pids. */
#ifndef LIBOS_NSD_H
#define LIBOS_NSD_H

#include <stdbool.h>
#include "nsd.pb-c.h"

/* Sandbox pids go up to nsd's limit (NSD_PID_MAX, nsd/apply.h), Linux's
 * pid_max on 64-bit and a new PID namespace's default. */
#define SANDBOX_PID_MAX 4194304

/* Start-up: connects and sends the registration as a new root (pid 1 for
 * the first process of a sandbox) with the launch's argv; nsd_started
 * takes the answer, so the app is loaded meanwhile, and sets
 * proc.pid/ppid/pgid/sid (and sends the loaded command line if a #! made
 * it another); 0 or -errno. */
void nsd_start(void);
int nsd_started(void);
/* Waits for the replies of everything sent; 0 or -errno. */
int nsd_flush(void);
/* In a fork child, with the pid the parent took from its lease: drops the
 * parent's connection, connects anew (a new client id) and sends its
 * Register without waiting for the reply; then starts its RPC stream. */
void nsd_child_start(void);
/* After an execve: nsd records the new command line (not awaited). */
void nsd_exec_done(void);
/* In the parent after a fork: registers the child (not awaited) and asks
 * for a Ticket for the next one. */
void nsd_register_child(int pid, int host_pid);
/* Asks nsd (not awaited) for a Ticket, unless one is held or asked for: a
 * fork child with one says hello without waiting for nsd. */
void nsd_ask_ticket(void);
/* Right after the host fork, locks still held: the ticket is the child's. */
void nsd_fork_ticket(bool child);
/* A sandbox pid (or tid) from this process's lease, for a fork or a new
 * thread. Refills the lease ahead of time, so it waits for nsd only when
 * the lease ran dry before a refill came back. -EAGAIN without one. */
int nsd_take_pid(void);

/* Entry into protobuf-c code from any libos thread: %fs on the libos's
 * scratch TCB (the runtime's stack protector reads it), then the app's back. */
unsigned long nsd_fs_enter(void);
void nsd_fs_leave(unsigned long app_fs);
extern ProtobufCAllocator nsd_pb_allocator;
/* A private (libos-range) unix stream socket and the address of path. */
struct sockaddr_un;
int nsd_unix_socket(const char *path, struct sockaddr_un *sa);
/* n bytes from the host's getrandom (fatal if it fails). */
void nsd_random(void *buf, size_t n);

/* A request and its reply (free with nsd_free). Serialized between
 * threads; never interrupted by app signals (the libos's own business).
 * 0 or -errno. */
/* A request frame carrying one body of kind. */
Nsd__Frame nsd_frame(Nsd__Frame__BodyCase kind, void *body);
int nsd_call(Nsd__Frame *req, Nsd__Frame **reply);
void nsd_free(Nsd__Frame *f);
/* nsd_call for a reply that carries an fd: *fd the host fd passed with it
 * (O_CLOEXEC, the caller's), or -1. */
int nsd_call_fd(Nsd__Frame *req, Nsd__Frame **reply, int *fd);
/* The RPC listener of process pid of this host, connected by nsd
 * (StreamConnect): the host fd, or -errno. */
int nsd_stream_connect(int pid);
/* A request whose reply nobody waits for (Reap): sent now, its reply read
 * and dropped with the next call. */
void nsd_send(Nsd__Frame *req);
/* The process ends with wait status wstatus: tells nsd (sent, not
 * awaited; safe from a host signal handler, where it gives up rather than
 * wait for a lock). pid 1 first kills every other process of the sandbox. */
void nsd_exit(int wstatus);
/* From a host signal handler: the host reaped child pid unasked (the app
 * ignores SIGCHLD); the Reap goes to nsd with the next request. */
void nsd_reaped_by_host(int pid);
/* Reap{caller: us, pid}, not awaited; the child is forgotten. */
void nsd_reap(int pid);
/* One proc record (Lookup{pid}); NULL when nsd has none. */
Nsd__Frame *nsd_lookup(int pid);
/* The record of the live process whose pid lease holds tid, which is no
 * process's (Lookup.thread_owner): the one that may have thread tid. */
Nsd__Frame *nsd_lease_owner(int tid);
/* Every process of the sandbox, live, zombie or lost (Ps). */
Nsd__Frame *nsd_ps(void);
/* True when p is no process any more (lost, or reaped while nsd still
 * waits for its own Register, see nsd/apply.c op_reap). */
bool nsd_is_gone(const Nsd__Proc *p);
/* True when p runs on this host (its host pid means something here). */
bool nsd_is_local(const Nsd__Proc *p);
/* The host name this picoprocess registered (the host's nodename). */
const char *nsd_host(void);
/* The live members of a group (pgid), a session (sid) or all (both 0). */
Nsd__Frame *nsd_members(int pgid, int sid);

/* pids.c: sandbox pid <-> host pid. Children are recorded at fork and
 * forgotten when reaped; other picoprocesses are cached from lookups. The
 * maps are read from host signal handlers (SIGCHLD's si_pid). */
void pid_map_add(int pid, int host_pid, bool child);
void pid_map_forget(int pid);
/* The sandbox pid of a host pid; 0 when unknown (no nsd call: handler-safe). */
int pid_from_host(int host_pid);
/* The same, asking nsd on a miss (an orphan adopted by init). */
int pid_from_host_lookup(int host_pid);
/* The host pid of a sandbox pid (asks nsd on a miss); -ESRCH when it has
 * no live or zombie process, -EREMOTE when it runs on another host. */
int pid_to_host(int pid);
/* The same for a pid to wait for: a "lost" record is still a child. */
int pid_to_host_waitable(int pid);
/* In a fork child: the parent's children are not the child's. */
void pid_map_drop_children(void);
/* Whether pid is a child this process forked and has not reaped. */
bool pid_is_child(int pid);
/* Whether this process has children it has not reaped. */
bool pid_map_has_children(void);

/* sys/process.c: the host process group mirroring sandbox group pgid; the
 * sandbox pgid (sid) of sandbox process pid (0: this one). */
long host_pgid_of(int pgid);
long ids_of(long pid, bool sid);

#endif
