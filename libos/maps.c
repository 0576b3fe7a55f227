/* /proc/self/maps, read by the libos through its own site. */
#include <linux/fcntl.h>
#include "host/host.h"
#include "maps.h"
#include "rt.h"

char *maps_read(void)
{
	long fd = host(__NR_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	for (long n; buf && (n = host(__NR_read, fd, buf + len, cap - len - 1)) > 0;) {
		len += n;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	host_close((int)fd);
	if (buf)
		buf[len] = 0;
	return buf;
}

static uint64_t hex(char **p)
{
	uint64_t v = 0;
	for (; (**p >= '0' && **p <= '9') || (**p >= 'a' && **p <= 'f'); (*p)++)
		v = v * 16 + (**p <= '9' ? **p - '0' : **p - 'a' + 10);
	return v;
}

static void skip_field(char **p)
{
	while (**p && **p != ' ')
		(*p)++;
	while (**p == ' ')
		(*p)++;
}

bool maps_next(char **cursor, struct maps_line *l)
{
	char *line = *cursor;
	if (!*line)
		return false;
	char *nl = strchr(line, '\n');
	if (nl)
		*nl = 0;
	*cursor = nl ? nl + 1 : line + strlen(line);
	char *p = line;
	l->lo = hex(&p);
	p++;
	l->hi = hex(&p);
	while (*p == ' ')
		p++;
	memset(l->perms, 0, sizeof(l->perms));
	for (int i = 0; i < 4 && *p && *p != ' '; i++)
		l->perms[i] = *p++;
	skip_field(&p);
	l->offset = hex(&p);
	skip_field(&p);
	skip_field(&p); /* dev */
	l->inode = 0;
	for (; *p >= '0' && *p <= '9'; p++)
		l->inode = l->inode * 10 + (uint64_t)(*p - '0');
	while (*p == ' ')
		p++;
	l->name = p;
	return true;
}
