/* uname, sethostname, setdomainname. The names are the sandbox's: they
 * start as the manifest's sys.hostname (or the host's) and the app, as root
 * inside, may change them without reaching the host's. They live in one
 * MAP_SHARED page inside the arena, so every picoprocess forked from this
 * one sees a change at once, as processes of one UTS namespace do, and it
 * survives execve like all libos memory. */
#include <asm/errno.h>
#include <linux/mman.h>
#include <linux/utsname.h>
#include "arena.h"
#include "config.h"
#include "host/host.h"
#include "identity.h"
#include "log.h"
#include "process.h"
#include "syscall.h"
#include "uts.h"

/* A seqlock across processes (a futex lock would need a shared, robust
 * owner): a writer killed between its two stores would leave readers
 * spinning, a window of one memcpy of 65 bytes. */
struct uts_page {
	uint32_t seq; /* odd while a writer copies */
	char nodename[UTS_NAME_LEN];
	char domainname[UTS_NAME_LEN];
};

static struct uts_page *uts;
static uint32_t ns_ino_base;

int uts_init(void)
{
	struct new_utsname u;
	void *p = arena_alloc_high(PAGE_SIZE);
	if (!p || host(__NR_uname, &u) < 0)
		return -ENOMEM;
	void *m = host_mmap(p, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (host_err((long)m))
		return (int)(long)m;
	uts = m;
	strlcpy(uts->nodename, config.hostname ? config.hostname : u.nodename, UTS_NAME_LEN);
	strlcpy(uts->domainname, u.domainname, UTS_NAME_LEN);
	/* Linux's namespace inodes are in [0xf0000000, 2^32): a random block of
	 * 16 there, far from the host's initial ones (0xeffffff9 + a few) */
	uint32_t r = 0;
	host(__NR_getrandom, &r, sizeof(r), 0);
	ns_ino_base = 0xf0100000u + (r % 0xfe000u) * 16;
	return 0;
}

uint32_t uts_ns_ino(unsigned i)
{
	return ns_ino_base + (i & 15);
}

void uts_names(char *nodename, char *domainname)
{
	for (;;) {
		uint32_t s = __atomic_load_n(&uts->seq, __ATOMIC_ACQUIRE);
		if (s & 1) {
			__builtin_ia32_pause();
			continue;
		}
		if (nodename)
			memcpy(nodename, uts->nodename, UTS_NAME_LEN);
		if (domainname)
			memcpy(domainname, uts->domainname, UTS_NAME_LEN);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&uts->seq, __ATOMIC_RELAXED) == s)
			return;
	}
}

SYS(uname)
{
	struct new_utsname *u = (void *)c->a[0];
	long r = host(__NR_uname, u);
	if (r == 0)
		uts_names(u->nodename, u->domainname);
	return r;
}

/* sethostname/setdomainname: Linux's checks in its order (the capability,
 * then the length), the name copied from the app before the page is
 * touched (a bad pointer faults to EFAULT with nothing held). */
static long set_name(struct sysctx *c, size_t off)
{
	const char *uname = (const char *)c->a[0];
	long len = c->a[1];
	char name[UTS_NAME_LEN] = "";
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (len < 0 || len >= UTS_NAME_LEN)
		return -EINVAL;
	memcpy(name, uname, (size_t)len);
	uint32_t s = __atomic_load_n(&uts->seq, __ATOMIC_RELAXED) & ~1u;
	while (!__atomic_compare_exchange_n(&uts->seq, &s, s + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		__builtin_ia32_pause();
		s &= ~1u;
	}
	memcpy((char *)uts + off, name, UTS_NAME_LEN);
	__atomic_store_n(&uts->seq, s + 2, __ATOMIC_RELEASE);
	return 0;
}

SYS(sethostname) { return set_name(c, offsetof(struct uts_page, nodename)); }
SYS(setdomainname) { return set_name(c, offsetof(struct uts_page, domainname)); }
