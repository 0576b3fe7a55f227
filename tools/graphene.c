/* bin/graphene: validates a manifest, hands the resulting config blob to the
 * libos image in a sealed memfd and execs it. Exec (rather than fork+wait)
 * makes the picoprocess's exit status or death by signal exactly what the
 * caller of graphene sees. */
#include "../libos/config_blob.h"
#include "confine.h"
#include "launch_nsd.h"
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define EXIT_CANNOT_EXEC 127

static const char usage[] =
    "usage: graphene run [--nsd ADDRESS] [--sandbox NAME] MANIFEST [-- ARGS...]\n"
    "       graphene --help\n"
    "\n"
    "Runs the program named by the manifest's libos.entrypoint inside a Graphene\n"
    "picoprocess. ARGS become argv[1..] unless the manifest sets loader.argv.\n"
    "\n"
    "  --nsd ADDRESS   the namespace leader's unix socket (default: $GRAPHENE_NSD,\n"
    "                  else nsd.sock in the runtime directory, where a private nsd\n"
    "                  is started if none answers; it ends with its last sandbox)\n"
    "  --sandbox NAME  join sandbox NAME, creating it if needed (default: a new\n"
    "                  sandbox with a unique name)\n"
    "\n"
    "Environment:\n"
    "  GRAPHENE_NSD=ADDRESS like --nsd\n"
    "  GRAPHENE_LOG=LEVEL   overrides loader.log_level (error, warning, info, debug, trace)\n"
    "  GRAPHENE_FAST_PATH=0|1 overrides sys.syscall_fast_path\n"
    "  GRAPHENE_LIBOS=PATH  libos image to exec (default: <bindir>/../lib/libos)\n"
    "  GRAPHENE_RUNTIME_DIR=DIR  runtime directory (default: /run/graphene for root,\n"
    "                       else $XDG_RUNTIME_DIR/graphene or /tmp/graphene-$UID)\n"
    "  GRAPHENE_NSD_BIN=PATH  nsd to start (default: <bindir>/nsd)\n"
    "  GRAPHENE_NSD_LOG=FILE  log of a started nsd (default: none)\n";

/* $env, else rel relative to the directory of our own executable. */
static char *install_path(const char *env_name, const char *rel)
{
    const char *env = getenv(env_name);
    if (env && *env)
        return strdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n < 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    char *path;
    return asprintf(&path, "%s/%s", exe, rel) < 0 ? NULL : path;
}

/* Writes the blob into a sealed memfd that survives exec, at fd >= 3 so it
 * cannot be mistaken for a standard stream. */
static int blob_fd(const char *blob, size_t len)
{
    int fd = memfd_create("graphene-config", MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
    if (fd < 3) {
        int hi = fcntl(fd, F_DUPFD, 3);
        close(fd);
        if ((fd = hi) < 0)
            return -1;
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, blob + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) ||
        lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int run(int argc, char **argv)
{
    struct nsd_launch nsd = { 0 };
    int i = 2;
    for (; i + 1 < argc && !strncmp(argv[i], "--", 2) && argv[i][2]; i += 2) {
        if (!strcmp(argv[i], "--nsd"))
            nsd.addr = argv[i + 1];
        else if (!strcmp(argv[i], "--sandbox"))
            nsd.sandbox = argv[i + 1];
        else
            break;
    }
    if (argc <= i || argv[i][0] == '-' || (argc > i + 1 && strcmp(argv[i + 1], "--"))) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *file = argv[i];
    char **args = argv + (argc > i + 1 ? i + 2 : i + 1);
    size_t nargs = (size_t)(argc - (args - argv));

    struct manifest m;
    char err[1024];
    if (manifest_load(file, args, nargs, environ, &m, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return EXIT_USAGE;
    }
    /* Before the launcher opens any fd of its own (nsd's socket is one). */
    if (close_inherited_fds(&m)) {
        manifest_free(&m);
        return EXIT_CANNOT_EXEC;
    }
    /* With the launcher's own privilege: nsd's admin requests are root's. */
    struct nsd_sandbox sb;
    char *nsd_bin = install_path("GRAPHENE_NSD_BIN", "nsd");
    nsd.nsd_bin = nsd_bin ? nsd_bin : "nsd";
    int rc = launch_nsd_begin(&nsd, &sb);
    free(nsd_bin);
    if (rc) {
        manifest_free(&m);
        return rc;
    }
    /* The image is opened before the drop of privilege: as the sandbox's
     * uid the launcher might not reach it. */
    char *image = install_path("GRAPHENE_LIBOS", "../lib/libos");
    int image_fd = -1;
    if (!image)
        fprintf(stderr, "graphene: cannot locate the libos image: %s\n", strerror(errno));
    else if (open_log_file(&m) == 0 && (image_fd = open(image, O_RDONLY)) < 0)
        fprintf(stderr, "graphene: cannot exec the libos image %s: %s\n", image, strerror(errno));
    /* nsd answers while the sandbox's root is built. */
    if (image_fd < 0 || confine_mounts(&m, sb.addr, sb.nsd_pid, !sb.started) || (rc = launch_nsd_end(&sb)) || confine_drop(&m)) {
        manifest_free(&m);
        free(image);
        return rc ? rc : EXIT_CANNOT_EXEC;
    }
    size_t len;
    char *blob = manifest_blob(&m, &len);
    manifest_free(&m);
    if (blob && launch_nsd_records(&sb, &blob, &len)) {
        free(blob);
        blob = NULL;
    }
    int fd = blob ? blob_fd(blob, len) : -1;
    free(blob);
    if (fd < 0) {
        fprintf(stderr, "graphene: cannot create the config memfd: %s\n", strerror(errno));
        return EXIT_CANNOT_EXEC;
    }

    char fdarg[32], imagearg[32];
    snprintf(fdarg, sizeof(fdarg), CONFIG_FD_ARG "%d", fd);
    /* not close-on-exec: the libos maps its copy from it (libos/start.c) */
    snprintf(imagearg, sizeof(imagearg), IMAGE_FD_ARG "%d", image_fd);
    char *lib_argv[] = { "graphene-libos", fdarg, imagearg, NULL };
    char *empty_env[] = { NULL }; /* the app's environment travels in the blob */
    execveat(image_fd, "", lib_argv, empty_env, AT_EMPTY_PATH);
    fprintf(stderr, "graphene: cannot exec the libos image %s: %s\n", image, strerror(errno));
    free(image);
    return EXIT_CANNOT_EXEC;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "run"))
        return run(argc, argv);
    fputs(usage, stderr);
    return EXIT_USAGE;
}
