/* Manifest validation (see manifest.h). Every check names the offending key
 * and the line of its value, because a manifest error is the first thing a
 * user meets (BRIEF decision 9). */
#include "manifest.h"

#include "../libos/config_blob.h"
#include "toml.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
    const char *file;       /* as the user named it, for messages */
    char *dir;              /* directory of the manifest, for relative uris */
    char *err;
    size_t errsize;
};

/* Formats the one-line error; v gives the line (NULL: the key is missing
 * from a document without the enclosing table, so there is no line). */
static __attribute__((format(printf, 4, 5)))
int error(struct ctx *c, const struct toml_value *v, const char *key, const char *fmt, ...)
{
    int n = v ? snprintf(c->err, c->errsize, "graphene: %s:%d: key '%s': ", c->file, v->line, key)
              : snprintf(c->err, c->errsize, "graphene: %s: key '%s': ", c->file, key);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->errsize)
        vsnprintf(c->err + n, c->errsize - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void join(char *out, size_t size, const char *path, const char *key)
{
    snprintf(out, size, "%s", path);
    toml_path_append(out, size, key);
}

static int expect(struct ctx *c, const struct toml_value *v, const char *key, enum toml_type type)
{
    if (v->type == type)
        return 0;
    return error(c, v, key, "expected %s, found %s", toml_type_name(type), toml_type_name(v->type));
}

/* Rejects keys of table v (named path) that are not in allowed. */
static int check_keys(struct ctx *c, const struct toml_value *v, const char *path,
                      const char *const *allowed)
{
    if (expect(c, v, path, TOML_TABLE))
        return -1;
    for (size_t i = 0; i < v->u.tab.len; i++) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, v->u.tab.keys[i]))
            a++;
        if (!*a) {
            char key[256];
            join(key, sizeof(key), path, v->u.tab.keys[i]);
            return error(c, v->u.tab.vals[i], key, "unknown key");
        }
    }
    return 0;
}

static int get_string(struct ctx *c, const struct toml_value *v, const char *key, char **out)
{
    if (expect(c, v, key, TOML_STRING))
        return -1;
    if (strlen(v->u.str.ptr) != v->u.str.len)
        return error(c, v, key, "string must not contain NUL bytes");
    if (!(*out = strdup(v->u.str.ptr)))
        return error(c, v, key, "out of memory");
    return 0;
}

/* Normalizes an absolute sandbox path: no empty or "." components, no
 * trailing slash; ".." is refused rather than interpreted. */
static int sandbox_path(struct ctx *c, const struct toml_value *v, const char *key, char **out)
{
    char *s;
    if (get_string(c, v, key, &s))
        return -1;
    if (s[0] != '/') {
        free(s);
        return error(c, v, key, "'%s' is not an absolute path", v->u.str.ptr);
    }
    char *w = s + 1;
    for (char *r = s + 1; *r;) {
        char *e = strchrnul(r, '/');
        size_t n = (size_t)(e - r);
        if (n == 2 && r[0] == '.' && r[1] == '.') {
            free(s);
            return error(c, v, key, "'..' is not allowed in '%s'", v->u.str.ptr);
        }
        if (n && !(n == 1 && r[0] == '.')) {
            if (w > s + 1)
                *w++ = '/';
            memmove(w, r, n);
            w += n;
        }
        r = *e ? e + 1 : e;
    }
    *w = '\0';
    *out = s;
    return 0;
}

static bool path_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return !strcmp(dir, "/") || (!strncmp(path, dir, n) && (path[n] == '/' || !path[n]));
}

/* Accepts an integer number of bytes or a string "N", "NK", "NM", "NG". */
static int get_size(struct ctx *c, const struct toml_value *v, const char *key, uint64_t *out)
{
    if (v->type == TOML_INT) {
        if (v->u.i <= 0)
            return error(c, v, key, "size must be positive");
        *out = (uint64_t)v->u.i;
        return 0;
    }
    if (v->type != TOML_STRING)
        return error(c, v, key, "expected a size (integer or string like \"8M\"), found %s",
                     toml_type_name(v->type));
    const char *s = v->u.str.ptr;
    uint64_t n = 0;
    bool ok = *s >= '0' && *s <= '9';
    for (; ok && *s >= '0' && *s <= '9'; s++)
        ok = !__builtin_mul_overflow(n, 10, &n) && !__builtin_add_overflow(n, (uint64_t)(*s - '0'), &n);
    int shift = !*s ? 0 : !strcmp(s, "K") ? 10 : !strcmp(s, "M") ? 20 : !strcmp(s, "G") ? 30 : -1;
    if (!ok || shift < 0 || n == 0 || n > (UINT64_MAX >> shift) || strlen(v->u.str.ptr) != v->u.str.len)
        return error(c, v, key, "invalid size '%s' (expected a positive number of bytes, "
                     "optionally with suffix K, M or G, e.g. \"8M\")", v->u.str.ptr);
    *out = n << shift;
    return 0;
}

static int push(char ***list, size_t *n, char *s)
{
    char **l = realloc(*list, (*n + 1) * sizeof(*l));
    if (!l) {
        free(s);
        return -1;
    }
    *list = l;
    l[(*n)++] = s;
    return 0;
}

static const char *const level_names[] = {
    [LOG_ERROR] = "error", [LOG_WARNING] = "warning", [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug", [LOG_TRACE] = "trace",
};

static int log_level(const char *s)
{
    for (int i = 0; i < (int)(sizeof(level_names) / sizeof(*level_names)); i++)
        if (!strcmp(s, level_names[i]))
            return i;
    return -1;
}

static int parse_libos(struct ctx *c, const struct toml_value *libos, struct manifest *m)
{
    static const char *const keys[] = { "entrypoint", NULL };
    if (libos && check_keys(c, libos, "libos", keys))
        return -1;
    const struct toml_value *v = toml_get(libos, "entrypoint");
    if (!v)
        return error(c, libos, "libos.entrypoint", "required key is missing");
    return sandbox_path(c, v, "libos.entrypoint", &m->entrypoint);
}

static int parse_env(struct ctx *c, const struct toml_value *env, char *const *envp, struct manifest *m)
{
    if (expect(c, env, "loader.env", TOML_TABLE))
        return -1;
    for (size_t i = 0; i < env->u.tab.len; i++) {
        const char *name = env->u.tab.keys[i];
        const struct toml_value *v = env->u.tab.vals[i];
        char key[256], *s = NULL;
        join(key, sizeof(key), "loader.env", name);
        if (!*name || strchr(name, '='))
            return error(c, v, key, "invalid environment variable name");
        if (v->type == TOML_TABLE) {
            static const char *const keys[] = { "passthrough", NULL };
            const struct toml_value *p = toml_get(v, "passthrough");
            char pkey[256];
            join(pkey, sizeof(pkey), key, "passthrough");
            if (check_keys(c, v, key, keys))
                return -1;
            if (!p)
                return error(c, v, key, "expected a string or { passthrough = true }");
            if (expect(c, p, pkey, TOML_BOOL))
                return -1;
            size_t n = strlen(name);
            for (char *const *e = envp; p->u.b && *e; e++)
                if (!strncmp(*e, name, n) && (*e)[n] == '=') {
                    if (!(s = strdup(*e)))
                        return error(c, v, key, "out of memory");
                    break;
                }
            if (!s)
                continue; /* not set in the launcher's environment: the app does not see it */
        } else {
            char *val;
            if (get_string(c, v, key, &val))
                return -1;
            int r = asprintf(&s, "%s=%s", name, val);
            free(val);
            if (r < 0)
                return error(c, v, key, "out of memory");
        }
        if (push(&m->env, &m->nenv, s))
            return error(c, v, key, "out of memory");
    }
    return 0;
}

/* The inherited fds the app may keep: anything else but stdio is closed by
 * the launcher (tools/confine.c). Below 1024, far from the libos's own fds
 * (at libos_fd_base, 4096 or more). */
static int parse_pass_fds(struct ctx *c, const struct toml_value *v, struct manifest *m)
{
    if (expect(c, v, "loader.pass_fds", TOML_ARRAY))
        return -1;
    if (!(m->pass_fds = calloc(v->u.arr.len + 1, sizeof(*m->pass_fds))))
        return error(c, v, "loader.pass_fds", "out of memory");
    for (size_t i = 0; i < v->u.arr.len; i++) {
        const struct toml_value *fd = v->u.arr.items[i];
        char key[64];
        snprintf(key, sizeof(key), "loader.pass_fds[%zu]", i);
        if (expect(c, fd, key, TOML_INT))
            return -1;
        if (fd->u.i < 3 || fd->u.i >= 1024)
            return error(c, fd, key, "fd %lld out of range (3 to 1023; 0, 1 and 2 are always passed)",
                         (long long)fd->u.i);
        m->pass_fds[m->npass_fds++] = (int)fd->u.i;
    }
    return 0;
}

/* loader.log_file: a host path (relative ones from the manifest's
 * directory) the libos opens for its messages before it confines itself;
 * its directory must exist. */
static int parse_log_file(struct ctx *c, const struct toml_value *v, struct manifest *m)
{
    char *s, *path = NULL;
    if (get_string(c, v, "loader.log_file", &s))
        return -1;
    if (*s != '/' && asprintf(&path, "%s/%s", c->dir, s) < 0)
        path = NULL;
    else if (*s == '/')
        path = strdup(s);
    free(s);
    if (!path)
        return error(c, v, "loader.log_file", "out of memory");
    char *slash = strrchr(path, '/'), *base = slash + 1;
    *slash = '\0';
    int r = 0;
    char *dir = realpath(*path ? path : "/", NULL);
    if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        r = error(c, v, "loader.log_file", "'%s' names no file", v->u.str.ptr);
    else if (!dir)
        r = error(c, v, "loader.log_file", "directory '%s' is not accessible: %s", *path ? path : "/",
                  strerror(errno));
    else if (asprintf(&m->log_file, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base) < 0)
        r = error(c, v, "loader.log_file", "out of memory");
    free(dir);
    free(path);
    return r;
}

/* loader.uid, loader.gid: the app's initial virtual ids (libos/include/
 * identity.h); -1 when unset. */
static int parse_id(struct ctx *c, const struct toml_value *v, const char *key, long long *id)
{
    *id = -1;
    if (!v)
        return 0;
    if (expect(c, v, key, TOML_INT))
        return -1;
    if (v->u.i < 0 || v->u.i > 0xfffffffeLL)
        return error(c, v, key, "%lld out of range (0 to 4294967294)", (long long)v->u.i);
    *id = v->u.i;
    return 0;
}

static int parse_loader(struct ctx *c, const struct toml_value *loader, char *const *args, size_t nargs,
                        char *const *envp, struct manifest *m)
{
    static const char *const keys[] = { "argv", "env", "log_level", "log_file", "pass_fds", "uid", "gid", NULL };
    if (loader && check_keys(c, loader, "loader", keys))
        return -1;
    if (parse_id(c, toml_get(loader, "uid"), "loader.uid", &m->loader_uid) ||
        parse_id(c, toml_get(loader, "gid"), "loader.gid", &m->loader_gid))
        return -1;
    const struct toml_value *v = toml_get(loader, "pass_fds");
    if (v && parse_pass_fds(c, v, m))
        return -1;
    v = toml_get(loader, "log_level");
    m->log_level = LOG_WARNING;
    if (v && expect(c, v, "loader.log_level", TOML_STRING))
        return -1;
    if (v && (m->log_level = log_level(v->u.str.ptr)) < 0)
        return error(c, v, "loader.log_level", "expected one of \"error\", \"warning\", \"info\", "
                     "\"debug\", \"trace\"");
    if ((v = toml_get(loader, "env")) && parse_env(c, v, envp, m))
        return -1;
    if ((v = toml_get(loader, "log_file")) && parse_log_file(c, v, m))
        return -1;

    if (!(v = toml_get(loader, "argv"))) {
        char *s = strdup(m->entrypoint);
        if (!s || push(&m->argv, &m->argc, s))
            return error(c, NULL, "loader.argv", "out of memory");
        for (size_t i = 0; i < nargs; i++)
            if (!(s = strdup(args[i])) || push(&m->argv, &m->argc, s))
                return error(c, NULL, "loader.argv", "out of memory");
        return 0;
    }
    if (expect(c, v, "loader.argv", TOML_ARRAY))
        return -1;
    if (!v->u.arr.len)
        return error(c, v, "loader.argv", "must not be empty (argv[0] is required)");
    if (nargs)
        return error(c, v, "loader.argv", "the manifest fixes argv, so arguments after '--' "
                     "are not allowed");
    for (size_t i = 0; i < v->u.arr.len; i++) {
        char key[64], *s;
        snprintf(key, sizeof(key), "loader.argv[%zu]", i);
        if (get_string(c, v->u.arr.items[i], key, &s))
            return -1;
        if (push(&m->argv, &m->argc, s))
            return error(c, v, key, "out of memory");
    }
    return 0;
}

static int parse_mount(struct ctx *c, const struct toml_value *v, const char *key, struct mount *mt)
{
    static const char *const keys[] = { "type", "path", "uri", "readonly", NULL };
    char sub[256];
    if (check_keys(c, v, key, keys))
        return -1;
    const struct toml_value *t = toml_get(v, "type"), *p = toml_get(v, "path"), *u = toml_get(v, "uri");
    const struct toml_value *ro = toml_get(v, "readonly");
    join(sub, sizeof(sub), key, "readonly");
    if (ro && expect(c, ro, sub, TOML_BOOL))
        return -1;
    mt->readonly = ro && ro->u.b;
    mt->fd = -1;
    join(sub, sizeof(sub), key, "type");
    if (t && get_string(c, t, sub, &mt->type))
        return -1;
    if (t && strcmp(mt->type, "chroot"))
        return error(c, t, sub, "unsupported mount type '%s' (only \"chroot\")", mt->type);
    if (!t && !(mt->type = strdup("chroot")))
        return error(c, v, sub, "out of memory");

    join(sub, sizeof(sub), key, "path");
    if (!p)
        return error(c, v, sub, "required key is missing");
    if (sandbox_path(c, p, sub, &mt->path))
        return -1;
    if (strchr(mt->path, CONFIG_MOUNT_SEP))
        return error(c, p, sub, "path must not contain the byte 0x1f");

    join(sub, sizeof(sub), key, "uri");
    char *uri;
    if (!u)
        return error(c, v, sub, "required key is missing");
    if (get_string(c, u, sub, &uri))
        return -1;
    if (strncmp(uri, "file:", 5) || !uri[5]) {
        free(uri);
        return error(c, u, sub, "'%s' is not a file: uri (expected e.g. \"file:/usr\")", u->u.str.ptr);
    }
    char *host = uri + 5, *joined = NULL;
    if (*host != '/' && asprintf(&joined, "%s/%s", c->dir, host) < 0) {
        free(uri);
        return error(c, u, sub, "out of memory");
    }
    int r = 0;
    if (!(mt->uri = realpath(joined ? joined : host, NULL)))
        r = error(c, u, sub, "host path '%s' is not accessible: %s", joined ? joined : host, strerror(errno));
    else if (strchr(mt->uri, CONFIG_MOUNT_SEP))
        r = error(c, u, sub, "host path must not contain the byte 0x1f");
    free(joined);
    free(uri);
    return r;
}

static int parse_fs(struct ctx *c, const struct toml_value *fs, struct manifest *m)
{
    static const char *const keys[] = { "mounts", "start_dir", NULL };
    if (fs && check_keys(c, fs, "fs", keys))
        return -1;
    const struct toml_value *v = toml_get(fs, "start_dir");
    if (v && sandbox_path(c, v, "fs.start_dir", &m->start_dir))
        return -1;
    if (!v && !(m->start_dir = strdup("/")))
        return error(c, NULL, "fs.start_dir", "out of memory");

    const struct toml_value *mounts = toml_get(fs, "mounts");
    if (!mounts)
        return 0;
    if (expect(c, mounts, "fs.mounts", TOML_ARRAY))
        return -1;
    if (!(m->mounts = calloc(mounts->u.arr.len + 1, sizeof(*m->mounts))))
        return error(c, mounts, "fs.mounts", "out of memory");
    for (size_t i = 0; i < mounts->u.arr.len; i++) {
        const struct toml_value *mv = mounts->u.arr.items[i];
        char key[64];
        snprintf(key, sizeof(key), "fs.mounts[%zu]", i);
        m->nmounts++; /* counted first so manifest_free() sees partial entries */
        if (parse_mount(c, mv, key, &m->mounts[i]))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->mounts[j].path, m->mounts[i].path)) {
                strcat(key, ".path");
                return error(c, toml_get(mv, "path"), key, "duplicate mount path '%s' (also fs.mounts[%zu])",
                             m->mounts[i].path, j);
            }
    }
    return 0;
}

/* sys.net.bind / sys.net.connect: a list of TCP ports. */
static int get_ports(struct ctx *c, const struct toml_value *v, const char *key, struct port_list *out)
{
    if (expect(c, v, key, TOML_ARRAY))
        return -1;
    if (!(out->port = calloc(v->u.arr.len + 1, sizeof(*out->port))))
        return error(c, v, key, "out of memory");
    for (size_t i = 0; i < v->u.arr.len; i++) {
        const struct toml_value *p = v->u.arr.items[i];
        if (expect(c, p, key, TOML_INT))
            return -1;
        if (p->u.i < 1 || p->u.i > 65535)
            return error(c, p, key, "port %lld is not in 1..65535", (long long)p->u.i);
        out->port[out->n++] = (uint16_t)p->u.i;
    }
    return 0;
}

static int parse_sys(struct ctx *c, const struct toml_value *sys, struct manifest *m)
{
    static const char *const keys[] = { "stack", "brk", "hostname", "max_processes", "max_memory", "network", "net", "syscall_fast_path", NULL };
    static const char *const net_keys[] = { "bind", "connect", NULL };
    static const char *const stack_keys[] = { "size", NULL };
    static const char *const brk_keys[] = { "max_size", NULL };
    m->stack_size = 0; /* unset: the libos takes RLIMIT_STACK, as execve does */
    m->brk_max = 256ull << 20;
    m->max_processes = DEFAULT_MAX_PROCESSES;
    m->fast_path = true;
    if (!sys)
        return 0;
    if (check_keys(c, sys, "sys", keys))
        return -1;
    const struct toml_value *stack = toml_get(sys, "stack"), *brk = toml_get(sys, "brk"), *v;
    if ((v = toml_get(sys, "max_processes"))) {
        if (expect(c, v, "sys.max_processes", TOML_INT))
            return -1;
        if (v->u.i < 1 || v->u.i > 1 << 22)
            return error(c, v, "sys.max_processes", "%lld out of range (1 to 4194304)", (long long)v->u.i);
        m->max_processes = (uint64_t)v->u.i;
    }
    if (stack && check_keys(c, stack, "sys.stack", stack_keys))
        return -1;
    if (brk && check_keys(c, brk, "sys.brk", brk_keys))
        return -1;
    if ((v = toml_get(stack, "size")) && get_size(c, v, "sys.stack.size", &m->stack_size))
        return -1;
    if ((v = toml_get(brk, "max_size")) && get_size(c, v, "sys.brk.max_size", &m->brk_max))
        return -1;
    m->max_memory = 0;
    if ((v = toml_get(sys, "max_memory")) && get_size(c, v, "sys.max_memory", &m->max_memory))
        return -1;
    if ((v = toml_get(sys, "hostname"))) {
        if (get_string(c, v, "sys.hostname", &m->hostname))
            return -1;
        /* what sethostname(2) accepts: 1 to 64 bytes */
        if (!m->hostname[0] || strlen(m->hostname) > 64)
            return error(c, v, "sys.hostname", "must be 1 to 64 bytes long");
    }
    if ((v = toml_get(sys, "network"))) {
        if (expect(c, v, "sys.network", TOML_STRING))
            return -1;
        if (strcmp(v->u.str.ptr, "none") && strcmp(v->u.str.ptr, "host"))
            return error(c, v, "sys.network", "unknown network policy '%s' (expected \"none\" or \"host\")",
                         v->u.str.ptr);
        m->network_host = !strcmp(v->u.str.ptr, "host");
    }
    const struct toml_value *net = toml_get(sys, "net");
    if (net) {
        if (check_keys(c, net, "sys.net", net_keys))
            return -1;
        if (!m->network_host)
            return error(c, net, "sys.net", "TCP port rules need sys.network = \"host\"");
        m->net_rules = true;
        if ((v = toml_get(net, "bind")) && get_ports(c, v, "sys.net.bind", &m->net_bind))
            return -1;
        if ((v = toml_get(net, "connect")) && get_ports(c, v, "sys.net.connect", &m->net_connect))
            return -1;
    }
    if ((v = toml_get(sys, "syscall_fast_path"))) {
        if (expect(c, v, "sys.syscall_fast_path", TOML_BOOL))
            return -1;
        m->fast_path = v->u.b;
    }
    return 0;
}

static int validate(struct ctx *c, const struct toml_value *root, char *const *args, size_t nargs,
                    char *const *envp, struct manifest *m)
{
    static const char *const keys[] = { "libos", "loader", "fs", "sys", NULL };
    if (check_keys(c, root, "", keys) ||
        parse_libos(c, toml_get(root, "libos"), m) ||
        parse_fs(c, toml_get(root, "fs"), m) ||
        parse_loader(c, toml_get(root, "loader"), args, nargs, envp, m) ||
        parse_sys(c, toml_get(root, "sys"), m))
        return -1;

    const struct toml_value *ep = toml_get(toml_get(root, "libos"), "entrypoint");
    bool covered = false;
    for (size_t i = 0; i < m->nmounts; i++)
        covered = covered || path_under(m->entrypoint, m->mounts[i].path);
    if (!covered)
        return error(c, ep, "libos.entrypoint", "'%s' is not inside any fs.mounts path", m->entrypoint);

    for (char *const *e = envp; *e; e++)
        if (!strncmp(*e, "GRAPHENE_LOG=", 13) && (m->log_level = log_level(*e + 13)) < 0) {
            snprintf(c->err, c->errsize, "graphene: GRAPHENE_LOG: unknown log level '%s' "
                     "(expected error, warning, info, debug or trace)", *e + 13);
            return -1;
        }
    /* For running a whole test suite with the fast path off (or on). */
    for (char *const *e = envp; *e; e++)
        if (!strncmp(*e, "GRAPHENE_FAST_PATH=", 19)) {
            if (strcmp(*e + 19, "0") && strcmp(*e + 19, "1")) {
                snprintf(c->err, c->errsize, "graphene: GRAPHENE_FAST_PATH: expected 0 or 1, not '%s'",
                         *e + 19);
                return -1;
            }
            m->fast_path = (*e)[19] == '1';
        }
    return 0;
}

int manifest_parse(const char *text, size_t len, const char *file, char *const *args, size_t nargs,
                   char *const *envp, struct manifest *m, char *err, size_t errsize)
{
    struct ctx c = { .file = file, .err = err, .errsize = errsize };
    memset(m, 0, sizeof(*m));
    m->log_fd = -1;
    struct toml_error te;
    struct toml_doc *doc = toml_parse(text, len, &te);
    if (!doc) {
        int n = snprintf(err, errsize, "graphene: %s:%d:%d: ", file, te.line, te.col);
        if (te.key[0] && n >= 0 && (size_t)n < errsize)
            n += snprintf(err + n, errsize - (size_t)n, "key '%s': ", te.key);
        if (n >= 0 && (size_t)n < errsize)
            snprintf(err + n, errsize - (size_t)n, "%s", te.msg);
        return -1;
    }
    /* The directory for relative uris is that of the manifest, symlinks
     * resolved like the uris themselves. */
    char *abs = realpath(file, NULL);
    m->file = abs ? abs : strdup(file);
    c.dir = m->file ? strdup(m->file) : NULL;
    int r = -1;
    if (!c.dir)
        snprintf(err, errsize, "graphene: %s: out of memory", file);
    else {
        char *slash = strrchr(c.dir, '/');
        if (slash)
            slash[slash == c.dir] = '\0'; /* "/m.toml" lives in "/" */
        else
            strcpy(c.dir, ".");
        r = validate(&c, toml_root(doc), args, nargs, envp, m);
    }
    free(c.dir);
    toml_free(doc);
    if (r)
        manifest_free(m);
    return r;
}

/* A manifest is a few kilobytes; the cap keeps `graphene run /dev/zero`
 * (or any endless or huge file) from reading without bound. */
#define MANIFEST_MAX (1u << 20)

int manifest_load(const char *file, char *const *args, size_t nargs, char *const *envp,
                  struct manifest *m, char *err, size_t errsize)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        snprintf(err, errsize, "graphene: %s: %s", file, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len > MANIFEST_MAX) {
            free(text);
            fclose(f);
            snprintf(err, errsize, "graphene: %s: larger than the %u MiB a manifest may have", file,
                     MANIFEST_MAX >> 20);
            return -1;
        }
        char *t = len == cap ? realloc(text, cap = cap * 2 + 4096) : text;
        if (!t) {
            free(text);
            fclose(f);
            snprintf(err, errsize, "graphene: %s: out of memory", file);
            return -1;
        }
        text = t;
        n = fread(text + len, 1, cap - len, f);
        len += n;
    } while (n);
    int bad = ferror(f) ? errno : 0;
    fclose(f);
    int r = bad ? (snprintf(err, errsize, "graphene: %s: %s", file, strerror(bad)), -1)
                : manifest_parse(text, len, file, args, nargs, envp, m, err, errsize);
    free(text);
    return r;
}

void manifest_free(struct manifest *m)
{
    for (size_t i = 0; i < m->argc; i++)
        free(m->argv[i]);
    for (size_t i = 0; i < m->nenv; i++)
        free(m->env[i]);
    for (size_t i = 0; i < m->nmounts; i++) {
        free(m->mounts[i].type);
        free(m->mounts[i].path);
        free(m->mounts[i].uri);
    }
    free(m->argv);
    free(m->env);
    free(m->mounts);
    free(m->pass_fds);
    free(m->net_bind.port);
    free(m->net_connect.port);
    free(m->file);
    free(m->entrypoint);
    free(m->start_dir);
    free(m->hostname);
    free(m->log_file);
    memset(m, 0, sizeof(*m));
}

char *manifest_blob(const struct manifest *m, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    /* each record ends with its NUL terminator, written explicitly */
    fprintf(f, "version=%d%c", CONFIG_BLOB_VERSION, 0);
    fprintf(f, "log_level=%d%c", m->log_level, 0);
    if (m->log_fd >= 0)
        fprintf(f, "log_fd=%d%c", m->log_fd, 0);
    fprintf(f, "entrypoint=%s%c", m->entrypoint, 0);
    fprintf(f, "start_dir=%s%c", m->start_dir, 0);
    if (m->stack_size)
        fprintf(f, "stack_size=%llu%c", (unsigned long long)m->stack_size, 0);
    fprintf(f, "brk_max=%llu%c", (unsigned long long)m->brk_max, 0);
    fprintf(f, "network=%s%c", m->network_host ? "host" : "none", 0);
    if (m->net_rules)
        fprintf(f, "net_rules=1%c", 0);
    for (size_t i = 0; i < m->net_bind.n; i++)
        fprintf(f, "net_bind=%u%c", m->net_bind.port[i], 0);
    for (size_t i = 0; i < m->net_connect.n; i++)
        fprintf(f, "net_connect=%u%c", m->net_connect.port[i], 0);
    fprintf(f, "fast_path=%d%c", m->fast_path, 0);
    fprintf(f, "manifest=%s%c", m->file, 0);
    if (m->hostname)
        fprintf(f, "hostname=%s%c", m->hostname, 0);
    fprintf(f, "uid=%u%cgid=%u%c", m->uid, 0, m->gid, 0);
    if (m->rlimit_as)
        fprintf(f, "rlimit_as=%llu%c", (unsigned long long)m->rlimit_as, 0);
    if (m->idmapped)
        fprintf(f, "idmap_base=%u%c", m->idmap_base, 0);
    if (m->devpts)
        fprintf(f, "devpts=1%c", 0);
    for (size_t i = 0; i < m->argc; i++)
        fprintf(f, "arg=%s%c", m->argv[i], 0);
    for (size_t i = 0; i < m->nenv; i++)
        fprintf(f, "env=%s%c", m->env[i], 0);
    for (size_t i = 0; i < m->nmounts; i++)
        fprintf(f, "mount=%s%c%s%c%s%c%s%c%d%c", m->mounts[i].type, CONFIG_MOUNT_SEP, m->mounts[i].path,
                CONFIG_MOUNT_SEP, m->mounts[i].uri, CONFIG_MOUNT_SEP, m->mounts[i].readonly ? "ro" : "rw",
                CONFIG_MOUNT_SEP, m->mounts[i].fd, 0);
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    return buf;
}
