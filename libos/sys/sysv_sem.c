/* System V semaphores: a set's values in its slot of the shared memory, a
 * semop applied all-or-nothing under the set's lock, waiters sleeping on
 * the set's event word. SEM_UNDO adjustments are kept in the process's
 * slot (sysv.c), so whoever sees the process gone can apply them. */
#include <asm/errno.h>
#include <linux/sem.h>
#include <asm/sembuf.h>
#include <linux/time.h>
#include "host/host.h"
#include "nsd.h"
#include "process.h"
#include "signal.h"
#include "syscall.h"
#include "sysv.h"

struct sem {
	int32_t val, pid;
	uint32_t ncnt, zcnt;
};

struct semset {
	struct sysv_obj o;
	int64_t otime;
	uint32_t nsems;
	struct sem sems[SEM_NSEMS_MAX];
};

const size_t sysv_sem_size = sizeof(struct semset);
void *sysv_area(int kind, int i);

static struct semset *set_at(int id) { return sysv_area(1, SYSV_IDX(id)); }

static long set_lock(int id, struct semset **out)
{
	if (!sysv_available())
		return -ENOSYS;
	if (id < 0 || SYSV_IDX(id) >= SEM_SLOTS)
		return -EINVAL;
	struct semset *s = set_at(id);
	if (!sysv_obj_lock(&s->o, id))
		return -EINVAL;
	*out = s;
	return 0;
}

static long sems_in_use(int *sets, int *max_idx)
{
	long n = 0;
	*sets = *max_idx = 0;
	for (int i = 0; i < SEM_SLOTS; i++) {
		struct semset *s = sysv_area(1, i);
		if (__atomic_load_n(&s->o.live, __ATOMIC_ACQUIRE)) {
			n += s->nsems;
			++*sets;
			*max_idx = i;
		}
	}
	return n;
}

SYS(semget)
{
	int key = (int)c->a[0], nsems = (int)c->a[1], flg = (int)c->a[2];
	if (!sysv_available())
		return -ENOSYS;
	if (nsems < 0 || nsems > sysv_lim->semmsl || nsems > SEM_NSEMS_MAX)
		return -EINVAL;
	/* A new set needs semaphores: nsems 0 only names an existing one. */
	Nsd__SysvObj n;
	bool created;
	int sets, max_idx;
	if ((flg & IPC_CREAT) && (nsems == 0 || sems_in_use(&sets, &max_idx) + nsems > sysv_lim->semmns)) {
		long r = key == IPC_PRIVATE ? -ENOENT
		                            : sysv_nsd_get(NSD__SYSV_KIND__SYSV_SEM, key, flg & ~IPC_CREAT, SEM_SLOTS, 0, 0, &n, &created);
		if (r == -ENOENT)
			return nsems == 0 ? -EINVAL : -ENOSPC;
		if (r < 0)
			return r;
		if (flg & IPC_EXCL)
			return -EEXIST;
	}
	long id = sysv_nsd_get(NSD__SYSV_KIND__SYSV_SEM, key, flg, SEM_SLOTS, (uint64_t)sysv_lim->semmni,
	                       (uint64_t)nsems, &n, &created);
	if (id < 0)
		return id;
	struct semset *s = set_at((int)id);
	sysv_lock(&s->o.lock);
	if (!s->o.live || s->o.id != id) {
		sysv_obj_init(&s->o, &n);
		s->otime = 0;
		s->nsems = (uint32_t)n.size;
		memset(s->sems, 0, sizeof(s->sems));
	}
	long r = 0;
	if (!created && (uint32_t)nsems > s->nsems)
		r = -EINVAL;
	else if (!created)
		r = sysv_perm_check(&s->o.perm, flg);
	sysv_obj_unlock(&s->o);
	return r < 0 ? r : id;
}

/* The undo record of (id, num) in p, made when missing: NULL when full.
 * A record is p's own (other processes only clear adj, under the set's
 * lock); id is stored + 1, 0 is a free record. */
static struct sysv_undo *undo_of(struct sysv_proc *p, int id, int num, bool make)
{
	struct sysv_undo *free = NULL;
	for (int i = 0; i < SYSV_UNDO; i++) {
		struct sysv_undo *u = &p->undo[i];
		if (u->id == id + 1 && u->num == num)
			return u;
		if (!free && (u->id == 0 || u->adj == 0))
			free = u;
	}
	if (make && free)
		*free = (struct sysv_undo){ id + 1, (uint16_t)num, 0 };
	return make ? free : NULL;
}

/* One try at the whole operation: 0 done, 1 must wait (*block is the
 * operation that blocks), or -errno. */
static int try_semop(struct semset *s, int id, const struct sembuf *ops, unsigned nops,
                     struct sysv_proc *self, const struct sembuf **block)
{
	int32_t val[SEM_NSEMS_MAX];
	bool touched[SEM_NSEMS_MAX] = { false };
	for (unsigned i = 0; i < nops; i++) {
		int num = ops[i].sem_num;
		if (!touched[num])
			val[num] = s->sems[num].val;
		touched[num] = true;
		int32_t r = val[num] + ops[i].sem_op;
		if ((ops[i].sem_op == 0 && val[num] != 0) || r < 0) {
			*block = &ops[i];
			return (ops[i].sem_flg & IPC_NOWAIT) ? -EAGAIN : 1;
		}
		if (r > SEMVMX)
			return -ERANGE;
		if (ops[i].sem_flg & SEM_UNDO) {
			struct sysv_undo *u = undo_of(self, id, num, false);
			int32_t a = u ? u->adj : 0;
			for (unsigned k = 0; k < i; k++)
				if (ops[k].sem_num == num && (ops[k].sem_flg & SEM_UNDO))
					a -= ops[k].sem_op;
			if (a - ops[i].sem_op < -SEMAEM - 1 || a - ops[i].sem_op > SEMAEM)
				return -ERANGE;
		}
		val[num] = r;
	}
	/* Every undo record exists before anything changes. */
	for (unsigned i = 0; i < nops; i++)
		if ((ops[i].sem_flg & SEM_UNDO) && !undo_of(self, id, ops[i].sem_num, true))
			return -ENOSPC;
	for (unsigned i = 0; i < nops; i++) {
		int num = ops[i].sem_num;
		s->sems[num].val = val[num];
		s->sems[num].pid = proc.pid;
		if (ops[i].sem_flg & SEM_UNDO)
			undo_of(self, id, num, false)->adj -= ops[i].sem_op;
	}
	s->otime = sysv_now();
	sysv_changed(&s->o);
	return 0;
}

static long do_semop(int id, const struct sembuf *uops, unsigned long nops,
                     const struct __kernel_timespec *uts)
{
	if (!sysv_available())
		return -ENOSYS;
	if (nops < 1 || id < 0)
		return -EINVAL;
	if (nops > (unsigned long)sysv_lim->semopm)
		return -E2BIG;
	struct sembuf *ops = malloc(nops * sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	long r = sysv_copy(ops, uops, nops * sizeof(*ops));
	uint64_t deadline = 0;
	struct __kernel_timespec ts;
	if (r == 0 && uts) {
		r = sysv_copy(&ts, uts, sizeof(ts));
		if (r == 0 && (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L))
			r = -EINVAL;
		if (r == 0)
			deadline = sysv_mono_ns() + (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec + 1;
	}
	unsigned max = 0;
	bool undo = false, alter = false;
	for (unsigned i = 0; r == 0 && i < nops; i++) {
		max = MAX(max, ops[i].sem_num);
		undo |= (ops[i].sem_flg & SEM_UNDO) != 0;
		alter |= ops[i].sem_op != 0;
	}
	struct sysv_proc *self = r == 0 && undo ? sysv_self() : NULL;
	if (r == 0 && undo && !self)
		r = -ENOMEM;
	struct semset *s = NULL;
	if (r == 0)
		r = set_lock(id, &s);
	bool locked = r == 0;
	if (r == 0 && max >= s->nsems)
		r = -EFBIG;
	if (r == 0)
		r = sysv_perm_check(&s->o.perm, alter ? 0222 : 0444);
	while (r == 0) {
		const struct sembuf *block = NULL;
		r = try_semop(s, id, ops, (unsigned)nops, self, &block);
		if (r != 1)
			break;
		struct sem *b = &s->sems[block->sem_num];
		uint32_t *cnt = block->sem_op ? &b->ncnt : &b->zcnt;
		uint32_t seen = s->o.event;
		++*cnt;
		sysv_obj_unlock(&s->o);
		uint32_t conts = __atomic_load_n(&sig_continues, __ATOMIC_ACQUIRE);
		r = sysv_wait(&s->o, seen, deadline);
		/* stopped and continued meanwhile: EINTR, as Linux's semop */
		if (r == -EINTR && __atomic_load_n(&sig_continues, __ATOMIC_ACQUIRE) != conts)
			r = -EINTR_NORESTART;
		sysv_lock(&s->o.lock);
		if (!s->o.live || s->o.id != id) {
			r = -EIDRM;
			break;
		}
		--*cnt;
	}
	if (locked)
		sysv_obj_unlock(&s->o);
	free(ops);
	return r;
}

SYS(semop)
{
	return do_semop((int)c->a[0], (const struct sembuf *)c->a[1], c->a[2], NULL);
}

SYS(semtimedop)
{
	return do_semop((int)c->a[0], (const struct sembuf *)c->a[1], c->a[2],
	                (const struct __kernel_timespec *)c->a[3]);
}

/* SETVAL and SETALL clear every process's adjustment of the semaphore. */
static void clear_adj(int id, int num)
{
	for (int i = 0; i < SYSV_PROCS; i++) {
		struct sysv_proc *p = sysv_proc_at(i);
		for (int k = 0; k < SYSV_UNDO; k++)
			if (p->undo[k].id == id + 1 && (num < 0 || p->undo[k].num == num))
				p->undo[k].adj = 0;
	}
}

static void fill_stat(struct sysv_obj *o, void *out)
{
	struct semset *s = (struct semset *)o;
	struct semid64_ds *ds = out;
	memset(ds, 0, sizeof(*ds));
	ds->sem_perm = s->o.perm;
	ds->sem_otime = s->otime;
	ds->sem_ctime = s->o.ctime;
	ds->sem_nsems = s->nsems;
}

static long sem_info(int cmd, void *ubuf)
{
	int sets, max_idx;
	long used = sems_in_use(&sets, &max_idx);
	struct seminfo si = { .semmap = SEMMAP, .semmni = sysv_lim->semmni, .semmns = sysv_lim->semmns,
		              .semmnu = SEMMNU, .semmsl = sysv_lim->semmsl, .semopm = sysv_lim->semopm,
		              .semume = SEMUME, .semusz = SEMUSZ, .semvmx = SEMVMX, .semaem = SEMAEM };
	if (cmd == SEM_INFO) {
		si.semusz = sets;
		si.semaem = (int)used;
	}
	long r = sysv_copy(ubuf, &si, sizeof(si));
	return r < 0 ? r : max_idx;
}

SYS(semctl)
{
	int id = (int)c->a[0], num = (int)c->a[1], cmd = (int)c->a[2];
	unsigned long arg = c->a[3];
	void *ubuf = (void *)arg;
	if (!sysv_available())
		return -ENOSYS;
	if (id < 0)
		return -EINVAL;
	struct semid64_ds ds;
	struct semset *s;
	long r;
	unsigned short vals[SEM_NSEMS_MAX];
	switch (cmd) {
	case IPC_INFO:
	case SEM_INFO:
		return sem_info(cmd, ubuf);
	case SEM_STAT:
	case SEM_STAT_ANY:
		if (id >= SEM_SLOTS)
			return -EINVAL;
		return sysv_stat_index(sysv_area(1, id), cmd == SEM_STAT_ANY, fill_stat, &ds, sizeof(ds), ubuf);
	case IPC_SET:
		if (sysv_copy(&ds, ubuf, sizeof(ds)) < 0)
			return -EFAULT;
		break;
	case SETALL:
		/* the values are read before the lock; their count is the set's */
		if ((r = set_lock(id, &s)) < 0)
			return r;
		uint32_t nsems = s->nsems;
		sysv_obj_unlock(&s->o);
		if (sysv_copy(vals, ubuf, nsems * sizeof(vals[0])) < 0)
			return -EFAULT;
		for (uint32_t i = 0; i < nsems; i++)
			if (vals[i] > SEMVMX)
				return -ERANGE;
		break;
	}
	if ((r = set_lock(id, &s)) < 0)
		return r;
	bool getter = cmd == GETVAL || cmd == GETPID || cmd == GETNCNT || cmd == GETZCNT;
	if ((getter || cmd == SETVAL) && (num < 0 || (uint32_t)num >= s->nsems))
		r = -EINVAL;
	else if (getter || cmd == GETALL || cmd == IPC_STAT)
		r = sysv_perm_check(&s->o.perm, 0444);
	else if (cmd == SETVAL || cmd == SETALL)
		r = sysv_perm_check(&s->o.perm, 0222);
	else if ((cmd == IPC_SET || cmd == IPC_RMID) && !sysv_is_owner(&s->o.perm))
		r = -EPERM;
	if (r == 0 && cmd == SETVAL && ((int)arg < 0 || (int)arg > SEMVMX))
		r = -ERANGE;
	if (r < 0) {
		sysv_obj_unlock(&s->o);
		return r;
	}
	uint32_t nsems = s->nsems;
	switch (cmd) {
	case GETVAL: r = s->sems[num].val; break;
	case GETPID: r = s->sems[num].pid; break;
	case GETNCNT: r = s->sems[num].ncnt; break;
	case GETZCNT: r = s->sems[num].zcnt; break;
	case GETALL:
		for (uint32_t i = 0; i < nsems; i++)
			vals[i] = (unsigned short)s->sems[i].val;
		break;
	case IPC_STAT: fill_stat(&s->o, &ds); break;
	case SETVAL:
	case SETALL:
		for (uint32_t i = 0; i < nsems; i++) {
			if (cmd == SETVAL && i != (uint32_t)num)
				continue;
			s->sems[i].val = cmd == SETVAL ? (int)arg : vals[i];
			s->sems[i].pid = proc.pid;
		}
		clear_adj(id, cmd == SETVAL ? num : -1);
		s->o.ctime = sysv_now();
		sysv_changed(&s->o);
		break;
	case IPC_SET:
		sysv_perm_set(&s->o.perm, &ds.sem_perm);
		s->o.ctime = sysv_now();
		break;
	case IPC_RMID:
		break;
	default:
		r = -EINVAL;
	}
	sysv_obj_unlock(&s->o);
	if (r < 0)
		return r;
	if (cmd == GETALL)
		return sysv_copy(ubuf, vals, nsems * sizeof(vals[0]));
	if (cmd == IPC_STAT)
		return sysv_copy(ubuf, &ds, sizeof(ds));
	if (cmd == IPC_RMID) {
		sysv_nsd_remove(NSD__SYSV_KIND__SYSV_SEM, id);
		if (sysv_obj_lock(&s->o, id)) {
			s->o.live = 0;
			sysv_changed(&s->o);
			sysv_obj_unlock(&s->o);
		}
	}
	return r;
}

void sysv_sem_undo(struct sysv_proc *p)
{
	for (int k = 0; k < SYSV_UNDO; k++) {
		struct sysv_undo *u = &p->undo[k];
		int id = u->id - 1;
		if (id < 0 || SYSV_IDX(id) >= SEM_SLOTS)
			continue;
		struct semset *s = set_at(id);
		if (sysv_obj_lock(&s->o, id)) {
			if (u->adj && u->num < s->nsems) {
				struct sem *m = &s->sems[u->num];
				m->val = MAX(0, MIN(SEMVMX, m->val + u->adj));
				m->pid = p->pid;
				sysv_changed(&s->o);
			}
			sysv_obj_unlock(&s->o);
		}
		u->id = 0;
		u->adj = 0;
	}
}

void sysv_list_sem(sysv_line_fn fn, void *arg)
{
	char line[256];
	fn(arg, "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n");
	for (int i = 0; sysv_available() && i < SEM_SLOTS; i++) {
		struct semset *s = sysv_area(1, i);
		sysv_lock(&s->o.lock);
		bool live = s->o.live;
		if (live)
			snprintf(line, sizeof(line), "%10d %10d  %4o %10u %5u %5u %5u %5u %10ld %10ld\n",
			         s->o.perm.key, s->o.id, s->o.perm.mode, s->nsems, s->o.perm.uid, s->o.perm.gid,
			         s->o.perm.cuid, s->o.perm.cgid, (long)s->otime, (long)s->o.ctime);
		sysv_obj_unlock(&s->o);
		if (live)
			fn(arg, line);
	}
}
