/* Differential driver of the libos's vsnprintf (libos/rt/fmt.c, built here
 * under other names) against glibc's, over random formats of what the libos
 * supports: %d %i %u %x %o with l/ll/z, '-' and '0' flags and a width
 * (digits or '*'), %s with a width and a precision (digits or '*'), %c, %p
 * of a non-NULL pointer, %%; each into a buffer of random size, down to 0.
 * usage: fmttool SEED ROUNDS; prints "ok ROUNDS" or the first mismatches. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int libos_snprintf(char *buf, size_t size, const char *fmt, ...);

static unsigned long long next(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static const char *const words[] = { "", "a", "proc", "t_fastpath", "/proc/1/task/2/stat", "x y\tz" };

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fmttool SEED ROUNDS\n");
        return 2;
    }
    unsigned long long s = strtoull(argv[1], NULL, 0) | 1;
    long rounds = atol(argv[2]), bad = 0;
    for (long r = 0; r < rounds; r++) {
        char fmt[64], mine[96], theirs[96];
        int k = 0, width = (int)(next(&s) % 24), prec = (int)(next(&s) % 24), star = next(&s) % 2;
        fmt[k++] = '%';
        unsigned kind = next(&s) % 9;
        int flags = next(&s) % 3; /* none, '-', '0' (numbers only) */
        if (flags == 1)
            fmt[k++] = '-';
        else if (flags == 2 && kind < 5)
            fmt[k++] = '0';
        if (kind != 7 && kind != 8 && next(&s) % 2)
            k += star ? sprintf(fmt + k, "*") : sprintf(fmt + k, "%d", width);
        else
            star = 0;
        if (kind == 5 && next(&s) % 2)
            k += next(&s) % 2 ? sprintf(fmt + k, ".*") : sprintf(fmt + k, ".%d", prec);
        const char *len = kind < 5 ? (const char *[]){ "", "l", "ll", "z" }[next(&s) % 4] : "";
        k += sprintf(fmt + k, "%s%c", len, "diuxoscp%"[kind]);
        sprintf(fmt + k, "|");
        long long v = (long long)next(&s) >> (next(&s) % 64);
        if (!*len)
            v = (int)v;
        if (kind >= 2 && kind <= 4 && !*len)
            v = (unsigned)v;
        const char *w = words[next(&s) % 6];
        size_t size = next(&s) % 4 ? sizeof(mine) : next(&s) % 12;
        int a, b;
        /* the same arguments to both: a width first if '*', a precision if '.*' */
        int has_pstar = strstr(fmt, ".*") != NULL;
        int wstar = star && !(has_pstar && strchr(fmt, '*') == strstr(fmt, ".*") + 1);
#define BOTH(...) (a = libos_snprintf(mine, size, fmt, __VA_ARGS__), b = snprintf(theirs, size, fmt, __VA_ARGS__))
        switch (kind) {
        case 5:
            if (wstar && has_pstar)
                BOTH(width, prec, w);
            else if (wstar)
                BOTH(width, w);
            else if (has_pstar)
                BOTH(prec, w);
            else
                BOTH(w);
            break;
        case 6:
            wstar ? BOTH(width, 'a' + (int)(v & 15)) : BOTH('a' + (int)(v & 15));
            break;
        case 7:
            BOTH((void *)(uintptr_t)(v | 1));
            break;
        case 8:
            BOTH(0);
            break;
        default:
            if (*len && wstar)
                BOTH(width, v);
            else if (*len)
                BOTH(v);
            else if (wstar)
                BOTH(width, (int)v);
            else
                BOTH((int)v);
        }
        if (a != b || (size && strcmp(mine, theirs))) {
            if (bad++ < 5)
                printf("mismatch: format \"%s\" size %zu: libos %d \"%s\", glibc %d \"%s\"\n", fmt, size, a,
                       size ? mine : "", b, size ? theirs : "");
        }
    }
    if (bad)
        printf("%ld of %ld differ\n", bad, rounds);
    else
        printf("ok %ld\n", rounds);
    return bad != 0;
}
