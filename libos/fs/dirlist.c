/* Builds the getdents64 records of directories the libos makes up. */
#include "fs.h"

struct dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int dirlist_add(struct dirlist *dl, const char *name, unsigned char type, uint64_t ino)
{
	size_t n = strlen(name);
	size_t reclen = ALIGN_UP(offsetof(struct dirent64, d_name) + n + 1, 8);
	if (dl->len + reclen > dl->cap) {
		size_t cap = MAX(dl->cap * 2, dl->len + reclen + 1024);
		char *b = realloc(dl->buf, cap);
		if (!b)
			return -ENOMEM;
		dl->buf = b;
		dl->cap = cap;
	}
	struct dirent64 *d = (struct dirent64 *)(dl->buf + dl->len);
	memset(d, 0, reclen);
	d->d_ino = ino;
	d->d_off = (int64_t)(dl->len + reclen); /* the offset of the next record */
	d->d_reclen = (unsigned short)reclen;
	d->d_type = type;
	memcpy(d->d_name, name, n + 1);
	dl->len += reclen;
	return 0;
}

int dirlist_add_once(struct dirlist *dl, const char *name, unsigned char type, uint64_t ino)
{
	for (size_t off = 0; off < dl->len;) {
		struct dirent64 *d = (struct dirent64 *)(dl->buf + off);
		if (!strcmp(d->d_name, name))
			return 0;
		off += d->d_reclen;
	}
	return dirlist_add(dl, name, type, ino);
}

void dirlist_free(struct dirlist *dl)
{
	free(dl->buf);
	*dl = (struct dirlist){ 0 };
}
