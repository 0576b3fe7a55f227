/* Lexical path logic; see path.h. Uses only memcpy/strlen/memcmp so the same
 * file builds freestanding and natively. */
#include "path.h"
#include <asm-generic/errno.h>

size_t strlen(const char *s);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Drops the last component of canonical out[0..*len). */
static void drop_last(char *out, size_t *len)
{
	while (*len > 1 && out[*len - 1] != '/')
		(*len)--;
	if (*len > 1)
		(*len)--; /* the separator, unless it is the root itself */
	out[*len] = 0;
}

/* Applies the components of s, one by one, to canonical out[0..*len). */
static int apply(char *out, size_t *len, size_t size, const char *s)
{
	while (*s) {
		while (*s == '/')
			s++;
		const char *c = s;
		while (*s && *s != '/')
			s++;
		size_t n = s - c;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			drop_last(out, len);
			continue;
		}
		size_t sep = *len > 1;
		if (*len + sep + n + 1 > size)
			return -ENAMETOOLONG;
		if (sep)
			out[(*len)++] = '/';
		memcpy(out + *len, c, n);
		*len += n;
		out[*len] = 0;
	}
	return 0;
}

static int start(char *out, size_t *len, size_t size, const char *base)
{
	if (size < 2)
		return -ENAMETOOLONG;
	out[0] = '/';
	out[1] = 0;
	*len = 1;
	return base ? apply(out, len, size, base) : 0;
}

long path_canon(const char *base, const char *path, char *out, size_t size)
{
	size_t len;
	int r = start(out, &len, size, path[0] == '/' ? NULL : base);
	if (!r)
		r = apply(out, &len, size, path);
	return r ? r : (long)len;
}

int path_last_dots(const char *path)
{
	size_t n = strlen(path);
	const char *last = path + n;
	while (last > path && last[-1] != '/')
		last--;
	size_t ln = path + n - last;
	if (ln == 1 && last[0] == '.')
		return 1;
	return ln == 2 && last[0] == '.' && last[1] == '.' ? 2 : 0;
}

bool path_wants_dir(const char *path)
{
	size_t n = strlen(path);
	return (n && path[n - 1] == '/') || path_last_dots(path);
}

const char *path_under(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);
	if (n == 1) /* the root is everyone's ancestor */
		return path + 1;
	if (memcmp(prefix, path, n) != 0)
		return NULL;
	if (path[n] == 0)
		return path + n;
	return path[n] == '/' ? path + n + 1 : NULL;
}

int path_longest_prefix(const char *const *paths, int n, const char *path)
{
	int best = -1;
	size_t best_len = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(paths[i]);
		if ((best < 0 || len > best_len) && path_under(paths[i], path)) {
			best = i;
			best_len = len;
		}
	}
	return best;
}

bool path_child_toward(const char *dir, const char *desc, char *name, size_t size)
{
	const char *rest = path_under(dir, desc);
	if (!rest || !*rest)
		return false;
	size_t n = 0;
	while (rest[n] && rest[n] != '/')
		n++;
	if (n + 1 > size)
		return false;
	memcpy(name, rest, n);
	name[n] = 0;
	return true;
}

const char *path_split(const char *path, char *parent, size_t size)
{
	size_t n = strlen(path);
	const char *last = path + n;
	while (last > path && last[-1] != '/')
		last--;
	size_t plen = last - path > 1 ? (size_t)(last - path - 1) : 1;
	if (plen + 1 > size)
		plen = size - 1; /* cannot happen for a parent of a canonical path that fit */
	memcpy(parent, path, plen);
	parent[plen] = 0;
	return last;
}

long path_splice(const char *link_path, const char *target, const char *rest, char *out,
                 size_t size)
{
	size_t len;
	int r = start(out, &len, size, target[0] == '/' ? NULL : link_path);
	if (!r && target[0] != '/')
		drop_last(out, &len);
	if (!r)
		r = apply(out, &len, size, target);
	if (!r)
		r = apply(out, &len, size, rest);
	return r ? r : (long)len;
}
