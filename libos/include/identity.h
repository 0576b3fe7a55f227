/* The app's identity inside the sandbox (sys/identity.c): virtual uids,
 * gids, supplementary groups and capabilities, with Linux's rules, and the
 * file permission checks they govern (fs/perm.c). None of it is host
 * identity: every picoprocess runs as the sandbox's one host uid without
 * capabilities (tools/confine.c); these ids only decide what the libos
 * lets the app do on top of what the host allows. */
#ifndef LIBOS_IDENTITY_H
#define LIBOS_IDENTITY_H

#include <asm/stat.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>

/* Supplementary groups the libos keeps (Linux: NGROUPS_MAX, 65536). */
#define CRED_NGROUPS 256
/* The capabilities the sandbox knows: those of the build's UAPI headers. */
#define CAP_ALL ((1ull << (CAP_LAST + 1)) - 1)
#define CAP_LAST 40 /* CAP_CHECKPOINT_RESTORE */

/* Process-wide, as glibc keeps them one (its setxid broadcast makes every
 * thread repeat a change; sys/identity.c answers the repeats). Forked
 * with the process, kept by execve (then transformed as execve does). */
struct cred {
	uint32_t ruid, euid, suid, fsuid;
	uint32_t rgid, egid, sgid, fsgid;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bset, cap_amb;
	bool keepcaps;
	bool secure_exec; /* the last execve raised privilege: AT_SECURE */
	int ngroups;
	uint32_t groups[CRED_NGROUPS];
};

extern struct cred cred;

/* What other picoprocesses of the launch see of a process's identity. */
struct cred_view {
	uint32_t ids[8]; /* ruid, euid, suid, fsuid, rgid, egid, sgid, fsgid */
	uint64_t cap_eff, cap_prm, cap_inh;
};
/* Another process's, by sandbox pid, if this launch forked it (lock-free:
 * host signal handlers ask it). */
bool cred_of(int pid, struct cred_view *v);
/* Its real uid (SIGCHLD's and waitid's si_uid); the caller's when unknown. */
uint32_t cred_real_uid(int pid);

/* At start-up, from the manifest's loader.uid / loader.gid. */
int cred_init(void);
/* Writes this process's uids into the sandbox's table (once its sandbox
 * pid is known, and at every change). */
void cred_publish(void);
/* prctl's identity options; -ENOSYS for the others. */
long cred_prctl(long op, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4);
/* The capability is in the effective set. */
bool capable(int cap);
/* execve's transformation of the credentials, at its point of no return. */
void cred_exec(void);
/* Fork: the child's entry of the sandbox's credential table is written by
 * the parent before the host fork, and removed if the fork failed. */
void cred_fork_prepare(int child_pid);
void cred_fork_failed(int child_pid);
/* A reaped process is gone from the table. */
void cred_forget(int pid);
/* Linux's kill permission for sandbox pid `pid` (0 or -EPERM). */
int cred_may_signal(int pid, int sig);
/* Linux's permission to change another process's scheduling or priority,
 * and to read or set its limits: 0, -EPERM, or -ESRCH (not in the table). */
int cred_may_sched(int pid);
int cred_may_prlimit(int pid);

/* fs/perm.c. Access masks as the kernel's MAY_*. */
#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4
/* The app's view of an object's owner: the owner recorded by a virtual
 * chown (an xattr of the host file) or the host's, through the idmap. The
 * object is (dirfd, name) with at_flags as for getxattrat; lookup false
 * (a read-only mount, a made-up node) takes the host's only. */
void owner_to_app(int dirfd, const char *name, int at_flags, bool lookup, uint32_t *uid, uint32_t *gid);
struct resolved;
/* r's (made-up: host device or fd) stat st with the app's owner. */
void fs_app_owner(const struct resolved *r, struct stat *st);
/* The same for the host fstat st of app fd fd. */
void fd_app_owner(int fd, struct stat *st);
/* The checks of a call on resolved r, 0 or -errno: search in r's directory
 * and mask on r if it exists (open, exec, truncate; access with the real
 * ids); write and
 * search in r's directory and, removing from a sticky one, ownership
 * (create, unlink, rmdir, rename, link); ownership or CAP_FOWNER (chmod,
 * utimes with explicit times) or write permission (utimes to now). */
int fs_may_access(const struct resolved *r, int mask, bool real_ids);
int fs_may_change_entry(const struct resolved *r, bool removing);
int fs_may_setattr(const struct resolved *r, bool explicit_times_or_mode);
/* The same on an app view st (an fd's). */
int may_setattr(const struct stat *st, bool explicit_times_or_mode);
/* chown of r, or of the object behind fd (cur: its app view now; fd -1:
 * cannot hold a record); app ids, -1 for no change. */
int fs_chown(const struct resolved *r, uint32_t uid, uint32_t gid);
int owner_change(int fd, const struct stat *cur, uint32_t uid, uint32_t gid);
/* Records the owner of a new object (fd open on it) made by a non-root
 * fsuid or fsgid. */
void fs_record_new(int fd);
/* The xattr name the libos keeps for itself; refused to the app. */
#define OWNER_XATTR "user.graphene.owner"

#endif
