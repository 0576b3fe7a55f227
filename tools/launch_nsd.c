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
#include <sys/socket.h>
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

/* The admin request body about sandbox name (a create is ephemeral: it
 * ends with this run, whose pid 1 is our host process). */
static void sandbox_frame(Nsd__Frame *req, Nsd__SandboxCreate *create, Nsd__SandboxJoin *join,
                          Nsd__Frame__BodyCase body, const char *name)
{
    *req = (Nsd__Frame)NSD__FRAME__INIT;
    req->body_case = body;
    if (body == NSD__FRAME__BODY_SANDBOX_CREATE) {
        *create = (Nsd__SandboxCreate)NSD__SANDBOX_CREATE__INIT;
        create->name = (char *)name;
        create->ephemeral = 1;
        req->sandbox_create = create;
    } else {
        *join = (Nsd__SandboxJoin)NSD__SANDBOX_JOIN__INIT;
        join->name = (char *)name;
        req->sandbox_join = join;
    }
}

/* One admin request about sandbox name; the Sandbox reply or -errno. */
static int sandbox_call(struct nsdc *c, Nsd__Frame__BodyCase body, const char *name,
                        Nsd__Frame **rep)
{
    Nsd__SandboxCreate create;
    Nsd__SandboxJoin join;
    Nsd__Frame req;
    sandbox_frame(&req, &create, &join, body, name);
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
 * that loses the race to create it joins). */
static int get_sandbox(struct nsdc *c, const char *name, Nsd__Frame **rep)
{
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
        /* Every fd is moved above 3 first: with our stdio closed, the pipe
         * or /dev/null may sit at 0-3, and a dup2 onto itself would keep
         * its close-on-exec (nsd would then open its lock file as fd 3 and
         * take it for the ready pipe). */
        int ready = fcntl(pfd[1], F_DUPFD_CLOEXEC, 4);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        int out = log && *log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : null;
        null = null >= 0 ? fcntl(null, F_DUPFD_CLOEXEC, 4) : -1;
        out = out >= 0 ? fcntl(out, F_DUPFD_CLOEXEC, 4) : -1;
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (ready < 0 || null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(out, 2) < 0 || dup2(ready, 3) < 0 || close_range(4, ~0u, 0))
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

/* The launch's connection, from launch_nsd_begin to launch_nsd_end. */
static struct nsdc_posix px;
static struct nsdc c;
static const struct nsd_launch *launch;
/* The answer to the request sent ahead: 0 with the sandbox, or -errno. */
static uint64_t ahead_id;
static int ahead_err = -EPROTO;
static char ahead_name[NSD_NAME_MAX + 1], ahead_secret[2 * NSD_SECRET_LEN + 1];

static void take_answer(const Nsd__Frame *f)
{
    snprintf(ahead_name, sizeof ahead_name, "%s", f->sandbox->name);
    nsd_hex(ahead_secret, f->sandbox->secret.data, NSD_SECRET_LEN);
    ahead_err = 0;
}

static void on_answer(struct nsdc *cl, const Nsd__Frame *f, void *arg)
{
    (void)arg;
    if (!f->req_id || f->req_id != ahead_id)
        return;
    if (f->body_case == NSD__FRAME__BODY_ERROR) {
        snprintf(cl->err, sizeof cl->err, "%s", f->error->msg);
        ahead_err = f->error->errnum ? -f->error->errnum : -EPROTO;
    } else if (f->body_case == NSD__FRAME__BODY_SANDBOX && f->sandbox->secret.len == NSD_SECRET_LEN) {
        take_answer(f);
    } else {
        snprintf(cl->err, sizeof cl->err, "unexpected reply from nsd");
        ahead_err = -EPROTO;
    }
}

static int nsd_failed(int r)
{
    fprintf(stderr, "graphene: nsd at %s: %s%s%s\n", px.to.addr, c.err, c.err[0] ? ": " : "", strerror(-r));
    return EXIT_NSD;
}

int launch_nsd_begin(const struct nsd_launch *l, struct nsd_sandbox *sb)
{
    const char *env = getenv("GRAPHENE_NSD");
    int explicit = l->addr || (env && *env);
    char host[8], port[8];
    launch = l;
    sb->started = false;
    sb->nsd_pid = 0;
    if (l->addr && nsd_parse_tcp(l->addr, host, sizeof host, port, sizeof port)) {
        fprintf(stderr, "graphene: --nsd %s: the launcher needs nsd's unix socket"
                        " (sandboxes are administered only there)\n", l->addr);
        return EXIT_USAGE;
    }
    nsdc_posix_init_unix(&px, l->addr);
    nsdc_init(&c, &px.ops, NSD__ROLE__ROLE_ADMIN, NULL, NULL);
    c.retry_ms = explicit ? NSD_RETRY_MS : 0;
    c.on_push = on_answer;
    Nsd__Frame req;
    Nsd__SandboxCreate create;
    Nsd__SandboxJoin join;
    char fresh[NSD_NAME_MAX + 1];
    if (!l->sandbox) {
        unsigned char rnd[4];
        char hex[2 * sizeof rnd + 1];
        c.ops->random(c.ops->ctx, rnd, sizeof rnd);
        nsd_hex(hex, rnd, sizeof rnd);
        snprintf(fresh, sizeof fresh, "run-%d-%s", (int)getpid(), hex);
    }
    if (explicit) {
        /* A named nsd (or group) is asked now, the call riding out a
         * failover; the launcher's root then holds its socket's directory. */
        Nsd__Frame *rep = NULL;
        int r = l->sandbox ? get_sandbox(&c, l->sandbox, &rep)
                           : sandbox_call(&c, NSD__FRAME__BODY_SANDBOX_CREATE, fresh, &rep);
        if (r)
            return nsd_failed(r);
        take_answer(rep);
        nsdc_free(&c, rep);
    }
    /* Nothing at the default address: start the embedded nsd. An embedded
     * nsd may be ending just as we connect; then we start the next one.
     * Once it has sent its hello it has taken our connection, so it stays. */
    for (int tries = 0; !explicit; tries++) {
        int r = nsdc_connect(&c);
        if (!r)
            break;
        if (!nobody_there(&c, r) || tries == 3)
            return nsd_failed(r);
        int e = start_embedded(l->nsd_bin);
        if (e) {
            if (e < 0)
                fprintf(stderr, "graphene: cannot start %s: %s\n", l->nsd_bin, strerror(errno));
            return EXIT_NSD;
        }
        sb->started = true;
    }
    if (!explicit) {
        /* Sent ahead: nsd makes the sandbox while the launcher builds its root. */
        sandbox_frame(&req, &create, &join, l->sandbox ? NSD__FRAME__BODY_SANDBOX_JOIN : NSD__FRAME__BODY_SANDBOX_CREATE,
                      l->sandbox ? l->sandbox : fresh);
        if (nsdc_send(&c, &req)) {
            fprintf(stderr, "graphene: out of memory\n");
            return EXIT_NSD;
        }
        ahead_id = req.req_id;
        struct ucred cred;
        socklen_t cl = sizeof cred;
        if (getsockopt(px.fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
            sb->nsd_pid = cred.pid;
    }
    /* Every node of the group, for the libos to find the next leader, each
     * in full: the libos connects from the same cwd, but say it anyway. */
    char cwd[PATH_MAX] = "";
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = 0;
    size_t n = 0;
    struct nsdc_addrs to = px.to;
    sb->addr[0] = 0;
    to.next = 0;
    to.redirect[0] = 0;
    do {
        const char *a = nsdc_addrs_pick(&to);
        int k = snprintf(sb->addr + n, sizeof sb->addr - n, "%s%s%s%s", n ? "," : "",
                         a[0] != '/' && cwd[0] ? cwd : "", a[0] != '/' && cwd[0] ? "/" : "", a);
        if (k < 0 || (size_t)k >= sizeof sb->addr - n) {
            fprintf(stderr, "graphene: --nsd %s: too long\n", to.list);
            return EXIT_USAGE;
        }
        n += (size_t)k;
    } while (to.next);
    return 0;
}

int launch_nsd_end(struct nsd_sandbox *sb)
{
    int r = ahead_id ? nsdc_flush(&c) : 0;
    if (!r)
        r = ahead_err;
    c.on_push = NULL;
    Nsd__Frame *rep = NULL;
    /* A name that does not exist yet: create it (or join the winner). */
    if (r == -ENOENT && launch->sandbox && !(r = get_sandbox(&c, launch->sandbox, &rep))) {
        take_answer(rep);
        nsdc_free(&c, rep);
    }
    nsdc_close(&c);
    if (r)
        return nsd_failed(r);
    snprintf(sb->name, sizeof sb->name, "%s", ahead_name);
    memcpy(sb->secret, ahead_secret, sizeof sb->secret);
    memset(ahead_secret, 0, sizeof ahead_secret);
    return 0;
}

int launch_nsd_records(struct nsd_sandbox *sb, char **blob, size_t *len)
{
    int r = append(blob, len, "nsd", sb->addr) || append(blob, len, "sandbox", sb->name) ||
            append(blob, len, "secret", sb->secret) ? -1 : 0;
    memset(sb->secret, 0, sizeof sb->secret);
    return r;
}
