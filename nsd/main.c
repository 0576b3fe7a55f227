/* bin/nsd: the namespace leader daemon (see "nsd: the namespace leader" in ARCHITECTURE.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>
#include "embedded.h"
#include "nsdc_posix.h"
#include "server.h"
#include "util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: nsd [--socket PATH] [--journal FILE] [--standby] [--tcp HOST:PORT] [--node ID]\n"
               "           [--embedded [--ready-fd N]]\n"
               "  --socket   unix socket the leader listens on (default: %s)\n"
               "  --journal  sqlite journal shared with standbys (default: nsd.db beside the socket)\n"
               "  --standby  wait for the leader's lease instead of failing when it is held\n"
               "  --tcp      also listen on TCP (picoprocess clients only)\n"
               "  --node     node id in the lease (default HOST:PID)\n"
               "  --embedded the private nsd of `graphene run`: lives in the socket's directory\n"
               "             and ends, removing its files, when its last sandbox has ended\n"
               "  --ready-fd written to (then closed) once listening\n",
            "/run/graphene/nsd.sock, $XDG_RUNTIME_DIR/graphene/nsd.sock or /tmp/graphene-$UID/nsd.sock");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, 0, 's' }, { "journal", required_argument, 0, 'j' },
        { "standby", no_argument, 0, 'S' },      { "tcp", required_argument, 0, 't' },
        { "node", required_argument, 0, 'n' },   { "help", no_argument, 0, 'h' },
        { "embedded", no_argument, 0, 'e' },     { "ready-fd", required_argument, 0, 'r' },
        { 0, 0, 0, 0 },
    };
    static struct nsd n;
    char sock[256], journal[256];
    const char *journal_path = NULL;
    int o;
    n.ready_fd = -1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': n.sock_path = optarg; break;
        case 'j': journal_path = optarg; break;
        case 'S': n.standby = 1; break;
        case 't': n.tcp_addr = optarg; break;
        case 'n': snprintf(n.node, sizeof n.node, "%s", optarg); break;
        case 'e': n.embedded = 1; break;
        case 'r': n.ready_fd = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "nsd: libsodium failed to initialize\n");
        return 1;
    }
    if (!n.sock_path)
        n.sock_path = nsd_default_socket(sock, sizeof sock);
    if (!journal_path)
        journal_path = nsd_default_journal(journal, sizeof journal);
    if (!n.embedded && (nsd_make_parent_dir(n.sock_path) || nsd_make_parent_dir(journal_path))) {
        perror("nsd: cannot create the socket or journal directory");
        return 1;
    }
    /* The journal holds the sandbox secrets: files are ours only (the socket
     * and the embedded runtime directory are opened up explicitly). */
    umask(077);
    if (n.embedded) {
        int r = embedded_start(&n);
        if (r)
            return r < 0;   /* 1: another nsd serves already */
    }
    int rc = nsd_init(&n, journal_path) ? 1 : nsd_run(&n);
    nsd_fini(&n);
    if (n.embedded)
        embedded_cleanup(&n);
    return rc;
}
