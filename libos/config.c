/* Decoding of the launcher's configuration blob (format: config_blob.h). */
#include <asm/errno.h>
#include <asm/stat.h>
#include "config.h"
#include "host/host.h"
#include "log.h"
#include "rt.h"

struct config config;

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
	if (!uri)
		return -EINVAL;
	*path++ = 0;
	*uri++ = 0;
	struct mount_cfg *m = realloc(config.mounts, sizeof(*m) * (config.nmounts + 1));
	if (!m)
		return -ENOMEM;
	config.mounts = m;
	m[config.nmounts++] = (struct mount_cfg){ val, path, uri };
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
	if (!strcmp(key, "stack_size"))
		return parse_size(val, &config.stack_size);
	if (!strcmp(key, "brk_max"))
		return parse_size(val, &config.brk_max);
	if (!strcmp(key, "fast_path")) {
		if (!parse_u64(val, &v) || v > 1)
			return -EINVAL;
		config.fast_path = v;
		return 0;
	}
	if (!strcmp(key, "arg"))
		return (config.argv = push(config.argv, &config.argc, val)) ? 0 : -ENOMEM;
	if (!strcmp(key, "env"))
		return (config.envp = push(config.envp, &config.envc, val)) ? 0 : -ENOMEM;
	if (!strcmp(key, "mount"))
		return parse_mount(val);
	return -EINVAL;
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
	config.stack_size = 8 << 20;
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
