#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/util.h>
#include "pal.h"
#include "rpc_wire.h"
#include "util.h"

#define HANDSHAKE_S 5
#define IDLE_S 10                   /* an open stream without traffic (the libos waits 2 s a read) */
#define PENDING_MAX (256 * 1024)    /* unread bytes queued for one side */
#define TARGET_TRIES 50             /* a fork child's socket may come 100 ms after its record */

enum { WANT_ROUTE, LINKING, TARGETING, OPEN, SPAWNED };

/*
 * One relayed stream. On the origin host local is the picoprocess's
 * connection and link goes to the target host; on the target host link
 * came from the origin and local is the target's stream socket.
 */
struct relay {
    struct pal *p;
    struct relay *next;
    int state, origin, tries;
    int at_file;                    /* TARGETING: connecting to the stream's file, not its abstract name */
    struct bufferevent *local;
    struct sealink *link;
    Rpc__Frame *route;
    struct event *retry;
    pid_t child;                    /* SPAWNED: the program, its output pipes */
    int status, exited, open_pipes;
    struct bufferevent *out[2];
    char name[PAL_HOST_MAX + 40];   /* for logs */
};

static uint8_t frame_buf[RPC_FRAME_MAX + 4];

static void target_failed(struct relay *r, int err);

static struct relay *relay_new(struct pal *p, int origin)
{
    struct relay *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->p = p;
    r->origin = origin;
    r->next = p->relays;
    p->relays = r;
    return r;
}

static void drained_cb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    bufferevent_free(bev);
}

static void drained_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)what, (void)arg;
    bufferevent_free(bev);
}

/* Closes both sides; what is queued for each is written first (the last
 * reply of a stream, an error answer), within a time limit. link_dead: the
 * link has failed, nothing more goes to it. */
static void relay_free(struct relay *r, int link_dead)
{
    for (struct relay **pp = &r->p->relays; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    if (r->link)
        (link_dead ? sealink_free : sealink_free_flushed)(r->link);
    if (r->local && evbuffer_get_length(bufferevent_get_output(r->local))) {
        struct timeval t = { HANDSHAKE_S, 0 };
        bufferevent_setcb(r->local, NULL, drained_cb, drained_event_cb, NULL);
        bufferevent_disable(r->local, EV_READ);
        bufferevent_set_timeouts(r->local, NULL, &t);
    } else if (r->local) {
        bufferevent_free(r->local);
    }
    if (r->retry)
        event_free(r->retry);
    for (int i = 0; i < 2; i++)
        if (r->out[i])
            bufferevent_free(r->out[i]);
    if (r->child && !r->exited)
        kill(r->child, SIGKILL);   /* the other host went: so does its program (reaped by pal_reap) */
    if (r->route)
        rpc__frame__free_unpacked(r->route, NULL);
    free(r);
}

static void refuse(struct relay *r, const char *why)
{
    nsd_log("closing connection %s: %s", r->name, why);
    r->p->refused++;
}

/* One Frame, encoded with its header into frame_buf: the length. */
static size_t encode(Rpc__Frame__BodyCase kind, void *body)
{
    Rpc__Frame f = RPC__FRAME__INIT;
    f.body_case = kind;
    f.reply = body;   /* every member of the oneof is a message pointer */
    return rpc_encode(&f, frame_buf, sizeof frame_buf);
}

static size_t encode_reply(int error)
{
    Rpc__Reply rp = RPC__REPLY__INIT;
    rp.error = error;
    return encode(RPC__FRAME__BODY_REPLY, &rp);
}

/* The names a peer gives go to the log: no control bytes. */
static void printable(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

/* A frame of kind want (ROUTE: a Route or a Spawn) from m (one sealed
 * chunk: header and body); NULL for anything else. The names are made
 * printable (not a Route's stream: that is only connected to, never logged). */
static Rpc__Frame *decode_chunk(const uint8_t *m, size_t n, Rpc__Frame__BodyCase want)
{
    if (n < 4 || rpc_frame_len(m) != (long)(n - 4))
        return NULL;
    Rpc__Frame *f = rpc_decode(m + 4, n - 4, NULL);
    if (f && f->body_case != want && !(want == RPC__FRAME__BODY_ROUTE && f->body_case == RPC__FRAME__BODY_SPAWN)) {
        rpc__frame__free_unpacked(f, NULL);
        f = NULL;
    }
    if (f && f->body_case == RPC__FRAME__BODY_ROUTE) {
        printable(f->route->host);
        printable(f->route->sandbox);
        printable(f->route->from);
    } else if (f && f->body_case == RPC__FRAME__BODY_SPAWN) {
        printable(f->spawn->host);
        printable(f->spawn->sandbox);
        printable(f->spawn->manifest);
    }
    return f;
}

/* ---- the open stream: bytes both ways ---------------------------------- */

static void local_read_cb(struct bufferevent *bev, void *arg);
static void local_event_cb(struct bufferevent *bev, short what, void *arg);

/* idle_s: how long it may go without traffic (0: a program's output, as
 * long as it runs). */
static void open_stream(struct relay *r, int idle_s)
{
    struct timeval idle = { idle_s, 0 };
    r->state = OPEN;
    r->p->served++;
    sealink_opened(r->link, idle_s);
    bufferevent_setcb(r->local, local_read_cb, NULL, local_event_cb, r);
    bufferevent_set_timeouts(r->local, idle_s ? &idle : NULL, idle_s ? &idle : NULL);
    bufferevent_enable(r->local, EV_READ | EV_WRITE);
}

static void relay_local_bytes(struct relay *r)
{
    uint8_t m[SEALINK_CHUNK];
    size_t n;
    while ((n = bufferevent_read(r->local, m, sizeof m)))
        if (sealink_send(r->link, m, n) || sealink_pending(r->link) > PENDING_MAX) {
            refuse(r, "the other host does not read");
            relay_free(r, 0);
            return;
        }
}

/* ---- the origin: a picoprocess of this host names its target ------------ */

static const struct pal_peer *peer_of(const struct pal *p, const char *host)
{
    for (int i = 0; i < p->n_peers; i++)
        if (!strcmp(p->peers[i].host, host))
            return &p->peers[i];
    return NULL;
}

static void link_keyed(void *arg);
static int link_frame(void *arg, const uint8_t *m, size_t n);
static void link_closed(void *arg);
static const struct sealink_cb link_cb = { link_keyed, link_frame, link_closed };

/* Answers the picoprocess with error and closes. */
static void local_fail(struct relay *r, int error)
{
    size_t n = encode_reply(error);
    bufferevent_write(r->local, frame_buf, n);
    relay_free(r, 1);
}

/* Only root (or our uid) may start programs on other hosts. */
static int client_is_admin(struct relay *r)
{
    struct ucred uc;
    socklen_t len = sizeof uc;
    return !getsockopt(bufferevent_getfd(r->local), SOL_SOCKET, SO_PEERCRED, &uc, &len) &&
           (uc.uid == 0 || uc.uid == geteuid());
}

static void origin_route(struct relay *r)
{
    int spawn = r->route->body_case == RPC__FRAME__BODY_SPAWN;
    const char *host = spawn ? r->route->spawn->host : r->route->route->host;
    const char *sandbox = spawn ? r->route->spawn->sandbox : r->route->route->sandbox;
    if (spawn)
        snprintf(r->name, sizeof r->name, "local:%s/%s", host, r->route->spawn->manifest);
    else
        snprintf(r->name, sizeof r->name, "local:%s/%u", host, r->route->route->pid);
    if (spawn && !client_is_admin(r)) {
        refuse(r, "a Spawn from a client that is not root");
        local_fail(r, EPERM);
        return;
    }
    const struct pal_peer *peer = peer_of(r->p, host);
    if (!peer) {
        nsd_log("stream %s of sandbox %s: no paldaemon known for host '%s'", r->name, sandbox, host);
        local_fail(r, EHOSTUNREACH);
        return;
    }
    /* What the picoprocess sends next waits for the other side's answer. */
    bufferevent_disable(r->local, EV_READ);
    r->state = LINKING;
    r->link = sealink_new(r->p->base, -1, r->p->key, &link_cb, r, "pal link");
    if (sealink_connect(r->link, (const struct sockaddr *)&peer->addr, peer->addr_len)) {
        sealink_free(r->link);
        r->link = NULL;
        local_fail(r, EHOSTUNREACH);
    }
}

static void local_read_cb(struct bufferevent *bev, void *arg)
{
    struct relay *r = arg;
    if (r->state == OPEN) {
        relay_local_bytes(r);
        return;
    }
    /* WANT_ROUTE on the origin: one Route frame, checked. */
    struct evbuffer *in = bufferevent_get_input(bev);
    uint8_t h[4];
    if (evbuffer_copyout(in, h, 4) < 4)
        return;
    long n = rpc_frame_len(h);
    if (n < 0) {
        refuse(r, "oversized frame");
        relay_free(r, 1);
        return;
    }
    if (evbuffer_get_length(in) < (size_t)n + 4)
        return;
    evbuffer_remove(in, frame_buf, (size_t)n + 4);
    r->route = decode_chunk(frame_buf, (size_t)n + 4, RPC__FRAME__BODY_ROUTE);
    if (!r->route) {
        refuse(r, "malformed frame or not a Route or Spawn");
        relay_free(r, 1);
        return;
    }
    origin_route(r);
}

static void local_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct relay *r = arg;
    if (r->origin || r->state == OPEN || !(what & BEV_EVENT_ERROR)) {
        relay_free(r, 0);   /* EOF, an error or a time limit: the stream ends */
        return;
    }
    /* TARGETING: the target's socket refused or is not there (yet). */
    int err = EVUTIL_SOCKET_ERROR();
    target_failed(r, err ? err : ECONNREFUSED);
}

void pal_accept_local(struct pal *p, int fd)
{
    struct relay *r = relay_new(p, 1);
    struct timeval hs = { HANDSHAKE_S, 0 };
    snprintf(r->name, sizeof r->name, "local:fd%d", fd);
    r->local = bufferevent_socket_new(p->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!r->local)
        abort();
    bufferevent_setcb(r->local, local_read_cb, NULL, local_event_cb, r);
    bufferevent_set_timeouts(r->local, &hs, &hs);
    bufferevent_enable(r->local, EV_READ | EV_WRITE);
}

/* ---- the target host: the other side's Route, checked ------------------- */

/* Only a socket of the stream directory: a relay is no way to reach
 * anything else on this host. */
static int stream_ok(const struct pal *p, const char *s)
{
    size_t n = strlen(p->rpc_dir);
    const char *name = s + n + 1;
    return !strncmp(s, p->rpc_dir, n) && s[n] == '/' && name[0] && !strchr(name, '/') && strcmp(name, ".") &&
           strcmp(name, "..");
}

static void target_connect(struct relay *r);

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    target_connect(arg);
}

static void link_fail(struct relay *r, int error)
{
    size_t n = encode_reply(error);
    sealink_send(r->link, frame_buf, n);
    relay_free(r, 0);
}

static void target_failed(struct relay *r, int err)
{
    bufferevent_free(r->local);
    r->local = NULL;
    /* Nobody at the abstract name, or not its process: the file, where a
     * picoprocess listens whose abstract name another process held. */
    r->at_file = !r->at_file;
    if (r->at_file && err == ECONNREFUSED) {
        target_connect(r);
        return;
    }
    if ((err == ENOENT || err == ECONNREFUSED) && ++r->tries < TARGET_TRIES) {
        struct timeval t = { 0, 2000 };
        if (!r->retry)
            r->retry = evtimer_new(r->p->base, retry_cb, r);
        evtimer_add(r->retry, &t);
        return;
    }
    link_fail(r, err);
}

/* A picoprocess listens at the abstract name of its stream address (a NUL,
 * then the address: libos/rpc.c), which ends in "-<host pid>"; is the
 * process behind bev that one (SO_PEERCRED), not another that took it? */
static int listener_named(struct bufferevent *bev, const char *stream)
{
    struct ucred cr = { 0 };
    socklen_t len = sizeof cr;
    const char *dash = strrchr(stream, '-');
    return dash && !getsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_PEERCRED, &cr, &len) &&
           cr.pid == atoi(dash + 1);
}

static void target_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct relay *r = arg;
    if ((what & BEV_EVENT_CONNECTED) && !r->at_file && !listener_named(bev, r->route->route->stream)) {
        target_failed(r, ECONNREFUSED);
        return;
    }
    if (what & BEV_EVENT_CONNECTED) {
        size_t n = encode_reply(0);
        if (sealink_send(r->link, frame_buf, n)) {
            relay_free(r, 0);
            return;
        }
        open_stream(r, IDLE_S);
        return;
    }
    local_event_cb(bev, what, arg);
}

/* The stream's abstract name first, then its file (target_failed). */
static void target_connect(struct relay *r)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    const char *stream = r->route->route->stream;
    size_t n = strlen(stream), off = r->at_file ? 0 : 1;
    if (n + off >= sizeof sa.sun_path) {
        link_fail(r, ENAMETOOLONG);
        return;
    }
    memcpy(sa.sun_path + off, stream, n);
    r->local = bufferevent_socket_new(r->p->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!r->local)
        abort();
    bufferevent_setcb(r->local, NULL, NULL, target_event_cb, r);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + off + n + r->at_file);
    if (bufferevent_socket_connect(r->local, (struct sockaddr *)&sa, (int)len))
        target_failed(r, errno ? errno : ECONNREFUSED);
}

/* ---- the target host: a program started for another host ---------------- */

static void spawn_done(struct relay *r)
{
    if (!r->exited || r->open_pipes)
        return;
    Rpc__Exited ex = RPC__EXITED__INIT;
    ex.status = r->status;
    size_t n = encode(RPC__FRAME__BODY_EXITED, &ex);
    sealink_send(r->link, frame_buf, n);
    if (r->p->verbose)
        nsd_log("program %s ended: status 0x%x", r->name, r->status);
    relay_free(r, 0);
}

/* The program's output to the other host: 0, or -1 when r is freed. */
static int pipe_drain(struct relay *r, struct bufferevent *bev)
{
    uint8_t data[RPC_OUTPUT_MAX];
    size_t got;
    while ((got = bufferevent_read(bev, data, sizeof data))) {
        Rpc__Output o = RPC__OUTPUT__INIT;
        o.fd = bev == r->out[0] ? 1 : 2;
        o.data = (ProtobufCBinaryData){ got, data };
        size_t n = encode(RPC__FRAME__BODY_OUTPUT, &o);
        if (sealink_send(r->link, frame_buf, n) || sealink_pending(r->link) > PENDING_MAX) {
            refuse(r, "the other host does not read the program's output");
            relay_free(r, 0);
            return -1;
        }
    }
    return 0;
}

static void pipe_read_cb(struct bufferevent *bev, void *arg)
{
    pipe_drain(arg, bev);
}

static void pipe_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)what;
    struct relay *r = arg;
    if (pipe_drain(r, bev))
        return;
    int i = bev == r->out[1];
    bufferevent_free(r->out[i]);
    r->out[i] = NULL;
    r->open_pipes--;
    spawn_done(r);
}

void pal_reap(struct pal *p)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
        for (struct relay *r = p->relays; r; r = r->next)
            if (r->child == pid) {
                r->exited = 1;
                r->status = st;
                spawn_done(r);
                break;
            }
}

/* graphene run --nsd NSD --sandbox S MANIFEST -- ARGS, its stdin /dev/null,
 * stdout and stderr to pipes. 0 or an errno. */
static int target_spawn(struct relay *r)
{
    Rpc__Spawn *sp = r->route->spawn;
    struct pal *p = r->p;
    snprintf(r->name, sizeof r->name, "spawn:%s", sp->manifest);
    if (strcmp(sp->host, p->host))
        return EHOSTUNREACH;
    if (!p->manifests)
        return EPERM;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", p->manifests, sp->manifest);
    const char *argv[72] = { p->graphene, "run", "--nsd", p->nsd, "--sandbox", sp->sandbox, path, "--" };
    size_t a = 8;
    for (size_t i = 0; i < sp->n_args; i++)
        argv[a++] = sp->args[i];
    argv[a] = NULL;
    int o[2], e[2];
    if (pipe2(o, O_CLOEXEC))
        return errno;
    if (pipe2(e, O_CLOEXEC)) {
        close(o[0]), close(o[1]);
        return errno;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0 || dup2(o[1], 1) < 0 || dup2(e[1], 2) < 0)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], (char **)argv);
        dprintf(2, "paldaemon: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int err = pid < 0 ? errno : 0;
    close(o[1]), close(e[1]);
    if (err) {
        close(o[0]), close(e[0]);
        return err;
    }
    r->child = pid;
    int fds[2] = { o[0], e[0] };
    for (int i = 0; i < 2; i++) {
        evutil_make_socket_nonblocking(fds[i]);
        r->out[i] = bufferevent_socket_new(p->base, fds[i], BEV_OPT_CLOSE_ON_FREE);
        if (!r->out[i])
            abort();
        bufferevent_setcb(r->out[i], pipe_read_cb, NULL, pipe_event_cb, r);
        bufferevent_enable(r->out[i], EV_READ);
    }
    r->open_pipes = 2;
    nsd_log("started %s in sandbox %s for another host: pid %d", path, sp->sandbox, (int)pid);
    return 0;
}

static int target_route(struct relay *r, const uint8_t *m, size_t n)
{
    r->route = decode_chunk(m, n, RPC__FRAME__BODY_ROUTE);
    if (!r->route) {
        refuse(r, "malformed frame or not a Route or Spawn");
        return -1;
    }
    if (r->route->body_case == RPC__FRAME__BODY_SPAWN) {
        int err = target_spawn(r);
        size_t len = encode_reply(err);
        if (err)
            nsd_log("program %s for another host refused: %s", r->name, strerror(err));
        if (sealink_send(r->link, frame_buf, len))
            return -1;
        if (err)
            return 1;
        r->state = SPAWNED;
        sealink_opened(r->link, 0);
        return 0;
    }
    Rpc__Route *ro = r->route->route;
    snprintf(r->name, sizeof r->name, "%s:%s/%u", ro->from, ro->host, ro->pid);
    int err = strcmp(ro->host, r->p->host) ? EHOSTUNREACH : !stream_ok(r->p, ro->stream) ? EACCES : 0;
    if (err) {
        nsd_log("stream from %s to pid %u of sandbox %s refused: %s", ro->from, ro->pid, ro->sandbox,
                err == EACCES ? "not an address of the stream directory" : "not this host");
        r->p->refused++;
        size_t len = encode_reply(err);
        return sealink_send(r->link, frame_buf, len) ? -1 : 1;
    }
    r->state = TARGETING;
    target_connect(r);
    return 0;
}

/* ---- the link between the two paldaemons -------------------------------- */

static void link_keyed(void *arg)
{
    struct relay *r = arg;
    if (!r->origin)
        return;
    /* The Route, with the name of this host, or the Spawn. */
    size_t n;
    if (r->route->body_case == RPC__FRAME__BODY_ROUTE) {
        Rpc__Route ro = *r->route->route;
        ro.from = r->p->host;
        n = encode(RPC__FRAME__BODY_ROUTE, &ro);
    } else {
        n = encode(RPC__FRAME__BODY_SPAWN, r->route->spawn);
    }
    if (!n || sealink_send(r->link, frame_buf, n))
        nsd_log("stream %s: cannot send its route", r->name);
}

/* A sealed chunk: 0, or -1 to drop the link. */
static int link_frame(void *arg, const uint8_t *m, size_t n)
{
    struct relay *r = arg;
    if (r->state == OPEN) {
        if (bufferevent_write(r->local, m, n) ||
            evbuffer_get_length(bufferevent_get_output(r->local)) > PENDING_MAX) {
            refuse(r, "the picoprocess does not read");
            return -1;
        }
        return 0;
    }
    if (r->state == WANT_ROUTE) {   /* the target host */
        int t = target_route(r, m, n);
        if (t > 0) {   /* refused, answered: closed once the answer is written */
            relay_free(r, 0);
            return 0;
        }
        return t;
    }
    if (r->state != LINKING) {
        refuse(r, r->state == SPAWNED ? "a frame to a program's link" : "a frame before the stream was open");
        return -1;
    }
    /* The target host's answer, passed on to the picoprocess. */
    Rpc__Frame *rep = decode_chunk(m, n, RPC__FRAME__BODY_REPLY);
    if (!rep) {
        refuse(r, "the other host's answer is no Reply");
        return -1;
    }
    int error = rep->reply->error;
    rpc__frame__free_unpacked(rep, NULL);
    bufferevent_write(r->local, m, n);
    if (error) {
        relay_free(r, 0);
        return 0;
    }
    if (r->p->verbose)
        nsd_log("stream %s of sandbox %s open", r->name,
                r->route->body_case == RPC__FRAME__BODY_SPAWN ? r->route->spawn->sandbox : r->route->route->sandbox);
    open_stream(r, r->route->body_case == RPC__FRAME__BODY_SPAWN ? 0 : IDLE_S);
    /* What the picoprocess sent meanwhile (its Hello). */
    if (evbuffer_get_length(bufferevent_get_input(r->local)))
        relay_local_bytes(r);
    return 0;
}

static void link_closed(void *arg)
{
    struct relay *r = arg;
    if (r->state == LINKING) {   /* no answer: refused, a wrong key, or no paldaemon there */
        sealink_free(r->link);
        r->link = NULL;
        local_fail(r, EHOSTUNREACH);
        return;
    }
    relay_free(r, 1);
}

void pal_accept_peer(struct pal *p, int fd)
{
    struct relay *r = relay_new(p, 0);
    snprintf(r->name, sizeof r->name, "tcp:fd%d", fd);
    r->link = sealink_new(p->base, fd, p->key, &link_cb, r, "pal link");
}

void pal_close_all(struct pal *p)
{
    while (p->relays)
        relay_free(p->relays, 1);
}

int pal_parse_peers(struct pal *p, const char *spec)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        struct pal_peer *pp = &p->peers[p->n_peers];
        if (p->n_peers == PAL_PEERS_MAX || !eq || eq == item || eq - item > PAL_HOST_MAX) {
            fprintf(stderr, "paldaemon: --peers %s: want HOST=IP:PORT,... (at most %d)\n", spec, PAL_PEERS_MAX);
            return -1;
        }
        *eq = 0;
        snprintf(pp->host, sizeof pp->host, "%s", item);
        pp->addr_len = sizeof pp->addr;
        if (evutil_parse_sockaddr_port(eq + 1, (struct sockaddr *)&pp->addr, &pp->addr_len)) {
            fprintf(stderr, "paldaemon: --peers: bad address %s (want IP:PORT)\n", eq + 1);
            return -1;
        }
        p->n_peers++;
    }
    return 0;
}
