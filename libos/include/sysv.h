/* System V IPC (libos/sys/sysv*.c). nsd leads the names (key -> id,
 * creation, removal); the objects live in one memfd that the sandbox's
 * first picoprocess creates and every picoprocess forked from it maps
 * MAP_SHARED, so sends, receives, semops and attaches never reach nsd.
 * ARCHITECTURE.md ("System V IPC") has the design. */
#ifndef LIBOS_SYSV_H
#define LIBOS_SYSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/ipc.h>
#include <asm/ipcbuf.h>
#include "nsd.pb-c.h"

/* Capacity of the shared memory (ids keep Linux's layout, seq << 15 |
 * index, with index below these). */
#define SYSV_PROCS 512
#define MSQ_SLOTS 128
#define SEM_SLOTS 1024
#define SHM_SLOTS 4096
#define SYSV_UNDO 64              /* SEM_UNDO records per process */
#define SEM_NSEMS_MAX 256         /* semaphores per set */
/* A queue's messages: a window of the memory per queue, its first cap
 * bytes in use (grown as needed), mapped by each process as it uses them.
 * The worst case of msg_qbytes INT_MAX (that many empty messages, 24 bytes
 * each) fits. */
#define MSQ_WIN (64ULL << 30)
#define SHM_SEG_MAX (4ULL << 30)  /* bytes of one segment at most */
#define SYSV_IDX(id) ((id) & 32767)

/* The sandbox's limits, /proc/sys/kernel/{msgmax,msgmnb,msgmni,sem,shm*}. */
struct sysv_limits {
	int msgmax, msgmnb, msgmni;
	int semmsl, semmns, semopm, semmni;
	uint64_t shmmax, shmall, shmmni;
};

/* What every object starts with. The lock is a futex word holding its
 * holder's tag (its process slot and generation), so a holder that died
 * (SIGKILL) is noticed and the lock taken over. */
struct sysv_lock {
	uint32_t word, waiters;
};
struct sysv_obj {
	struct sysv_lock lock;
	uint32_t event;   /* futex word: bumped by every change waiters wait for */
	uint32_t nwait;   /* threads waiting on event */
	uint32_t wake;    /* changed since locked: wake the waiters at the unlock */
	int32_t id;       /* valid while live */
	uint32_t live;
	struct ipc64_perm perm;
	int64_t ctime;
};

struct sysv_undo {
	int32_t id;
	uint16_t num;
	int16_t adj;
};

/* A picoprocess that uses SysV IPC: its SEM_UNDO adjustments and shm
 * attach counts, cleaned up at its exit or, after a death nobody heard, by
 * whoever finds its liveness lock (a POSIX record lock, which the kernel
 * drops when the process dies) free. */
struct sysv_proc {
	uint32_t state; /* SLOT_FREE, SLOT_CLAIMING, SLOT_LIVE, SLOT_CLEANING */
	uint32_t gen;
	int32_t host_pid, pid;
	struct sysv_undo undo[SYSV_UNDO];
	uint16_t natt[SHM_SLOTS];
};

extern struct sysv_limits *sysv_lim;

/* Start-up of the sandbox's first picoprocess (after nsd_start): creates
 * the shared memory. Elsewhere SysV IPC is not available (ENOSYS). */
void sysv_init(void);
/* In a fork child: the parent's process slot is not ours; inherited shm
 * attachments are counted for the child. */
void sysv_fork_child(void);
/* At execve: every shm attachment is gone with the old program. */
void sysv_exec(void);
/* At the end of the process (exit or a deadly signal the libos handles):
 * applies SEM_UNDO and detaches shm. Safe from a host signal handler. */
void sysv_exit(void);
/* After reaping a child: cleans up after picoprocesses that died unheard. */
void sysv_reap_dead(void);

/* For sys/sysv_*.c. */
struct sysctx;
struct sysv_proc *sysv_self(void);
int sysv_self_slot(void);
struct sysv_proc *sysv_proc_at(int i);
bool sysv_available(void);
void sysv_lock(struct sysv_lock *l);
void sysv_unlock(struct sysv_lock *l);
/* o (locked) changed: its waiters are woken when it is unlocked. */
void sysv_changed(struct sysv_obj *o);
void sysv_obj_unlock(struct sysv_obj *o);
/* Waits for a change of o after `seen` (o unlocked); a deadline (absolute,
 * CLOCK_MONOTONIC ns) or 0. 0, -EINTR or -EAGAIN (deadline passed). */
long sysv_wait(struct sysv_obj *o, uint32_t seen, uint64_t deadline);
int64_t sysv_now(void);
uint64_t sysv_mono_ns(void);
/* Linux's ipcperms: 0 or -EACCES for the rwx bits of flag (S_IRUGO...). */
int sysv_perm_check(const struct ipc64_perm *p, int flag);
/* Owner or creator (or CAP_SYS_ADMIN): for IPC_SET and IPC_RMID. */
bool sysv_is_owner(const struct ipc64_perm *p);
/* IPC_SET of uid, gid, mode (low 9 bits). */
void sysv_perm_set(struct ipc64_perm *p, const struct ipc64_perm *in);
/* nsd's SysvGet: id, or -errno; *obj filled from the reply. slots: the
 * kind's capacity (ids' indexes below it), max_in_use its sysctl limit. */
long sysv_nsd_get(Nsd__SysvKind kind, int32_t key, int flags, uint32_t slots, uint64_t max_in_use,
                  uint64_t size, Nsd__SysvObj *obj, bool *created);
void sysv_nsd_remove(Nsd__SysvKind kind, int32_t id);
/* Sets up o for the id nsd gave (a no-op when already done). */
void sysv_obj_init(struct sysv_obj *o, const Nsd__SysvObj *n);
/* Copies between app and libos memory: -EFAULT instead of a fault (so no
 * shared lock is left held). */
long sysv_copy(void *dst, const void *src, size_t n);
/* MSG_STAT, SEM_STAT, SHM_STAT (any: the *_STAT_ANY form, no read
 * permission needed) of the object o at an index: fill writes its
 * *id64_ds (size bytes) at ds under its lock, which is then copied to
 * ubuf; its id or -errno. */
typedef void (*sysv_fill_fn)(struct sysv_obj *o, void *ds);
long sysv_stat_index(struct sysv_obj *o, bool any, sysv_fill_fn fill, void *ds, size_t size, void *ubuf);
/* The live object at id's slot (locked) or NULL. */
struct sysv_obj *sysv_obj_lock(struct sysv_obj *o, int id);
/* /proc/sysvipc/{msg,sem,shm} lines of the live objects. */
struct text;
typedef void (*sysv_line_fn)(void *arg, const char *line);
void sysv_list_msg(sysv_line_fn fn, void *arg);
void sysv_list_sem(sysv_line_fn fn, void *arg);
void sysv_list_shm(sysv_line_fn fn, void *arg);
/* The contents of /proc/REL when it is a SysV file (sysvipc/{msg,sem,shm},
 * sys/kernel/{msgmax,msgmnb,msgmni,sem,shmmax,shmall,shmmni}): true and
 * the lines given to fn; false for any other file. */
bool sysv_proc_file(const char *rel, sysv_line_fn fn, void *arg);
/* open for writing of /proc/REL: a host fd to install as FD_SYSCTL (a
 * placeholder memfd), -errno, or 0 when REL is not a SysV limit. */
long sysv_sysctl_open_write(const char *rel);
/* A write (niov iovecs at app address uiov) to an FD_SYSCTL fd: the value
 * applied, its length, or -EINVAL as Linux. */
struct iovec;
long sysv_sysctl_write(int fd, const struct iovec *uiov, long niov);
/* sem.c / shm.c cleanup of a process slot. */
void sysv_sem_undo(struct sysv_proc *p);
void sysv_shm_detach_all(struct sysv_proc *p, int slot);
/* In a fork child: the attachments it inherits counted in a slot of its own. */
void sysv_shm_fork_child(void);
/* The app unmapped [addr, addr + len) (munmap, a MAP_FIXED mapping over
 * it): the attachments there are detached, those it cut split. */
void sysv_shm_unmapped(uintptr_t addr, size_t len);
/* mprotect of [addr, addr + len) to prot: before the host call (!done),
 * -EACCES for PROT_WRITE over a SHM_RDONLY attachment, else 0; after it
 * succeeded (done), the attachments it cut are split. */
long sysv_shm_mprotect(uintptr_t addr, size_t len, int prot, bool done);
/* The shm data: the memfd and the offset of slot i's window. */
int sysv_memfd(void);
uint64_t sysv_shm_offset(int slot);
/* The offset of queue slot i's window of messages. */
uint64_t sysv_msq_offset(int slot);

#endif
