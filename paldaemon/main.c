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
#include <unistd.h>
#include <event2/listener.h>
#include <sodium.h>
#include "nsdc_posix.h"
#include "pal.h"
#include "util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: paldaemon --cluster-key FILE [--listen IP:PORT] [--peers HOST=IP:PORT,...]\n"
               "                 [--host NAME] [--socket PATH] [--rpc-dir DIR] [--ready-fd N] [--verbose]\n"
               "  --cluster-key FILE  the key shared by the paldaemons of the cluster (64 hex digits)\n"
               "  --listen IP:PORT    where other hosts' paldaemons connect (default: none)\n"
               "  --peers LIST        the paldaemon of each other host, by the host name its\n"
               "                      picoprocesses register with nsd\n"
               "  --host NAME         this host's name (default: its nodename, as picoprocesses register)\n"
               "  --socket PATH       the picoprocesses' socket, in nsd's directory (default:\n"
               "                      <runtime dir>/pal-<host>.sock)\n"
               "  --rpc-dir DIR       the stream directory (default: rpc/ beside the socket)\n"
               "  --ready-fd N        write \"ready\\n\" to fd N once listening\n");
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
        { "help", no_argument, 0, 'h' },              { 0, 0, 0, 0 },
    };
    static struct pal p;
    const char *key_path = NULL, *listen_addr = NULL, *peers = NULL, *sock = NULL, *rpc_dir = NULL;
    int ready_fd = -1, o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'k': key_path = optarg; break;
        case 'l': listen_addr = optarg; break;
        case 'p': peers = optarg; break;
        case 'H': snprintf(p.host, sizeof p.host, "%s", optarg); break;
        case 's': sock = optarg; break;
        case 'r': rpc_dir = optarg; break;
        case 'R': ready_fd = atoi(optarg); break;
        case 'v': p.verbose = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !key_path) {
        usage(stderr);
        return 2;
    }
    if (!p.host[0]) {
        struct utsname u;
        uname(&u);
        snprintf(p.host, sizeof p.host, "%s", u.nodename);
    }
    char name[PAL_HOST_MAX + 16];
    snprintf(name, sizeof name, "paldaemon %s", p.host);
    nsd_log_set_node(name);
    if (sodium_init() < 0 || sealink_read_key(key_path, p.key) || (peers && pal_parse_peers(&p, peers)))
        return 2;
    char dir[256], sock_buf[400];
    if (!sock) {
        snprintf(sock_buf, sizeof sock_buf, "%s/pal-%s.sock", nsd_runtime_dir(dir, sizeof dir), p.host);
        sock = sock_buf;
    }
    if (rpc_dir)
        snprintf(p.rpc_dir, sizeof p.rpc_dir, "%s", rpc_dir);
    else
        snprintf(p.rpc_dir, sizeof p.rpc_dir, "%.*s/rpc", (int)(strrchr(sock, '/') ? strrchr(sock, '/') - sock : 1),
                 strrchr(sock, '/') ? sock : ".");
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
                 *intr = evsignal_new(p.base, SIGINT, on_term, p.base);
    event_add(term, NULL);
    event_add(intr, NULL);
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
    event_base_free(p.base);
    sodium_memzero(p.key, sizeof p.key);
    return 0;
}
