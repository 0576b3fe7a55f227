/* A small TOML 1.0 parser for Graphene manifests.
 *
 * Supported: comments, bare/quoted/dotted keys, [tables], [[arrays of
 * tables]], basic/literal/multi-line strings, integers (dec/hex/oct/bin,
 * underscores), floats (incl. inf/nan), booleans, arrays and inline tables.
 * Not supported: dates and times (rejected with a clear message).
 *
 * The whole document lives in one arena freed by toml_free(). Every value
 * records the line and column where it starts; tables record the line of
 * their header (or of the first key that created them).
 */
#ifndef GRAPHENE_TOML_H
#define GRAPHENE_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum toml_type { TOML_STRING, TOML_INT, TOML_FLOAT, TOML_BOOL, TOML_ARRAY, TOML_TABLE };

struct toml_value;

struct toml_array {
    struct toml_value **items;
    size_t len, cap;
};

struct toml_table {
    char **keys;                  /* parallel to vals, in document order */
    struct toml_value **vals;
    size_t len, cap;
    uint32_t *slots;              /* lookup index of larger tables (toml.c) */
    size_t nslots;
};

struct toml_value {
    enum toml_type type;
    int line, col;
    int flags;                    /* parser bookkeeping (toml.c) */
    union {
        struct { char *ptr; size_t len; } str;   /* NUL-terminated too */
        int64_t i;
        double f;
        bool b;
        struct toml_array arr;
        struct toml_table tab;
    } u;
};

struct toml_error {
    int line, col;
    char key[256];                /* dotted path of the key being parsed, or "" */
    char msg[256];
};

struct toml_doc;

/* Parses len bytes of text. Returns NULL and fills *err on error. */
struct toml_doc *toml_parse(const char *text, size_t len, struct toml_error *err);
void toml_free(struct toml_doc *doc);

/* The root table of a parsed document. */
const struct toml_value *toml_root(const struct toml_doc *doc);
/* Looks a key up in a table value; NULL if absent or v is not a table. */
const struct toml_value *toml_get(const struct toml_value *table, const char *key);
/* "string", "integer", ... for messages. */
const char *toml_type_name(enum toml_type t);
/* Appends key to a dotted path, quoting it unless it is a bare key. */
void toml_path_append(char *path, size_t size, const char *key);

#endif
