/* Test driver: parses a TOML file (or stdin) and prints one line per leaf,
 * "path = type:value @line:col", so tests can compare structure, values and
 * recorded positions. On error prints "error LINE:COL key 'K': MSG" and
 * exits 1. */
#include "../../tools/toml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_str(const char *s, size_t len)
{
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void dump(const char *path, const struct toml_value *v)
{
    char sub[1024];
    switch (v->type) {
    case TOML_TABLE:
        if (!v->u.tab.len)
            printf("%s = table:{} @%d:%d\n", path, v->line, v->col);
        for (size_t i = 0; i < v->u.tab.len; i++) {
            snprintf(sub, sizeof(sub), "%s", path);
            toml_path_append(sub, sizeof(sub), v->u.tab.keys[i]);
            dump(sub, v->u.tab.vals[i]);
        }
        return;
    case TOML_ARRAY:
        if (!v->u.arr.len)
            printf("%s = array:[] @%d:%d\n", path, v->line, v->col);
        for (size_t i = 0; i < v->u.arr.len; i++) {
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            dump(sub, v->u.arr.items[i]);
        }
        return;
    case TOML_STRING:
        printf("%s = string:", path);
        print_str(v->u.str.ptr, v->u.str.len);
        break;
    case TOML_INT:
        printf("%s = int:%lld", path, (long long)v->u.i);
        break;
    case TOML_FLOAT:
        printf("%s = float:%.17g", path, v->u.f);
        break;
    case TOML_BOOL:
        printf("%s = bool:%s", path, v->u.b ? "true" : "false");
        break;
    }
    printf(" @%d:%d\n", v->line, v->col);
}

int main(int argc, char **argv)
{
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap && !(text = realloc(text, cap = cap * 2 + 4096)))
            return 2;
        n = fread(text + len, 1, cap - len, f);
        len += n;
    } while (n);
    struct toml_error err;
    struct toml_doc *doc = toml_parse(text, len, &err);
    free(text);
    if (!doc) {
        printf("error %d:%d key '%s': %s\n", err.line, err.col, err.key, err.msg);
        return 1;
    }
    dump("", toml_root(doc));
    toml_free(doc);
    return 0;
}
