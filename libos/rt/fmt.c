/* A small vsnprintf for log lines and the text of /proc files. */
#include "rt.h"

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, unsigned long long v, unsigned base, bool neg, int width,
                    char pad)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	/* With zero padding the sign goes before the zeros. */
	if (neg && pad == '0') {
		put(o, '-');
		width--;
	} else if (neg) {
		tmp[n++] = '-';
	}
	for (int i = n; i < width; i++)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		bool left = false;
		char pad = ' ';
		int width = 0, lng = 0;
		for (; *fmt == '-' || *fmt == '0'; fmt++) {
			if (*fmt == '-')
				left = true;
			else
				pad = '0';
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		/* a precision: the most bytes of a string (ignored for numbers) */
		size_t prec = (size_t)-1;
		if (*fmt == '.') {
			prec = 0;
			if (*++fmt == '*') {
				int p = va_arg(ap, int);
				prec = p < 0 ? (size_t)-1 : (size_t)p;
				fmt++;
			}
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				prec = prec * 10 + (size_t)(*fmt - '0');
		}
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng++;
		size_t start = o.len;
		switch (*fmt) {
		case 'd':
		case 'i': {
			long long v = lng ? va_arg(ap, long long) : va_arg(ap, int);
			put_num(&o, v < 0 ? -(unsigned long long)v : (unsigned long long)v, 10, v < 0,
			        left ? 0 : width, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'o': {
			unsigned long long v = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
			put_num(&o, v, *fmt == 'u' ? 10 : *fmt == 'x' ? 16 : 8, false, left ? 0 : width,
			        pad);
			break;
		}
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, 0, ' ');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t n = strnlen(s, prec);
			if (!left)
				for (size_t i = n; i < (size_t)width; i++)
					put(&o, ' ');
			for (size_t i = 0; i < n; i++)
				put(&o, s[i]);
			break;
		}
		case 'c':
			if (!left)
				for (int i = 1; i < width; i++)
					put(&o, ' ');
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
		if (left)
			while (o.len - start < (size_t)width)
				put(&o, ' ');
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
