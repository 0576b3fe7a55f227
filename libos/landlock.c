/* Landlock: the kernel's own backstop behind path resolution. The libos
 * reaches host files only through the mounts (fs/resolve.c); this ruleset
 * makes the kernel refuse anything else too, so a libos bug cannot open a
 * path outside them. It also keeps host signals and abstract unix sockets
 * inside the sandbox (scopes, Landlock ABI 6), so the app can neither
 * signal host processes nor reach their abstract sockets, and with
 * sys.network = "none" it refuses TCP bind and connect (ABI 4) behind the
 * libos's own refusal of IPv4/IPv6 sockets. */
#include <asm/errno.h>
#include <asm/fcntl.h>
#include <asm/stat.h>
#include <linux/stat.h>
#include <linux/fcntl.h>
#include <linux/landlock.h>
#include <linux/prctl.h>
#include "config.h"
#include "fs.h"
#include "host/host.h"
#include "loader.h"
#include "log.h"
#include "rpc.h"
#include "rt.h"

/* Newer than the build machine's kernel headers (Debian 12: ABI 2). */
#define ACCESS_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define SCOPE_ABSTRACT_UNIX (1ULL << 0)  /* ABI 6 */
#define SCOPE_SIGNAL (1ULL << 1)         /* ABI 6 */
#define ACCESS_NET_BIND_TCP (1ULL << 0)  /* ABI 4 */
#define ACCESS_NET_CONNECT_TCP (1ULL << 1)

#define FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
                     LANDLOCK_ACCESS_FS_READ_FILE | ACCESS_FS_TRUNCATE | ACCESS_FS_IOCTL_DEV)
#define DEVICE_RIGHTS (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
                       ACCESS_FS_IOCTL_DEV)
#define PROC_RIGHTS (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* A read-only mount: the kernel's own backstop where the launcher could not
 * make the host mount read-only (tools/confine.c). */
#define READONLY_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | \
                         LANDLOCK_ACCESS_FS_READ_DIR)

struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define RULE_NET_PORT 2                  /* ABI 4 */
struct net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
} __attribute__((packed));

struct ruleset {
	int fd;
	uint64_t handled;
};

static uint64_t fs_rights_of_abi(long abi)
{
	uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */
	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= ACCESS_FS_IOCTL_DEV;
	return r;
}

static int allow_fd(struct ruleset *rs, int fd, uint64_t rights)
{
	struct stat st;
	long r = host(__NR_fstat, fd, &st);
	if (r < 0)
		return (int)r;
	/* Directory rights make no sense on a file: the kernel refuses them. */
	if ((st.st_mode & S_IFMT) != S_IFDIR)
		rights &= FILE_RIGHTS;
	struct landlock_path_beneath_attr pb = { .allowed_access = rights & rs->handled, .parent_fd = fd };
	return (int)host(__NR_landlock_add_rule, rs->fd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
}

static int allow(struct ruleset *rs, const char *host_path, uint64_t rights)
{
	long fd = host(__NR_openat, AT_FDCWD, host_path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return (int)fd;
	int r = allow_fd(rs, (int)fd, rights);
	host_close((int)fd);
	return r;
}

static int allow_device(const char *host_path, void *arg)
{
	int r = allow(arg, host_path, DEVICE_RIGHTS);
	/* A host without a node (no controlling tty...) just lacks that device. */
	return r == -ENOENT || r == -ENXIO ? 0 : r;
}

static int allow_port(int ruleset, uint16_t port, uint64_t access)
{
	struct net_port_attr np = { .allowed_access = access, .port = port };
	return (int)host(__NR_landlock_add_rule, ruleset, RULE_NET_PORT, &np, 0);
}

int landlock_confine(void)
{
	long abi = host(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		log_info("Landlock is not available (%ld): mounts are enforced by the libos alone", abi);
		return 0;
	}
	if (config.net_rules && abi < 4) {
		log_error("sys.net port rules need Landlock ABI 4; this kernel has %ld", abi);
		return -EOPNOTSUPP;
	}
	struct ruleset_attr attr = {
		.handled_access_fs = fs_rights_of_abi(abi),
		/* handled with no rule ("none"): refused; with sys.net: the ports */
		.handled_access_net = abi >= 4 && (!config.network_host || config.net_rules) ?
		                      ACCESS_NET_BIND_TCP | ACCESS_NET_CONNECT_TCP : 0,
		.scoped = abi >= 6 ? SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX : 0,
	};
	size_t attr_size = abi >= 6 ? sizeof(attr) :
	                   abi >= 4 ? offsetof(struct ruleset_attr, scoped) : sizeof(attr.handled_access_fs);
	struct ruleset rs = { .handled = attr.handled_access_fs };
	rs.fd = (int)host(__NR_landlock_create_ruleset, &attr, attr_size, 0);
	if (rs.fd < 0)
		return rs.fd;
	int r = 0;
	/* The mount roots fs_init opened are the very directories resolution uses. */
	for (int i = 0; r == 0 && i < config.nmounts; i++) {
		r = allow_fd(&rs, mount_root_fd(i), mount_readonly(i) ? READONLY_RIGHTS : rs.handled);
		if (r < 0)
			log_error("Landlock: cannot allow mount %s: %d", config.mounts[i].uri, r);
	}
	for (int i = 0; r == 0 && i < config.nnet_bind; i++)
		r = allow_port(rs.fd, config.net_bind[i], ACCESS_NET_BIND_TCP);
	for (int i = 0; r == 0 && i < config.nnet_connect; i++)
		r = allow_port(rs.fd, config.net_connect[i], ACCESS_NET_CONNECT_TCP);
	if (r == 0)
		r = allow(&rs, "/proc", PROC_RIGHTS);
	/* The RPC stream's fallback files (rpc.c listen_at: an abstract name
	 * another process held), made and removed by their processes. */
	if (r == 0 && rpc_dir()) {
		r = allow(&rs, rpc_dir(), LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_REMOVE_FILE);
		if (r == -ENOENT)
			r = 0; /* an nsd that makes no stream directory: no stream */
	}
	if (r == 0)
		r = devfs_foreach_host_node(allow_device, &rs);
	/* the sandbox's own devpts (fs/devfs.c): its ptys, listed and opened */
	if (r == 0 && config.devpts)
		r = allow(&rs, "/dev/pts", DEVICE_RIGHTS | LANDLOCK_ACCESS_FS_READ_DIR);
	if (r == 0)
		r = (int)host(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r == 0)
		r = (int)host(__NR_landlock_restrict_self, rs.fd, 0);
	host_close(rs.fd);
	log_debug("Landlock ABI %ld: confined to the mounts, /proc and /dev nodes (%d)", abi, r);
	return r;
}
