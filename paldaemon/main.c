/* paldaemon: the relay of RPC streams between hosts (pal.h). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <event2/listener.h>
#include <sodium.h>
#include "nsdc_posix.h"
#include "pal.h"
#include "rpc_wire.h"
#include "util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: paldaemon --cluster-key FILE [--listen IP:PORT] [--peers HOST=IP:PORT,...]\n"
               "                 [--host NAME] [--socket PATH] [--rpc-dir DIR] [--ready-fd N] [--verbose]\n"
               "                 [--manifests DIR [--nsd ADDRESS] [--graphene PATH]]\n"
               "       paldaemon [--socket PATH] --spawn HOST --sandbox NAME MANIFEST [ARGS...]\n"
               "  --cluster-key FILE  the key shared by the paldaemons of the cluster (64 hex digits)\n"
               "  --listen IP:PORT    where other hosts' paldaemons connect (default: none)\n"
               "  --peers LIST        the paldaemon of each other host, by the host name its\n"
               "                      picoprocesses register with nsd\n"
               "  --host NAME         this host's name (default: its nodename, as picoprocesses register)\n"
               "  --socket PATH       the picoprocesses' socket, in nsd's directory (default:\n"
               "                      <runtime dir>/pal-<host>.sock)\n"
               "  --rpc-dir DIR       the stream directory (default: rpc/ beside the socket)\n"
               "  --ready-fd N        write \"ready\\n\" to fd N once listening\n"
               "  --manifests DIR     start programs for other hosts (root clients there), their\n"
               "                      manifests files of DIR; with nsd at ADDRESS (default: nsd.sock\n"
               "                      beside the socket) and graphene at PATH (default: beside paldaemon)\n"
               "  --spawn HOST        (as root) run MANIFEST, a file of HOST's --manifests, there with\n"
               "                      ARGS in sandbox NAME; its output here, its exit status ours\n");
}

static void accept_local(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
    (void)l, (void)sa, (void)len;
    pal_accept_local(arg, fd);
}

static void accept_peer(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
    (void)l, (void)sa, (void)len;
    pal_accept_peer(arg, fd);
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
    (void)sig, (void)what;
    event_base_loopbreak(arg);
}

/* --spawn: the client of a Spawn. Exits with the program's status. */
static int spawn(const char *sock, const char *host, const char *sandbox, char **argv, int argc)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        fprintf(stderr, "paldaemon: %s: %s\n", sock, strerror(errno));
        return 1;
    }
    Rpc__Spawn sp = RPC__SPAWN__INIT;
    sp.host = (char *)host;
    sp.sandbox = (char *)sandbox;
    sp.manifest = argv[0];
    sp.args = argv + 1;
    sp.n_args = (size_t)argc - 1;
    Rpc__Frame f = RPC__FRAME__INIT;
    f.body_case = RPC__FRAME__BODY_SPAWN;
    f.spawn = &sp;
    static uint8_t buf[RPC_FRAME_MAX + 4];
    size_t n = rpc_encode(&f, buf, sizeof buf);
    if (!n || write(fd, buf, n) != (ssize_t)n) {
        fprintf(stderr, "paldaemon: --spawn: the request is too large or the daemon went away\n");
        return 1;
    }
    FILE *in = fdopen(fd, "r");
    for (;;) {
        Rpc__Frame *g = NULL;
        long len = fread(buf, 1, 4, in) == 4 ? rpc_frame_len(buf) : -1;
        if (len >= 0 && fread(buf, 1, (size_t)len, in) == (size_t)len)
            g = rpc_decode(buf, (size_t)len, NULL);
        if (!g) {
            fprintf(stderr, "paldaemon: --spawn: the connection ended before the program's status\n");
            return 1;
        }
        if (g->body_case == RPC__FRAME__BODY_REPLY && g->reply->error) {
            fprintf(stderr, "paldaemon: --spawn %s on %s: %s\n", argv[0], host, strerror(g->reply->error));
            return 1;
        }
        if (g->body_case == RPC__FRAME__BODY_OUTPUT &&
            write((int)g->output->fd, g->output->data.data, g->output->data.len) < 0)
            return 1;
        if (g->body_case == RPC__FRAME__BODY_EXITED) {
            int st = g->exited->status;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        rpc__frame__free_unpacked(g, NULL);
    }
}

static void on_child(evutil_socket_t sig, short what, void *arg)
{
    (void)sig, (void)what;
    pal_reap(arg);
}

static struct evconnlistener *listen_unix(struct pal *p, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "paldaemon: --socket %s: too long\n", path);
        return NULL;
    }
    strcpy(sa.sun_path, path);
    unlink(path);
    /* 0666: picoprocesses of every sandbox uid connect; what they reach
     * is another host's stream socket, which still wants the sandbox's
     * secret. */
    mode_t old = umask(0);
    struct evconnlistener *l = evconnlistener_new_bind(p->base, accept_local, p, LEV_OPT_CLOSE_ON_FREE |
                                                       LEV_OPT_CLOSE_ON_EXEC, 64, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (!l)
        fprintf(stderr, "paldaemon: cannot listen on %s: %s\n", path, strerror(errno));
    return l;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "cluster-key", required_argument, 0, 'k' }, { "listen", required_argument, 0, 'l' },
        { "peers", required_argument, 0, 'p' },       { "host", required_argument, 0, 'H' },
        { "socket", required_argument, 0, 's' },      { "rpc-dir", required_argument, 0, 'r' },
        { "ready-fd", required_argument, 0, 'R' },    { "verbose", no_argument, 0, 'v' },
        { "manifests", required_argument, 0, 'm' },   { "nsd", required_argument, 0, 'n' },
        { "graphene", required_argument, 0, 'g' },    { "spawn", required_argument, 0, 'S' },
        { "sandbox", required_argument, 0, 'b' },     { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    static struct pal p;
    const char *key_path = NULL, *listen_addr = NULL, *peers = NULL, *sock = NULL, *rpc_dir = NULL;
    const char *spawn_host = NULL, *sandbox = NULL;
    int ready_fd = -1, o;
    while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {   /* "+": a spawned program's ARGS are its own */
        switch (o) {
        case 'k': key_path = optarg; break;
        case 'l': listen_addr = optarg; break;
        case 'p': peers = optarg; break;
        case 'H': snprintf(p.host, sizeof p.host, "%s", optarg); break;
        case 's': sock = optarg; break;
        case 'r': rpc_dir = optarg; break;
        case 'R': ready_fd = atoi(optarg); break;
        case 'v': p.verbose = 1; break;
        case 'm': p.manifests = optarg; break;
        case 'n': p.nsd = optarg; break;
        case 'g': p.graphene = optarg; break;
        case 'S': spawn_host = optarg; break;
        case 'b': sandbox = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!p.host[0]) {
        struct utsname u;
        uname(&u);
        snprintf(p.host, sizeof p.host, "%s", u.nodename);
    }
    char dir[256], sock_buf[400];
    if (!sock) {
        snprintf(sock_buf, sizeof sock_buf, "%s/pal-%s.sock", nsd_runtime_dir(dir, sizeof dir), p.host);
        sock = sock_buf;
    }
    if (spawn_host) {
        if (!sandbox || optind == argc) {
            usage(stderr);
            return 2;
        }
        return spawn(sock, spawn_host, sandbox, argv + optind, argc - optind);
    }
    if (optind != argc || !key_path) {
        usage(stderr);
        return 2;
    }
    char name[PAL_HOST_MAX + 16];
    snprintf(name, sizeof name, "paldaemon %s", p.host);
    nsd_log_set_node(name);
    if (sodium_init() < 0 || sealink_read_key(key_path, p.key) || (peers && pal_parse_peers(&p, peers)))
        return 2;
    size_t dl = strrchr(sock, '/') ? (size_t)(strrchr(sock, '/') - sock) : 1;
    const char *base = strrchr(sock, '/') ? sock : ".";
    char nsd_buf[400], graphene_buf[4096];
    if (!p.nsd) {
        snprintf(nsd_buf, sizeof nsd_buf, "%.*s/nsd.sock", (int)dl, base);
        p.nsd = nsd_buf;
    }
    if (!p.graphene) {
        ssize_t n = readlink("/proc/self/exe", graphene_buf, sizeof graphene_buf - 16);
        char *slash = n > 0 ? memrchr(graphene_buf, '/', (size_t)n) : NULL;
        if (slash)
            strcpy(slash + 1, "graphene");
        p.graphene = slash ? graphene_buf : "graphene";
    }
    if (rpc_dir)
        snprintf(p.rpc_dir, sizeof p.rpc_dir, "%s", rpc_dir);
    else
        snprintf(p.rpc_dir, sizeof p.rpc_dir, "%.*s/rpc", (int)dl, base);
    signal(SIGPIPE, SIG_IGN);
    p.base = event_base_new();
    struct evconnlistener *lu = listen_unix(&p, sock), *lt = NULL;
    if (!lu)
        return 1;
    if (listen_addr) {
        struct sockaddr_storage ss;
        int len = sizeof ss;
        if (evutil_parse_sockaddr_port(listen_addr, (struct sockaddr *)&ss, &len)) {
            fprintf(stderr, "paldaemon: --listen %s: want IP:PORT\n", listen_addr);
            return 2;
        }
        lt = evconnlistener_new_bind(p.base, accept_peer, &p, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                     LEV_OPT_CLOSE_ON_EXEC, 64, (struct sockaddr *)&ss, len);
        if (!lt) {
            fprintf(stderr, "paldaemon: cannot listen on %s: %s\n", listen_addr, strerror(errno));
            unlink(sock);
            return 1;
        }
    }
    struct event *term = evsignal_new(p.base, SIGTERM, on_term, p.base),
                 *intr = evsignal_new(p.base, SIGINT, on_term, p.base),
                 *chld = evsignal_new(p.base, SIGCHLD, on_child, &p);
    event_add(term, NULL);
    event_add(intr, NULL);
    event_add(chld, NULL);
    nsd_log("host %s: picoprocesses at %s (streams in %s), peers at %s, %d other hosts", p.host, sock, p.rpc_dir,
            listen_addr ? listen_addr : "(none)", p.n_peers);
    if (ready_fd >= 0) {
        if (write(ready_fd, "ready\n", 6) < 0)
            perror("paldaemon: --ready-fd");
        close(ready_fd);
    }
    event_base_dispatch(p.base);
    nsd_log("ending: %lu streams relayed, %lu connections closed for bad input", p.served, p.refused);
    pal_close_all(&p);
    unlink(sock);
    evconnlistener_free(lu);
    if (lt)
        evconnlistener_free(lt);
    event_free(term);
    event_free(intr);
    event_free(chld);
    event_base_free(p.base);
    sodium_memzero(p.key, sizeof p.key);
    return 0;
}
