/* See launch_nsd.h. The launcher talks to nsd as admin (nsd checks its peer
 * credentials on the unix socket): only admin may create a sandbox or read
 * an existing one's secret, and the secret then travels only in the sealed
 * config memfd that the libos reads and closes before the app runs. */
#include "launch_nsd.h"
#include "../libos/config_blob.h"
#include "nsdc_posix.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define EXIT_NSD 127   /* like a failed exec: the program never started */
/* Rides out a leader failover, as graphenectl does. */
#define NSD_RETRY_MS 1500

_Static_assert(CONFIG_SECRET_LEN == NSD_SECRET_LEN, "the blob carries nsd's sandbox secret");
_Static_assert(sizeof(((struct nsd_sandbox *)0)->secret) == 2 * NSD_SECRET_LEN + 1 &&
               sizeof(((struct nsd_sandbox *)0)->name) == NSD_NAME_MAX + 1 &&
               sizeof(((struct nsd_sandbox *)0)->addr) == NSDC_LIST_MAX, "launch_nsd.h sizes");

static int append(char **blob, size_t *len, const char *key, const char *val)
{
    size_t n = strlen(key) + 1 + strlen(val) + 1;
    char *b = realloc(*blob, *len + n);
    if (!b)
        return -1;
    snprintf(b + *len, n, "%s=%s", key, val);   /* the NUL ends the record */
    *blob = b;
    *len += n;
    return 0;
}

/* One admin request about sandbox name; the Sandbox reply or -errno. */
static int sandbox_call(struct nsdc *c, Nsd__Frame__BodyCase body, const char *name,
                        Nsd__Frame **rep)
{
    Nsd__SandboxCreate create = NSD__SANDBOX_CREATE__INIT;
    Nsd__SandboxJoin join = NSD__SANDBOX_JOIN__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    req.body_case = body;
    if (body == NSD__FRAME__BODY_SANDBOX_CREATE) {
        create.name = (char *)name;
        create.ephemeral = 1;   /* it ends with this run (pid 1 is our host process) */
        req.sandbox_create = &create;
    } else {
        join.name = (char *)name;
        req.sandbox_join = &join;
    }
    int r = nsdc_call(c, &req, rep);
    if (!r && ((*rep)->body_case != NSD__FRAME__BODY_SANDBOX ||
               (*rep)->sandbox->secret.len != NSD_SECRET_LEN)) {
        nsdc_free(c, *rep);
        snprintf(c->err, sizeof c->err, "unexpected reply from nsd");
        r = -EPROTO;
    }
    return r;
}

/* --sandbox NAME joins NAME, or creates it if it does not exist (a launcher
 * that loses the race to create it joins). Without a name: a new sandbox. */
static int get_sandbox(struct nsdc *c, const char *name, Nsd__Frame **rep)
{
    if (!name) {
        unsigned char rnd[4];
        char hex[2 * sizeof rnd + 1], fresh[NSD_NAME_MAX + 1];
        c->ops->random(c->ops->ctx, rnd, sizeof rnd);
        nsd_hex(hex, rnd, sizeof rnd);
        snprintf(fresh, sizeof fresh, "run-%d-%s", (int)getpid(), hex);
        return sandbox_call(c, NSD__FRAME__BODY_SANDBOX_CREATE, fresh, rep);
    }
    for (int tries = 0;; tries++) {
        int r = sandbox_call(c, NSD__FRAME__BODY_SANDBOX_JOIN, name, rep);
        if (r != -ENOENT || tries == 2)
            return r;
        r = sandbox_call(c, NSD__FRAME__BODY_SANDBOX_CREATE, name, rep);
        if (r != -EEXIST)
            return r;
    }
}

/*
 * Starts `nsd --embedded` as a daemon (double fork, own session, stdio on
 * /dev/null or $GRAPHENE_NSD_LOG, none of our other fds) and waits until it
 * listens: it writes a byte to the pipe then, and the pipe reaches EOF if it
 * exits instead (because another nsd answered first, or it failed).
 */
static int start_embedded(const char *nsd_bin)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC))
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        if (setsid() < 0 || fork() != 0)
            _exit(0);
        const char *log = getenv("GRAPHENE_NSD_LOG");
        int null = open("/dev/null", O_RDWR);
        int out = log && *log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : null;
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
            dup2(pfd[1], 3) < 0 || close_range(4, ~0u, 0))
            _exit(127);
        execl(nsd_bin, "nsd", "--embedded", "--ready-fd", "3", (char *)NULL);
        dprintf(3, "cannot exec %s: %s", nsd_bin, strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    waitpid(pid, NULL, 0);   /* the first child: gone at once, so no zombie is left */
    /* NSD_EMBEDDED_READY: listening; EOF: it left (another nsd answered); else why it failed. */
    char msg[400];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof msg - 1 && ((r = read(pfd[0], msg + got, sizeof msg - 1 - got)) > 0 ||
                                    (r < 0 && errno == EINTR)))
        got += r > 0 ? (size_t)r : 0;
    close(pfd[0]);
    msg[got] = 0;
    if (got && strcmp(msg, NSD_EMBEDDED_READY)) {
        fprintf(stderr, "graphene: the embedded nsd did not start: %s\n", msg);
        return 1;
    }
    return 0;
}

/* Is r the answer "nobody serves at that path"? Also a connection dropped
 * before any hello: an ending embedded nsd closing its backlog. */
static int nobody_there(const struct nsdc *c, int r)
{
    return (r == -ENOENT || r == -ECONNREFUSED || r == -ECONNRESET || r == -EPIPE) && !c->node[0];
}

int launch_nsd(const struct nsd_launch *l, struct nsd_sandbox *sb)
{
    const char *env = getenv("GRAPHENE_NSD");
    int explicit = l->addr || (env && *env);
    struct nsdc_posix px;
    struct nsdc c;
    char host[8], port[8];
    if (l->addr && nsd_parse_tcp(l->addr, host, sizeof host, port, sizeof port)) {
        fprintf(stderr, "graphene: --nsd %s: the launcher needs nsd's unix socket"
                        " (sandboxes are administered only there)\n", l->addr);
        return EXIT_USAGE;
    }
    if (nsdc_posix_init_unix(&px, l->addr)) {
        fprintf(stderr, "graphene: libsodium failed to initialize\n");
        return EXIT_NSD;
    }
    nsdc_init(&c, &px.ops, NSD__ROLE__ROLE_ADMIN, NULL, NULL);
    Nsd__Frame *rep = NULL;
    int r;
    /* Nothing at the default address: start the embedded nsd. An embedded
     * nsd may be ending just as we connect; then we start the next one. */
    for (int tries = 0;; tries++) {
        c.retry_ms = explicit ? NSD_RETRY_MS : 0;
        r = get_sandbox(&c, l->sandbox, &rep);
        nsdc_close(&c);
        if (explicit || !nobody_there(&c, r) || tries == 3)
            break;
        int e = start_embedded(l->nsd_bin);
        if (e) {
            if (e < 0)
                fprintf(stderr, "graphene: cannot start %s: %s\n", l->nsd_bin, strerror(errno));
            return EXIT_NSD;
        }
    }
    if (r) {
        fprintf(stderr, "graphene: nsd at %s: %s%s%s\n", px.to.addr, c.err, c.err[0] ? ": " : "",
                strerror(-r));
        return EXIT_NSD;
    }
    /* Every node of the group, for the libos to find the next leader, each
     * in full: the libos connects from the same cwd, but say it anyway. */
    char cwd[PATH_MAX] = "";
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = 0;
    size_t n = 0;
    sb->addr[0] = 0;
    px.to.next = 0;
    px.to.redirect[0] = 0;
    do {
        const char *a = nsdc_addrs_pick(&px.to);
        int k = snprintf(sb->addr + n, sizeof sb->addr - n, "%s%s%s%s", n ? "," : "",
                         a[0] != '/' && cwd[0] ? cwd : "", a[0] != '/' && cwd[0] ? "/" : "", a);
        if (k < 0 || (size_t)k >= sizeof sb->addr - n) {
            fprintf(stderr, "graphene: --nsd %s: too long\n", px.to.list);
            return EXIT_USAGE;
        }
        n += (size_t)k;
    } while (px.to.next);
    snprintf(sb->name, sizeof sb->name, "%s", rep->sandbox->name);
    nsd_hex(sb->secret, rep->sandbox->secret.data, NSD_SECRET_LEN);
    nsdc_free(&c, rep);
    return 0;
}

int launch_nsd_records(struct nsd_sandbox *sb, char **blob, size_t *len)
{
    int r = append(blob, len, "nsd", sb->addr) || append(blob, len, "sandbox", sb->name) ||
            append(blob, len, "secret", sb->secret) ? -1 : 0;
    memset(sb->secret, 0, sizeof sb->secret);
    return r;
}
