/* Decoding of the launcher's configuration blob (format: config_blob.h). */
#include <asm/errno.h>
#include <asm/stat.h>
#include "config.h"
#include "host/host.h"
#include "log.h"
#include "rt.h"

struct config config __ro_after_init;
static bool have_secret;

#define MAX_BLOB (16 << 20)

static char *read_all(int fd, size_t *len)
{
	struct stat st;
	if (host(__NR_fstat, fd, &st) < 0 || st.st_size <= 0 || st.st_size > MAX_BLOB)
		return NULL;
	char *buf = malloc(st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		long n = host(__NR_pread64, fd, buf + got, st.st_size - got, got);
		if (n <= 0)
			return NULL;
		got += n;
	}
	if (buf)
		buf[got] = 0;
	*len = got;
	return buf;
}

static const char **push(const char **v, int *n, const char *s)
{
	v = realloc(v, sizeof(*v) * (*n + 2));
	if (v) {
		v[(*n)++] = s;
		v[*n] = NULL;
	}
	return v;
}

static int parse_mount(char *val)
{
	char *path = strchr(val, CONFIG_MOUNT_SEP);
	char *uri = path ? strchr(path + 1, CONFIG_MOUNT_SEP) : NULL;
	char *ro = uri ? strchr(uri + 1, CONFIG_MOUNT_SEP) : NULL;
	char *fd = ro ? strchr(ro + 1, CONFIG_MOUNT_SEP) : NULL;
	uint64_t fdnum;
	if (!fd || !parse_u64(fd + 1, &fdnum) || fdnum > 0x7fffffff)
		return -EINVAL;
	*path++ = 0;
	*uri++ = 0;
	*ro++ = 0;
	*fd = 0;
	if (strcmp(ro, "ro") && strcmp(ro, "rw"))
		return -EINVAL;
	struct mount_cfg *m = realloc(config.mounts, sizeof(*m) * (config.nmounts + 1));
	if (!m)
		return -ENOMEM;
	config.mounts = m;
	m[config.nmounts++] = (struct mount_cfg){ val, path, uri, !strcmp(ro, "ro"), (int)fdnum };
	return 0;
}

static int push_port(const char *val, uint16_t **v, int *n)
{
	uint64_t port;
	if (!parse_u64(val, &port) || port < 1 || port > 65535)
		return -EINVAL;
	uint16_t *p = realloc(*v, sizeof(*p) * (*n + 1));
	if (!p)
		return -ENOMEM;
	p[(*n)++] = (uint16_t)port;
	*v = p;
	return 0;
}

static int parse_size(const char *val, size_t *out)
{
	uint64_t v;
	if (!parse_u64(val, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Decodes exactly sizeof config.secret bytes of hex, then wipes the text so
 * only one copy of the secret stays in memory. */
static int parse_secret(char *val)
{
	if (strlen(val) != 2 * sizeof(config.secret))
		return -EINVAL;
	for (size_t i = 0; i < 2 * sizeof(config.secret); i++) {
		char c = val[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -EINVAL;
		config.secret[i / 2] = (uint8_t)(config.secret[i / 2] << 4 | d);
	}
	memset(val, 0, 2 * sizeof(config.secret));
	have_secret = true;
	return 0;
}

static int apply_record(char *key, char *val)
{
	uint64_t v;
	if (!strcmp(key, "version"))
		return parse_u64(val, &v) && v == CONFIG_BLOB_VERSION ? 0 : -EINVAL;
	if (!strcmp(key, "log_level")) {
		if (!parse_u64(val, &v) || v > LOG_TRACE)
			return -EINVAL;
		config.log_level = (int)v;
		return 0;
	}
	if (!strcmp(key, "entrypoint"))
		return config.entrypoint = val, 0;
	if (!strcmp(key, "start_dir"))
		return config.start_dir = val, 0;
	if (!strcmp(key, "manifest"))
		return config.manifest = val, 0;
	if (!strcmp(key, "log_fd")) {
		if (!parse_u64(val, &v) || v < 3 || v > 0x7fffffff)
			return -EINVAL;
		config.log_fd = (int)v;
		return 0;
	}
	if (!strcmp(key, "hostname"))
		return config.hostname = val, 0;
	if (!strcmp(key, "uid") || !strcmp(key, "gid") || !strcmp(key, "idmap_base")) {
		if (!parse_u64(val, &v) || v > 0xfffffffe)
			return -EINVAL;
		*(key[0] == 'u' ? &config.uid : key[0] == 'g' ? &config.gid : &config.idmap_base) = (uint32_t)v;
		config.idmap |= key[0] == 'i';
		return 0;
	}
	if (!strcmp(key, "rlimit_as"))
		return parse_u64(val, &config.rlimit_as) && config.rlimit_as ? 0 : -EINVAL;
	if (!strcmp(key, "stack_size"))
		return parse_size(val, &config.stack_size);
	if (!strcmp(key, "brk_max"))
		return parse_size(val, &config.brk_max);
	if (!strcmp(key, "network")) {
		if (strcmp(val, "host") && strcmp(val, "none"))
			return -EINVAL;
		config.network_host = !strcmp(val, "host");
		return 0;
	}
	if (!strcmp(key, "net_rules"))
		return config.net_rules = true, 0;
	if (!strcmp(key, "net_bind"))
		return push_port(val, &config.net_bind, &config.nnet_bind);
	if (!strcmp(key, "net_connect"))
		return push_port(val, &config.net_connect, &config.nnet_connect);
	if (!strcmp(key, "fast_path")) {
		if (!parse_u64(val, &v) || v > 1)
			return -EINVAL;
		config.fast_path = v;
		return 0;
	}
	if (!strcmp(key, "devpts"))
		return config.devpts = true, 0;
	if (!strcmp(key, "arg"))
		return (config.argv = push(config.argv, &config.argc, val)) ? 0 : -ENOMEM;
	if (!strcmp(key, "env"))
		return (config.envp = push(config.envp, &config.envc, val)) ? 0 : -ENOMEM;
	if (!strcmp(key, "mount"))
		return parse_mount(val);
	if (!strcmp(key, "nsd"))
		return config.nsd = val, 0;
	if (!strcmp(key, "sandbox"))
		return config.sandbox = val, 0;
	if (!strcmp(key, "secret"))
		return parse_secret(val);
	return -EINVAL;
}

uint32_t id_to_app(uint32_t id)
{
	return config.idmap && id - config.idmap_base < IDMAP_COUNT ? id - config.idmap_base : id;
}

uint32_t id_to_host(uint32_t id)
{
	return config.idmap && id < IDMAP_COUNT ? id + config.idmap_base : id;
}

int config_load(int fd)
{
	size_t len;
	char *blob = read_all(fd, &len);
	host_close(fd);
	if (!blob) {
		log_error("cannot read the configuration blob");
		return -EINVAL;
	}
	config.start_dir = "/";
	config.log_fd = -1;
	config.stack_size = 0; /* sys.stack.size unset: from RLIMIT_STACK */
	config.brk_max = 256 << 20;
	config.fast_path = true;
	for (char *rec = blob, *next; rec < blob + len; rec = next) {
		next = rec + strlen(rec) + 1;
		char *eq = strchr(rec, '=');
		if (!eq) {
			log_error("configuration blob: record without '=': %s", rec);
			return -EINVAL;
		}
		*eq = 0;
		if (apply_record(rec, eq + 1) < 0) {
			log_error("configuration blob: bad record %s=%s", rec, eq + 1);
			return -EINVAL;
		}
	}
	if (!config.nsd != !config.sandbox || !config.nsd != !have_secret) {
		log_error("configuration blob: nsd, sandbox and secret come together");
		return -EINVAL;
	}
	if (!config.entrypoint || config.entrypoint[0] != '/') {
		log_error("configuration blob: no absolute entrypoint");
		return -EINVAL;
	}
	if (!config.argv)
		config.argv = push(NULL, &config.argc, config.entrypoint);
	if (!config.envp)
		config.envp = calloc(1, sizeof(char *));
	return 0;
}
