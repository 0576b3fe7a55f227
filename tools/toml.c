/* TOML 1.0 parser (see toml.h). Recursive descent over the whole buffer;
 * errors longjmp out, which is safe because every allocation lives in the
 * document's arena. */
#include "toml.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Table flags: how a table came to exist decides whether it may be reopened
 * by a header or extended by a dotted key (TOML 1.0, "Table" section). */
enum {
    T_IMPLICIT = 1,   /* created as a prefix of a [header]; may be defined once later */
    T_DEFINED = 2,    /* defined by [header] or an [[array]] element */
    T_DOTTED = 4,     /* created or entered by a dotted key; only dotted keys may add to it */
    T_SEALED = 8,     /* inline table (or inside one): closed for good */
    A_OF_TABLES = 16, /* array created by [[header]]: may be appended to */
};

#define MAX_DEPTH 64      /* nesting of arrays/inline tables: bounds the recursion */
#define MAX_KEY_PARTS 64

struct chunk {
    struct chunk *next;
    size_t used, size;
    max_align_t data[];
};

struct toml_doc {
    struct chunk *chunks;
    struct toml_value *root;
};

struct parser {
    const char *p, *end, *line_start;
    int line;
    int depth;
    struct toml_doc *doc;
    struct toml_value *cur;        /* table receiving key/value pairs */
    struct toml_error *err;
    jmp_buf fail;
    char path[sizeof(((struct toml_error *)0)->key)];
    char here[16];                 /* scratch for here() */
};

struct buf {
    char *ptr;
    size_t len, cap;
};

static void *alloc(struct parser *P, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    struct chunk *c = P->doc->chunks;
    if (!c || c->size - c->used < size) {
        size_t csize = size > 16384 ? size : 16384;
        c = calloc(1, sizeof(*c) + csize);
        if (!c) {
            snprintf(P->err->msg, sizeof(P->err->msg), "out of memory");
            longjmp(P->fail, 1);
        }
        c->size = csize;
        c->next = P->doc->chunks;
        P->doc->chunks = c;
    }
    void *r = (char *)c->data + c->used;
    c->used += size;
    return r;
}

static int col(const struct parser *P, const char *at)
{
    return (int)(at - P->line_start) + 1;
}

static _Noreturn void vfail_at(struct parser *P, int line, int column, const char *fmt, va_list ap)
{
    P->err->line = line;
    P->err->col = column;
    snprintf(P->err->key, sizeof(P->err->key), "%s", P->path);
    vsnprintf(P->err->msg, sizeof(P->err->msg), fmt, ap);
    longjmp(P->fail, 1);
}

static _Noreturn __attribute__((format(printf, 4, 5)))
void fail_at(struct parser *P, int line, int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(P, line, column, fmt, ap);
}

static _Noreturn __attribute__((format(printf, 2, 3)))
void fail(struct parser *P, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(P, P->line, col(P, P->p), fmt, ap);
}

static struct toml_value *new_value(struct parser *P, enum toml_type type, int line, int column)
{
    struct toml_value *v = alloc(P, sizeof(*v));
    v->type = type;
    v->line = line;
    v->col = column;
    return v;
}

static void buf_put(struct parser *P, struct buf *b, char c)
{
    if (b->len + 1 >= b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        char *n = alloc(P, cap);
        if (b->len)
            memcpy(n, b->ptr, b->len);
        b->ptr = n;
        b->cap = cap;
    }
    b->ptr[b->len++] = c;
    b->ptr[b->len] = '\0';
}

/* Tables past a few keys get an open-addressing index (slot = position + 1,
 * 0 empty) so that parsing stays linear in the number of keys: a linear
 * scan per key made 40k keys of one table take 1.7 s, 200k over a minute. */
#define INDEX_MIN_KEYS 8

static size_t key_hash(const char *key)
{
    size_t h = 14695981039346656037ull;
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 1099511628211ull;
    return h;
}

static void index_put(struct toml_table *tab, size_t i)
{
    size_t mask = tab->nslots - 1, s = key_hash(tab->keys[i]) & mask;
    while (tab->slots[s])
        s = (s + 1) & mask;
    tab->slots[s] = (uint32_t)(i + 1);
}

/* Keeps the index at most half full; rebuilt (in the arena) as it grows. */
static void index_grow(struct parser *P, struct toml_table *tab)
{
    if (tab->len < INDEX_MIN_KEYS || 2 * tab->len < tab->nslots)
        return;
    tab->nslots = tab->nslots ? tab->nslots * 2 : 4 * INDEX_MIN_KEYS;
    tab->slots = alloc(P, tab->nslots * sizeof(*tab->slots));
    memset(tab->slots, 0, tab->nslots * sizeof(*tab->slots));
    for (size_t i = 0; i < tab->len; i++)
        index_put(tab, i);
}

static void table_add(struct parser *P, struct toml_value *t, char *key, struct toml_value *v)
{
    struct toml_table *tab = &t->u.tab;
    if (tab->len == tab->cap) {
        size_t cap = tab->cap ? tab->cap * 2 : 8;
        char **keys = alloc(P, cap * sizeof(*keys));
        struct toml_value **vals = alloc(P, cap * sizeof(*vals));
        if (tab->len) {
            memcpy(keys, tab->keys, tab->len * sizeof(*keys));
            memcpy(vals, tab->vals, tab->len * sizeof(*vals));
        }
        tab->keys = keys;
        tab->vals = vals;
        tab->cap = cap;
    }
    tab->keys[tab->len] = key;
    tab->vals[tab->len++] = v;
    if (tab->slots)
        index_put(tab, tab->len - 1);
    index_grow(P, tab);
}

static void array_push(struct parser *P, struct toml_value *a, struct toml_value *v)
{
    struct toml_array *arr = &a->u.arr;
    if (arr->len == arr->cap) {
        size_t cap = arr->cap ? arr->cap * 2 : 8;
        struct toml_value **items = alloc(P, cap * sizeof(*items));
        if (arr->len)
            memcpy(items, arr->items, arr->len * sizeof(*items));
        arr->items = items;
        arr->cap = cap;
    }
    arr->items[arr->len++] = v;
}

static struct toml_value *table_find(const struct toml_value *t, const char *key)
{
    const struct toml_table *tab = &t->u.tab;
    if (!tab->slots) {
        for (size_t i = 0; i < tab->len; i++)
            if (!strcmp(tab->keys[i], key))
                return tab->vals[i];
        return NULL;
    }
    size_t mask = tab->nslots - 1;
    for (size_t s = key_hash(key) & mask; tab->slots[s]; s = (s + 1) & mask)
        if (!strcmp(tab->keys[tab->slots[s] - 1], key))
            return tab->vals[tab->slots[s] - 1];
    return NULL;
}

/* ---- paths for messages ---- */

static bool is_bare(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

void toml_path_append(char *path, size_t size, const char *key)
{
    size_t n = strlen(path);
    bool bare = *key != '\0';
    for (const char *k = key; *k; k++)
        bare = bare && is_bare(*k);
    if (n)
        n += snprintf(path + n, n < size ? size - n : 0, ".");
    if (bare) {
        snprintf(path + n, n < size ? size - n : 0, "%s", key);
        return;
    }
    n += snprintf(path + n, n < size ? size - n : 0, "\"");
    for (const unsigned char *k = (const unsigned char *)key; *k && n < size; k++) {
        if (*k == '"' || *k == '\\')
            n += snprintf(path + n, size - n, "\\%c", *k);
        else if (*k < 0x20 || *k == 0x7f)
            n += snprintf(path + n, size - n, "\\u%04x", *k);
        else
            n += snprintf(path + n, size - n, "%c", *k);
    }
    snprintf(path + n, n < size ? size - n : 0, "\"");
}

static void path_index(struct parser *P, size_t i)
{
    size_t n = strlen(P->path);
    snprintf(P->path + n, sizeof(P->path) - n, "[%zu]", i);
}

/* ---- lexing ---- */

static bool at_end(const struct parser *P)
{
    return P->p >= P->end;
}

/* The character at P->p for messages: "'c'", "byte 0xNN" or "end of input". */
static const char *here(struct parser *P)
{
    if (at_end(P))
        return "end of input";
    unsigned char c = (unsigned char)*P->p;
    snprintf(P->here, sizeof(P->here), c > 0x20 && c < 0x7f ? "'%c'" : "byte 0x%02x", c);
    return P->here;
}

static bool is_control(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void newline(struct parser *P)
{
    P->p += *P->p == '\r' ? 2 : 1;
    P->line++;
    P->line_start = P->p;
}

static bool at_newline(const struct parser *P)
{
    return !at_end(P) && (*P->p == '\n' || (*P->p == '\r' && P->p + 1 < P->end && P->p[1] == '\n'));
}

static void skip_ws(struct parser *P)
{
    while (!at_end(P) && (*P->p == ' ' || *P->p == '\t'))
        P->p++;
}

static void skip_comment(struct parser *P)
{
    if (at_end(P) || *P->p != '#')
        return;
    for (P->p++; !at_end(P) && *P->p != '\n'; P->p++)
        if (is_control((unsigned char)*P->p) && !at_newline(P))
            fail(P, "control character 0x%02x in comment", (unsigned char)*P->p);
}

/* Whitespace, comments and newlines, as allowed inside arrays. */
static void skip_ws_nl(struct parser *P)
{
    for (;;) {
        skip_ws(P);
        skip_comment(P);
        if (!at_newline(P))
            return;
        newline(P);
    }
}

static void expect_eol(struct parser *P)
{
    skip_ws(P);
    skip_comment(P);
    if (at_end(P))
        return;
    if (!at_newline(P))
        fail(P, "expected end of line, found %s", here(P));
    newline(P);
}

static bool starts(const struct parser *P, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(P->end - P->p) >= n && !memcmp(P->p, s, n);
}

/* Rejects malformed UTF-8 up front, so later stages may treat bytes >= 0x80
 * as ordinary characters. */
static void check_utf8(struct parser *P)
{
    const unsigned char *s = (const unsigned char *)P->p, *end = (const unsigned char *)P->end;
    const char *line_start = P->p;
    int line = 1;
    while (s < end) {
        unsigned c = *s;
        int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
        uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1f) : n == 2 ? (c & 0x0f) : (c & 0x07);
        bool ok = n >= 0 && end - s > n;
        for (int i = 1; ok && i <= n; i++) {
            ok = (s[i] & 0xc0) == 0x80;
            cp = cp << 6 | (s[i] & 0x3f);
        }
        static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };
        if (!ok || cp < min[n < 0 ? 0 : n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            fail_at(P, line, (int)((const char *)s - line_start) + 1, "invalid UTF-8");
        if (c == '\n') {
            line++;
            line_start = (const char *)s + 1;
        }
        s += n + 1;
    }
}

/* ---- strings ---- */

static void put_utf8(struct parser *P, struct buf *b, uint32_t cp)
{
    if (cp < 0x80) {
        buf_put(P, b, (char)cp);
    } else if (cp < 0x800) {
        buf_put(P, b, (char)(0xc0 | cp >> 6));
        buf_put(P, b, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        buf_put(P, b, (char)(0xe0 | cp >> 12));
        buf_put(P, b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_put(P, b, (char)(0x80 | (cp & 0x3f)));
    } else {
        buf_put(P, b, (char)(0xf0 | cp >> 18));
        buf_put(P, b, (char)(0x80 | ((cp >> 12) & 0x3f)));
        buf_put(P, b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_put(P, b, (char)(0x80 | (cp & 0x3f)));
    }
}

static void escape(struct parser *P, struct buf *b)
{
    const char *start = P->p++; /* the backslash */
    if (at_end(P))
        fail(P, "unterminated string");
    char c = *P->p++;
    int digits = 0;
    switch (c) {
    case 'b': buf_put(P, b, '\b'); return;
    case 't': buf_put(P, b, '\t'); return;
    case 'n': buf_put(P, b, '\n'); return;
    case 'f': buf_put(P, b, '\f'); return;
    case 'r': buf_put(P, b, '\r'); return;
    case '"': buf_put(P, b, '"'); return;
    case '\\': buf_put(P, b, '\\'); return;
    case 'u': digits = 4; break;
    case 'U': digits = 8; break;
    default:
        fail_at(P, P->line, col(P, start), "invalid escape sequence '\\%c'", c);
    }
    uint32_t cp = 0;
    for (int i = 0; i < digits; i++, P->p++) {
        char h = at_end(P) ? 0 : *P->p;
        int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 :
                h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (d < 0)
            fail_at(P, P->line, col(P, start), "\\%c escape needs %d hex digits", c, digits);
        cp = cp << 4 | (uint32_t)d;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        fail_at(P, P->line, col(P, start), "escape is not a Unicode scalar value");
    put_utf8(P, b, cp);
}

/* Consumes a run of quote characters inside a multi-line string; returns
 * true when it closed the string. Up to two quotes may precede the closing
 * delimiter (""""" is two quotes then the end). */
static bool quote_run(struct parser *P, struct buf *b, char q)
{
    int n = 0;
    while (!at_end(P) && *P->p == q && n < 6) {
        P->p++;
        n++;
    }
    if (n > 5)
        fail(P, "too many quotes in a row in multi-line string");
    int keep = n >= 3 ? n - 3 : n;
    for (int i = 0; i < keep; i++)
        buf_put(P, b, q);
    return n >= 3;
}

static struct buf parse_string(struct parser *P)
{
    char q = *P->p;
    bool literal = q == '\'';
    bool multi = starts(P, literal ? "'''" : "\"\"\"");
    int line = P->line, column = col(P, P->p);
    struct buf b = { 0 };
    buf_put(P, &b, 0); /* empty strings still get a buffer */
    b.len = 0;
    P->p += multi ? 3 : 1;
    if (multi && at_newline(P))
        newline(P); /* a newline right after the delimiter is trimmed */
    for (;;) {
        if (at_end(P))
            fail_at(P, line, column, "unterminated string");
        unsigned char c = (unsigned char)*P->p;
        if (c == (unsigned char)q) {
            if (!multi) {
                P->p++;
                return b;
            }
            if (quote_run(P, &b, q))
                return b;
        } else if (c == '\\' && !literal) {
            const char *s = P->p + 1;
            while (multi && s < P->end && (*s == ' ' || *s == '\t'))
                s++;
            if (multi && s < P->end && (*s == '\n' || (*s == '\r' && s + 1 < P->end && s[1] == '\n'))) {
                /* line-ending backslash: drop whitespace up to the next text */
                P->p = s;
                while (!at_end(P) && (*P->p == ' ' || *P->p == '\t' || at_newline(P))) {
                    if (at_newline(P))
                        newline(P);
                    else
                        P->p++;
                }
            } else {
                escape(P, &b);
            }
        } else if (multi && at_newline(P)) {
            buf_put(P, &b, '\n');
            newline(P);
        } else if (is_control(c)) {
            fail(P, !multi && (c == '\n' || c == '\r') ? "newline in single-line string"
                                                      : "control character 0x%02x in string", c);
        } else {
            buf_put(P, &b, (char)c);
            P->p++;
        }
    }
}

/* ---- keys ---- */

static char *parse_simple_key(struct parser *P)
{
    if (!at_end(P) && (*P->p == '"' || *P->p == '\'')) {
        if (starts(P, "\"\"\"") || starts(P, "'''"))
            fail(P, "multi-line strings cannot be keys");
        struct buf b = parse_string(P);
        if (strlen(b.ptr) != b.len)
            fail(P, "keys cannot contain NUL");
        return b.ptr;
    }
    const char *s = P->p;
    while (!at_end(P) && is_bare(*P->p))
        P->p++;
    if (P->p == s)
        fail(P, "expected a key, found %s", at_newline(P) ? "end of line" : here(P));
    char *k = alloc(P, (size_t)(P->p - s) + 1);
    memcpy(k, s, (size_t)(P->p - s));
    return k;
}

static size_t parse_key(struct parser *P, char **parts)
{
    size_t n = 0;
    for (;;) {
        if (n == MAX_KEY_PARTS)
            fail(P, "key has too many parts");
        parts[n++] = parse_simple_key(P);
        skip_ws(P);
        if (at_end(P) || *P->p != '.')
            return n;
        P->p++;
        skip_ws(P);
    }
}

/* ---- values ---- */

static struct toml_value *parse_value(struct parser *P);

static struct toml_value *new_table(struct parser *P, int flags, int line, int column)
{
    struct toml_value *t = new_value(P, TOML_TABLE, line, column);
    t->flags = flags;
    return t;
}

static void seal(struct toml_value *t)
{
    t->flags |= T_SEALED;
    for (size_t i = 0; i < t->u.tab.len; i++)
        if (t->u.tab.vals[i]->type == TOML_TABLE)
            seal(t->u.tab.vals[i]);
}

/* Stores val under the dotted key parts[0..n) of table t (key/value pairs
 * and inline tables). */
static void set_dotted(struct parser *P, struct toml_value *t, char **parts, size_t n,
                       struct toml_value *val, int line, int column)
{
    for (size_t i = 0; i + 1 < n; i++) {
        struct toml_value *sub = table_find(t, parts[i]);
        if (!sub) {
            sub = new_table(P, T_DOTTED, line, column);
            table_add(P, t, parts[i], sub);
        } else if (sub->type != TOML_TABLE) {
            fail_at(P, line, column, "key '%s' is already defined as %s on line %d",
                    parts[i], toml_type_name(sub->type), sub->line);
        } else if (sub->flags & (T_DEFINED | T_SEALED)) {
            fail_at(P, line, column, "table '%s' (line %d) cannot be extended by a dotted key",
                    parts[i], sub->line);
        } else {
            sub->flags = T_DOTTED; /* an implicit table is now defined by dotted keys */
        }
        t = sub;
    }
    struct toml_value *old = table_find(t, parts[n - 1]);
    if (old)
        fail_at(P, line, column, "duplicate key (first defined on line %d)", old->line);
    table_add(P, t, parts[n - 1], val);
}

static struct toml_value *parse_array(struct parser *P)
{
    struct toml_value *a = new_value(P, TOML_ARRAY, P->line, col(P, P->p));
    size_t saved = strlen(P->path);
    P->p++;
    for (;;) {
        skip_ws_nl(P);
        if (at_end(P))
            fail_at(P, a->line, a->col, "unterminated array");
        if (*P->p == ']')
            break;
        path_index(P, a->u.arr.len);
        array_push(P, a, parse_value(P));
        P->path[saved] = '\0';
        skip_ws_nl(P);
        if (!at_end(P) && *P->p == ',') {
            P->p++;
        } else if (at_end(P) || *P->p != ']') {
            fail(P, "expected ',' or ']' in array");
        }
    }
    P->p++;
    return a;
}

/* key = value into t, for both top-level lines and inline tables. Leaves the key
 * in P->path so that errors up to the end of the line name it. */
static void parse_keyval(struct parser *P, struct toml_value *t)
{
    char *parts[MAX_KEY_PARTS];
    int line = P->line, column = col(P, P->p);
    size_t n = parse_key(P, parts);
    for (size_t i = 0; i < n; i++)
        toml_path_append(P->path, sizeof(P->path), parts[i]);
    if (at_end(P) || *P->p != '=')
        fail(P, "expected '=' after key");
    P->p++;
    skip_ws(P);
    set_dotted(P, t, parts, n, parse_value(P), line, column);
}

static struct toml_value *parse_inline_table(struct parser *P)
{
    struct toml_value *t = new_table(P, 0, P->line, col(P, P->p));
    size_t saved = strlen(P->path);
    P->p++;
    skip_ws(P);
    if (!at_end(P) && *P->p == '}') {
        P->p++;
        seal(t);
        return t;
    }
    for (;;) {
        parse_keyval(P, t);
        P->path[saved] = '\0';
        skip_ws(P);
        if (at_end(P) || (*P->p != ',' && *P->p != '}'))
            fail(P, "expected ',' or '}' in inline table (inline tables must fit on one line)");
        if (*P->p++ == '}')
            break;
        skip_ws(P);
        if (!at_end(P) && *P->p == '}')
            fail(P, "trailing comma is not allowed in inline table");
    }
    seal(t);
    return t;
}

/* Checks a run of digits of the given base in [s, e) where '_' must sit
 * between two digits; copies the digits (without '_') into out. */
static bool digits_ok(const char *s, const char *e, int base, char *out, size_t *outlen)
{
    if (s == e)
        return false;
    for (const char *c = s; c < e; c++) {
        if (*c == '_') {
            if (c == s || c + 1 == e || c[1] == '_')
                return false;
            continue;
        }
        int d = *c >= '0' && *c <= '9' ? *c - '0' : *c >= 'a' && *c <= 'f' ? *c - 'a' + 10 :
                *c >= 'A' && *c <= 'F' ? *c - 'A' + 10 : 99;
        if (d >= base)
            return false;
        out[(*outlen)++] = *c;
    }
    out[*outlen] = '\0';
    return true;
}

static struct toml_value *parse_number(struct parser *P)
{
    int line = P->line, column = col(P, P->p);
    const char *s = P->p;
    while (!at_end(P) && (is_bare(*P->p) || *P->p == '+' || *P->p == '.' || *P->p == ':'))
        P->p++;
    const char *e = P->p;
    size_t n = (size_t)(e - s);
    if (n == 0)
        fail(P, "expected a value, found %s", at_newline(P) ? "end of line" : here(P));
    char tok[128], digits[128];
    snprintf(tok, sizeof(tok), "%.*s", (int)(n < 100 ? n : 100), s);
    if (n >= 100)
        fail_at(P, line, column, "number too long");
    if ((n >= 5 && tok[4] == '-' && tok[0] >= '0' && tok[0] <= '9') || (n >= 3 && tok[2] == ':'))
        fail_at(P, line, column, "dates and times are not supported");
    const char *t = tok;
    bool neg = *t == '-';
    bool sign = neg || *t == '+';
    t += sign;
    if (!strcmp(t, "inf") || !strcmp(t, "nan")) {
        struct toml_value *v = new_value(P, TOML_FLOAT, line, column);
        v->u.f = *t == 'i' ? (neg ? -INFINITY : INFINITY) : (neg ? -NAN : NAN);
        return v;
    }
    if ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z'))
        fail_at(P, line, column, "invalid value '%s' (strings must be quoted)", tok);
    size_t dl = 0;
    if (t[0] == '0' && (t[1] == 'x' || t[1] == 'o' || t[1] == 'b')) {
        int base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
        if (sign)
            fail_at(P, line, column, "sign is not allowed on hex/octal/binary integers");
        if (!digits_ok(t + 2, tok + n, base, digits, &dl))
            fail_at(P, line, column, "invalid integer '%s'", tok);
        errno = 0;
        unsigned long long u = strtoull(digits, NULL, base);
        if (errno || u > INT64_MAX)
            fail_at(P, line, column, "integer '%s' does not fit in 64 bits", tok);
        struct toml_value *v = new_value(P, TOML_INT, line, column);
        v->u.i = (int64_t)u;
        return v;
    }
    /* decimal integer part, then optional fraction and exponent */
    const char *ip = t, *ie = t;
    while (*ie && *ie != '.' && *ie != 'e' && *ie != 'E')
        ie++;
    if (neg)
        digits[dl++] = '-';
    if (!digits_ok(ip, ie, 10, digits, &dl))
        fail_at(P, line, column, "invalid number '%s'", tok);
    if (ip[0] == '0' && ie - ip > 1)
        fail_at(P, line, column, "leading zeros are not allowed in '%s'", tok);
    if (!*ie) {
        errno = 0;
        long long i = strtoll(digits, NULL, 10);
        if (errno)
            fail_at(P, line, column, "integer '%s' does not fit in 64 bits", tok);
        struct toml_value *v = new_value(P, TOML_INT, line, column);
        v->u.i = i;
        return v;
    }
    const char *c = ie;
    if (*c == '.') {
        const char *fe = ++c;
        while (*fe && *fe != 'e' && *fe != 'E')
            fe++;
        digits[dl++] = '.';
        if (!digits_ok(c, fe, 10, digits, &dl))
            fail_at(P, line, column, "invalid float '%s'", tok);
        c = fe;
    }
    if (*c == 'e' || *c == 'E') {
        c++;
        digits[dl++] = 'e';
        if (*c == '+' || *c == '-')
            digits[dl++] = *c++;
        if (!digits_ok(c, tok + n, 10, digits, &dl))
            fail_at(P, line, column, "invalid float '%s'", tok);
    } else if (*c) {
        fail_at(P, line, column, "invalid float '%s'", tok);
    }
    struct toml_value *v = new_value(P, TOML_FLOAT, line, column);
    v->u.f = strtod(digits, NULL);
    return v;
}

static bool keyword(struct parser *P, const char *word)
{
    size_t n = strlen(word);
    if (!starts(P, word) || (P->p + n < P->end && is_bare(P->p[n])))
        return false;
    P->p += n;
    return true;
}

static struct toml_value *parse_value(struct parser *P)
{
    if (at_end(P) || at_newline(P))
        fail(P, "expected a value");
    int line = P->line, column = col(P, P->p);
    char c = *P->p;
    if (c == '"' || c == '\'') {
        struct buf b = parse_string(P);
        struct toml_value *v = new_value(P, TOML_STRING, line, column);
        v->u.str.ptr = b.ptr;
        v->u.str.len = b.len;
        return v;
    }
    if (c == '[' || c == '{') {
        if (P->depth >= MAX_DEPTH)
            fail(P, "arrays/inline tables nested too deeply");
        P->depth++;
        struct toml_value *v = c == '[' ? parse_array(P) : parse_inline_table(P);
        P->depth--;
        return v;
    }
    if (keyword(P, "true") || keyword(P, "false")) {
        struct toml_value *v = new_value(P, TOML_BOOL, line, column);
        v->u.b = c == 't';
        return v;
    }
    return parse_number(P);
}

/* ---- document structure ---- */

static void parse_header(struct parser *P)
{
    int line = P->line, column = col(P, P->p);
    bool aot = starts(P, "[[");
    P->p += aot ? 2 : 1;
    P->path[0] = '\0';
    skip_ws(P);
    char *parts[MAX_KEY_PARTS];
    size_t n = parse_key(P, parts);
    for (size_t i = 0; i < n; i++)
        toml_path_append(P->path, sizeof(P->path), parts[i]);
    if (aot ? !starts(P, "]]") : !starts(P, "]"))
        fail(P, aot ? "expected ']]' to close array-of-tables header" : "expected ']' to close table header");
    P->p += aot ? 2 : 1;

    /* rebuilt below with the indices of arrays of tables */
    P->path[0] = '\0';
    struct toml_value *t = P->doc->root;
    for (size_t i = 0; i < n; i++) {
        bool last = i + 1 == n;
        toml_path_append(P->path, sizeof(P->path), parts[i]);
        struct toml_value *sub = table_find(t, parts[i]);
        if (!sub) {
            if (last && aot) {
                sub = new_value(P, TOML_ARRAY, line, column);
                sub->flags = A_OF_TABLES;
            } else {
                sub = new_table(P, last ? T_DEFINED : T_IMPLICIT, line, column);
            }
            table_add(P, t, parts[i], sub);
        } else if (sub->type == TOML_ARRAY && (sub->flags & A_OF_TABLES)) {
            /* an intermediate [[x]] refers to its last element */
        } else if (sub->type != TOML_TABLE) {
            fail_at(P, line, column, "key is already defined as %s on line %d",
                    toml_type_name(sub->type), sub->line);
        } else if (sub->flags & T_SEALED) {
            fail_at(P, line, column, "inline table (line %d) cannot be extended", sub->line);
        } else if (last && (aot || sub->flags != T_IMPLICIT)) {
            fail_at(P, line, column, "table is already defined on line %d", sub->line);
        } else if (last) {
            sub->flags = T_DEFINED;
            sub->line = line;
            sub->col = column;
        }
        if (sub->type == TOML_ARRAY) {
            if (last) {
                if (!aot)
                    fail_at(P, line, column, "key is already defined as an array of tables on line %d",
                            sub->line);
                array_push(P, sub, new_table(P, T_DEFINED, line, column));
            }
            path_index(P, sub->u.arr.len - 1);
            sub = sub->u.arr.items[sub->u.arr.len - 1];
        }
        t = sub;
    }
    P->cur = t;
}

struct toml_doc *toml_parse(const char *text, size_t len, struct toml_error *err)
{
    struct toml_doc *volatile doc = calloc(1, sizeof(*doc)); /* read after longjmp */
    struct parser P = { .p = text, .end = text + len, .line_start = text, .line = 1, .doc = doc, .err = err };
    memset(err, 0, sizeof(*err));
    if (!doc) {
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        return NULL;
    }
    if (setjmp(P.fail)) {
        toml_free(doc);
        return NULL;
    }
    check_utf8(&P);
    doc->root = new_table(&P, T_DEFINED, 1, 1);
    P.cur = doc->root;
    size_t header_path = 0;
    while (!at_end(&P)) {
        skip_ws(&P);
        if (!at_end(&P) && *P.p == '[') {
            parse_header(&P);
            header_path = strlen(P.path);
        } else if (!at_end(&P) && *P.p != '#' && !at_newline(&P)) {
            parse_keyval(&P, P.cur);
        }
        expect_eol(&P);
        P.path[header_path] = '\0';
    }
    return doc;
}

void toml_free(struct toml_doc *doc)
{
    if (!doc)
        return;
    for (struct chunk *c = doc->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(doc);
}

const struct toml_value *toml_root(const struct toml_doc *doc)
{
    return doc->root;
}

const struct toml_value *toml_get(const struct toml_value *table, const char *key)
{
    return table && table->type == TOML_TABLE ? table_find(table, key) : NULL;
}

const char *toml_type_name(enum toml_type t)
{
    static const char *const names[] = {
        [TOML_STRING] = "a string", [TOML_INT] = "an integer", [TOML_FLOAT] = "a float",
        [TOML_BOOL] = "a boolean", [TOML_ARRAY] = "an array", [TOML_TABLE] = "a table",
    };
    return names[t];
}
