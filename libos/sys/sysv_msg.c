/* System V message queues. A queue's messages are kept in arrival order,
 * packed in its window of the shared memory, which grows as they need;
 * taking the first one moves the start, a receive by type that takes one
 * out of the middle closes the gap. Messages are copied between the app
 * and the window directly, under the queue's lock (sysv_copy turns a bad
 * buffer into EFAULT). */
#include <asm/errno.h>
#include <limits.h>
#include <linux/msg.h>
#include <asm/msgbuf.h>
#include <linux/falloc.h>
#include <linux/mman.h>
#include "arena.h"
#include "host/host.h"
#include "identity.h"
#include "nsd.h"
#include "process.h"
#include "syscall.h"
#include "sysv.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

struct msg_hdr {
	int64_t type;
	uint32_t size;
	uint32_t pad;
};

struct msq {
	struct sysv_obj o;
	int64_t stime, rtime;
	uint64_t cbytes, qnum, qbytes;
	int32_t lspid, lrpid;
	/* the messages are at [head, used) of the window, of which cap bytes
	 * (0 or a power of two) are in use */
	uint64_t head, used, cap;
};

const size_t sysv_msq_size = sizeof(struct msq);
const uint32_t sysv_msq_qnum_off = offsetof(struct msq, qnum), sysv_msq_cbytes_off = offsetof(struct msq, cbytes);
void *sysv_area(int kind, int i);

static struct msq *msq_at(int id) { return sysv_area(0, SYSV_IDX(id)); }
static uint64_t msg_len(uint64_t size) { return sizeof(struct msg_hdr) + ((size + 7) & ~7ULL); }

/* This process's mapping of each queue's window (used under its lock). */
static struct { uint8_t *p; uint64_t len; } qmap[MSQ_SLOTS];

/* Maps at least cap bytes of the window of q (slot i): its messages then
 * are at qmap[i].p. The app may have scribbled over q (it is the sandbox's
 * own memory): bounds that make no sense empty the queue. */
static long msq_map(struct msq *q, int i, uint64_t cap)
{
	if (q->cap > MSQ_WIN || (q->cap & (q->cap - 1)) || q->used > q->cap || q->head > q->used) {
		q->head = q->used = q->cap = q->qnum = q->cbytes = 0;
		cap = 0;
	}
	if (qmap[i].len >= cap)
		return 0;
	uint8_t *p = arena_alloc_high(cap);
	if (!p)
		return -ENOMEM;
	if (host_err((long)host_mmap(p, cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, sysv_memfd(),
	                             sysv_msq_offset(i)))) {
		arena_free_pages(p, cap);
		return -ENOMEM;
	}
	/* the old range goes back to the arena as the anonymous memory it was */
	if (qmap[i].p && !host_err((long)host_mmap(qmap[i].p, qmap[i].len, PROT_READ | PROT_WRITE,
	                                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0)))
		arena_free_pages(qmap[i].p, qmap[i].len);
	qmap[i].p = p;
	qmap[i].len = cap;
	return 0;
}

/* Room for len more bytes at the end of q's messages: the gap before them
 * closed, else the window's part in use doubled (ENOMEM past MSQ_WIN or
 * when it cannot be mapped, as Linux when it cannot allocate a message). */
static long msq_room(struct msq *q, int i, uint64_t len)
{
	uint8_t *d = qmap[i].p;
	if (q->used + len <= q->cap)
		return 0;
	if (q->head) {
		memmove(d, d + q->head, q->used - q->head);
		q->used -= q->head;
		q->head = 0;
		if (q->used + len <= q->cap)
			return 0;
	}
	uint64_t cap = MAX(q->cap, 65536);
	while (cap < q->used + len && cap <= MSQ_WIN)
		cap *= 2;
	if (cap > MSQ_WIN)
		return -ENOMEM;
	long r = msq_map(q, i, cap);
	if (r == 0)
		q->cap = cap;
	return r;
}

/* The window's pages given back to the host (a queue removed or set up). */
static void msq_release(struct msq *q, int i)
{
	if (q->cap)
		host(__NR_fallocate, sysv_memfd(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, sysv_msq_offset(i),
		     MIN(q->cap, MSQ_WIN));
	q->head = q->used = q->cap = 0;
}

static long msq_lock(int id, struct msq **out)
{
	if (!sysv_available())
		return -ENOSYS;
	if (id < 0 || SYSV_IDX(id) >= MSQ_SLOTS)
		return -EINVAL;
	struct msq *q = msq_at(id);
	if (!sysv_obj_lock(&q->o, id))
		return -EINVAL;
	long r = msq_map(q, SYSV_IDX(id), q->cap);
	if (r < 0) {
		sysv_obj_unlock(&q->o);
		return r;
	}
	*out = q;
	return 0;
}

/* Sleeps for a change of q (locked on entry and on a 0 return). */
static long msq_wait(struct msq *q, int id, bool *locked)
{
	uint32_t seen = q->o.event;
	sysv_obj_unlock(&q->o);
	long r = sysv_wait(&q->o, seen, 0);
	sysv_lock(&q->o.lock);
	if (!q->o.live || q->o.id != id)
		r = -EIDRM;
	if (r == 0)
		r = msq_map(q, SYSV_IDX(id), q->cap);
	if (r < 0) {
		sysv_obj_unlock(&q->o);
		*locked = false;
	}
	return r;
}

SYS(msgget)
{
	int key = (int)c->a[0], flg = (int)c->a[1];
	if (!sysv_available())
		return -ENOSYS;
	Nsd__SysvObj n;
	bool created;
	long id = sysv_nsd_get(NSD__SYSV_KIND__SYSV_MSG, key, flg, MSQ_SLOTS, (uint64_t)sysv_lim->msgmni, 0, &n,
	                       &created);
	if (id < 0)
		return id;
	struct msq *q = msq_at((int)id);
	sysv_lock(&q->o.lock);
	if (!q->o.live || q->o.id != id) {
		sysv_obj_init(&q->o, &n);
		q->stime = q->rtime = 0;
		q->cbytes = q->qnum = 0;
		q->qbytes = (uint64_t)sysv_lim->msgmnb;
		q->lspid = q->lrpid = 0;
		msq_release(q, SYSV_IDX(id));
	}
	long r = created ? 0 : sysv_perm_check(&q->o.perm, flg);
	sysv_obj_unlock(&q->o);
	return r < 0 ? r : id;
}

SYS(msgsnd)
{
	int id = (int)c->a[0], flg = (int)c->a[3];
	const struct { long type; char text[]; } *um = (const void *)c->a[1];
	size_t sz = c->a[2];
	if (!sysv_available())
		return -ENOSYS;
	if (sz > (size_t)sysv_lim->msgmax || (long)sz < 0 || id < 0)
		return -EINVAL;
	long type;
	if (sysv_copy(&type, &um->type, sizeof(type)) < 0)
		return -EFAULT;
	if (type < 1)
		return -EINVAL;
	struct msq *q = NULL;
	long r = msq_lock(id, &q);
	bool locked = r == 0;
	if (r == 0)
		r = sysv_perm_check(&q->o.perm, 0222);
	while (r == 0) {
		if (q->cbytes + sz <= q->qbytes && q->qnum + 1 <= q->qbytes) {
			int i = SYSV_IDX(id);
			if ((r = msq_room(q, i, msg_len(sz))) < 0)
				break;
			struct msg_hdr *h = (void *)(qmap[i].p + q->used);
			/* the message counts only once it is all there */
			if ((r = sysv_copy(h + 1, um->text, sz)) < 0)
				break;
			h->type = type;
			h->size = (uint32_t)sz;
			q->used += msg_len(sz);
			q->cbytes += sz;
			q->qnum++;
			q->lspid = proc.pid;
			q->stime = sysv_now();
			sysv_changed(&q->o);
			break;
		}
		if (flg & IPC_NOWAIT) {
			r = -EAGAIN;
			break;
		}
		r = msq_wait(q, id, &locked);
	}
	if (locked)
		sysv_obj_unlock(&q->o);
	return r;
}

/* The message msgrcv takes: by position for MSG_COPY, else by type. */
static struct msg_hdr *find_msg(struct msq *q, uint8_t *d, long type, int flg)
{
	struct msg_hdr *best = NULL;
	long n = 0, lim = type == LONG_MIN ? LONG_MAX : -type;
	/* msq_map checked head <= used <= cap; the messages are the app's to
	 * scribble over: one that does not fit ends the walk. */
	for (uint64_t off = q->head; off < q->used; n++) {
		struct msg_hdr *h = (void *)(d + off);
		if (q->used - off < sizeof(*h) || h->size > q->used - off - sizeof(*h))
			break;
		off += msg_len(h->size);
		if (flg & MSG_COPY) {
			if (n == type)
				return h;
			continue;
		}
		if (type == 0)
			return h;
		if (type > 0 && ((flg & MSG_EXCEPT) ? h->type != type : h->type == type))
			return h;
		if (type < 0 && h->type <= lim && (!best || h->type < best->type))
			best = h;
	}
	return best;
}

SYS(msgrcv)
{
	int id = (int)c->a[0], flg = (int)c->a[4];
	struct { long type; char text[]; } *um = (void *)c->a[1];
	long sz = (long)c->a[2], type = (long)c->a[3];
	if (!sysv_available())
		return -ENOSYS;
	if (id < 0 || sz < 0)
		return -EINVAL;
	if ((flg & MSG_COPY) && (!(flg & IPC_NOWAIT) || (flg & MSG_EXCEPT)))
		return -EINVAL;
	struct msq *q = NULL;
	long r = msq_lock(id, &q);
	bool locked = r == 0;
	if (r == 0)
		r = sysv_perm_check(&q->o.perm, 0444);
	size_t n = 0;
	while (r == 0) {
		uint8_t *d = qmap[SYSV_IDX(id)].p;
		struct msg_hdr *h = find_msg(q, d, type, flg);
		if (h && h->size > sz && !(flg & MSG_NOERROR)) {
			r = -E2BIG;
		} else if (h) {
			n = MIN((size_t)sz, h->size);
			r = sysv_copy(&um->type, &h->type, sizeof(um->type));
			if (r == 0)
				r = sysv_copy(um->text, h + 1, n);
			/* As on Linux, a message taken but not stored (a bad
			 * buffer) is lost; MSG_COPY leaves it. */
			if (!(flg & MSG_COPY)) {
				uint64_t off = (uint64_t)((uint8_t *)h - d), len = MIN(msg_len(h->size), q->used - off);
				q->cbytes -= h->size;
				q->qnum--;
				if (off == q->head) {
					q->head += len;
				} else {
					memmove(h, (uint8_t *)h + len, q->used - off - len);
					q->used -= len;
				}
				if (q->head == q->used)
					q->head = q->used = 0;
				q->lrpid = proc.pid;
				q->rtime = sysv_now();
				sysv_changed(&q->o);
			}
			break;
		} else if (flg & IPC_NOWAIT) {
			r = -ENOMSG;
		} else {
			r = msq_wait(q, id, &locked);
		}
	}
	if (locked)
		sysv_obj_unlock(&q->o);
	return r < 0 ? r : (long)n;
}

static void fill_stat(struct sysv_obj *o, void *out)
{
	struct msq *q = (struct msq *)o;
	struct msqid64_ds *ds = out;
	memset(ds, 0, sizeof(*ds));
	ds->msg_perm = q->o.perm;
	ds->msg_stime = q->stime;
	ds->msg_rtime = q->rtime;
	ds->msg_ctime = q->o.ctime;
	ds->msg_cbytes = q->cbytes;
	ds->msg_qnum = q->qnum;
	ds->msg_qbytes = q->qbytes;
	ds->msg_lspid = q->lspid;
	ds->msg_lrpid = q->lrpid;
}

/* Live queues, for MSG_INFO, MSG_STAT and /proc/sysvipc/msg. */
static int msg_count(uint64_t *qnum, uint64_t *cbytes, int *max_idx)
{
	int used = 0;
	*max_idx = 0;
	for (int i = 0; i < MSQ_SLOTS; i++) {
		struct msq *q = sysv_area(0, i);
		if (!__atomic_load_n(&q->o.live, __ATOMIC_ACQUIRE))
			continue;
		used++;
		*max_idx = i;
		if (qnum)
			*qnum += q->qnum;
		if (cbytes)
			*cbytes += q->cbytes;
	}
	return used;
}

static long msg_info(int cmd, void *ubuf)
{
	uint64_t qnum = 0, cbytes = 0;
	int max_idx;
	int used = msg_count(&qnum, &cbytes, &max_idx);
	/* Linux's constants MSGPOOL, MSGMAP, MSGTQL, MSGSSZ, MSGSEG; MSG_INFO
	 * reports the queues in use, their messages and bytes instead. */
	struct msginfo mi = { .msgpool = 512000, .msgmap = 16384, .msgmax = sysv_lim->msgmax,
		              .msgmnb = sysv_lim->msgmnb, .msgmni = sysv_lim->msgmni, .msgssz = 16,
		              .msgtql = 16384, .msgseg = 0xffff };
	if (cmd == MSG_INFO) {
		mi.msgpool = used;
		mi.msgmap = (int)qnum;
		mi.msgtql = (int)cbytes;
	}
	long r = sysv_copy(ubuf, &mi, sizeof(mi));
	return r < 0 ? r : (used ? max_idx : 0);
}

SYS(msgctl)
{
	int id = (int)c->a[0], cmd = (int)c->a[1];
	void *ubuf = (void *)c->a[2];
	if (!sysv_available())
		return -ENOSYS;
	if (id < 0 || cmd < 0)
		return -EINVAL;
	struct msqid64_ds ds;
	struct msq *q;
	long r;
	int qbytes;
	switch (cmd) {
	case IPC_INFO:
	case MSG_INFO:
		return msg_info(cmd, ubuf);
	case MSG_STAT:
	case MSG_STAT_ANY:
		if (id >= MSQ_SLOTS)
			return -EINVAL;
		return sysv_stat_index(sysv_area(0, id), cmd == MSG_STAT_ANY, fill_stat, &ds, sizeof(ds), ubuf);
	case IPC_STAT:
		if ((r = msq_lock(id, &q)) < 0)
			return r;
		r = sysv_perm_check(&q->o.perm, 0444);
		if (r == 0)
			fill_stat(&q->o, &ds);
		sysv_obj_unlock(&q->o);
		return r < 0 ? r : sysv_copy(ubuf, &ds, sizeof(ds));
	case IPC_SET:
		if (sysv_copy(&ds, ubuf, sizeof(ds)) < 0)
			return -EFAULT;
		if ((r = msq_lock(id, &q)) < 0)
			return r;
		/* Linux's msgctl_down takes msg_qbytes as an int, compares it
		 * with msgmnb as unsigned and stores it sign-extended */
		qbytes = (int)ds.msg_qbytes;
		if (!sysv_is_owner(&q->o.perm) ||
		    ((unsigned)qbytes > (unsigned)sysv_lim->msgmnb && !capable(CAP_SYS_RESOURCE)))
			r = -EPERM;
		if (r == 0) {
			sysv_perm_set(&q->o.perm, &ds.msg_perm);
			q->qbytes = (uint64_t)(int64_t)qbytes;
			q->o.ctime = sysv_now();
			sysv_changed(&q->o);
		}
		sysv_obj_unlock(&q->o);
		return r;
	case IPC_RMID:
		if ((r = msq_lock(id, &q)) < 0)
			return r;
		r = sysv_is_owner(&q->o.perm) ? 0 : -EPERM;
		sysv_obj_unlock(&q->o);
		if (r < 0)
			return r;
		sysv_nsd_remove(NSD__SYSV_KIND__SYSV_MSG, id);
		if (sysv_obj_lock(&q->o, id)) {
			q->o.live = 0;
			msq_release(q, SYSV_IDX(id));
			sysv_changed(&q->o);
			sysv_obj_unlock(&q->o);
		}
		return 0;
	default:
		return -EINVAL;
	}
}

void sysv_list_msg(sysv_line_fn fn, void *arg)
{
	char line[256];
	fn(arg, "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n");
	for (int i = 0; sysv_available() && i < MSQ_SLOTS; i++) {
		struct msq *q = sysv_area(0, i);
		sysv_lock(&q->o.lock);
		if (q->o.live)
			snprintf(line, sizeof(line),
			         "%10d %10d  %4o  %10lu %10lu %5u %5u %5u %5u %5u %5u %10ld %10ld %10ld\n",
			         q->o.perm.key, q->o.id, q->o.perm.mode, (unsigned long)q->cbytes,
			         (unsigned long)q->qnum, q->lspid, q->lrpid, q->o.perm.uid, q->o.perm.gid,
			         q->o.perm.cuid, q->o.perm.cgid, (long)q->stime, (long)q->rtime, (long)q->o.ctime);
		bool live = q->o.live;
		sysv_obj_unlock(&q->o);
		if (live)
			fn(arg, line);
	}
}
