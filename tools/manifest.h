/* The Graphene manifest: validation of the TOML document into a struct and
 * serialization into the config blob the libos reads (libos/config_blob.h). */
#ifndef GRAPHENE_MANIFEST_H
#define GRAPHENE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mount {
    char *type;     /* "chroot" */
    char *path;     /* sandbox path: absolute, normalized */
    char *uri;      /* host path: absolute, symlinks resolved, "file:" stripped */
    bool readonly;  /* no writes through this mount (kernel and libos) */
    int fd;         /* the root, opened by the launcher for the libos (confine.c); -1 before */
};

/* sys.max_processes when the manifest does not say */
#define DEFAULT_MAX_PROCESSES 1024
struct port_list {
    uint16_t *port;
    size_t n;
};

struct manifest {
    char *file;             /* absolute host path of the manifest */
    char *entrypoint;       /* sandbox path */
    int log_level;          /* enum log_level */
    char *log_file;         /* loader.log_file: absolute host path, or NULL (stderr) */
    int log_fd;             /* log_file opened by the launcher (open_log_file), or -1 */
    char *start_dir;        /* sandbox path */
    uint64_t stack_size, brk_max;
    char *hostname;         /* sys.hostname, or NULL: the host's */
    bool network_host;      /* sys.network = "host" (default "none") */
    bool net_rules;         /* sys.net given: TCP only to/from these ports */
    struct port_list net_bind, net_connect;
    bool fast_path;         /* sys.syscall_fast_path */
    char **argv;            /* argc strings, argv[0] first */
    size_t argc;
    char **env;             /* nenv strings "NAME=VALUE", the app's whole environment */
    size_t nenv;
    struct mount *mounts;
    size_t nmounts;
    int *pass_fds;          /* inherited fds (besides 0, 1, 2) the app keeps */
    size_t npass_fds;
    uint64_t max_processes; /* host processes and threads of the sandbox */
    long long loader_uid, loader_gid; /* the app's initial ids, or -1: see confine() */
    uint64_t max_memory;    /* sys.max_memory in bytes, or 0 */
    /* Set by confine(): the app's initial RLIMIT_AS when sys.max_memory
     * has no cgroup to hold it (0: the host's limit). */
    uint64_t rlimit_as;
    /* Set by confine(): the app's ids (the launcher's), and whether the
     * mounts are idmapped with host ids from idmap_base. */
    unsigned uid, gid;
    bool idmapped;
    unsigned idmap_base;
    bool devpts; /* /dev/pts is a devpts instance of the sandbox's own */
};

/* Validates manifest text read from file (as named on the command line).
 * args are the command-line arguments after "--"; envp is the launcher's
 * environment (for passthrough variables and GRAPHENE_LOG). On error returns
 * -1 with one complete line "graphene: FILE:LINE: key 'K': reason" in err,
 * and *m holds nothing to free. */
int manifest_parse(const char *text, size_t len, const char *file, char *const *args, size_t nargs,
                   char *const *envp, struct manifest *m, char *err, size_t errsize);
/* Reads file and calls manifest_parse. */
int manifest_load(const char *file, char *const *args, size_t nargs, char *const *envp,
                  struct manifest *m, char *err, size_t errsize);
void manifest_free(struct manifest *m);

/* Serializes into the config blob; returns a malloc'd buffer of *len bytes,
 * or NULL when out of memory. */
char *manifest_blob(const struct manifest *m, size_t *len);

#endif
