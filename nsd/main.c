/* bin/nsd: the namespace leader daemon (see "nsd: the namespace leader" in ARCHITECTURE.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>
#include "embedded.h"
#include "raftlink.h"
#include "nsdc_posix.h"
#include "server.h"
#include "util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: nsd [--socket PATH] [--journal FILE] [--tcp HOST:PORT] [--node ID]\n"
               "           [--peers ID=HOST:PORT,... [--join] [--snapshot-every N]]\n"
               "           [--embedded [--ready-fd N]]\n"
               "  --socket   unix socket this node listens on (default: %s)\n"
               "  --journal  this node's sqlite journal (default: nsd.db beside the socket);\n"
               "             a raft group keeps its log in the directory FILE.raft\n"
               "  --tcp      also listen on TCP (picoprocess clients only)\n"
               "  --node     node id (default HOST:PID; with --peers a number > 0)\n"
               "  --peers    the raft group: every voter's id and raft IP:PORT (this node's too)\n"
               "  --join     start empty, to be added by `graphenectl nsd add-node` (no bootstrap)\n"
               "  --cluster-key FILE  the group's key (64 hex digits): nodes authenticate\n"
               "             and encrypt their traffic with it (required with --peers)\n"
               "  --snapshot-every  raft entries between snapshots; on a single node,\n"
               "             operations between trims of the oplog (default %d)\n"
               "  --embedded the private nsd of `graphene run`: lives in the socket's directory\n"
               "             and ends, removing its files, when its last sandbox has ended\n"
               "  --ready-fd written to (then closed) once listening\n",
            "/run/graphene/nsd.sock, $XDG_RUNTIME_DIR/graphene/nsd.sock or /tmp/graphene-$UID/nsd.sock",
            RAFT_SNAPSHOT_EVERY);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, 0, 's' }, { "journal", required_argument, 0, 'j' },
        { "peers", required_argument, 0, 'p' }, { "tcp", required_argument, 0, 't' },
        { "join", no_argument, 0, 'J' },        { "snapshot-every", required_argument, 0, 'N' },
        { "cluster-key", required_argument, 0, 'k' },
        { "node", required_argument, 0, 'n' },   { "help", no_argument, 0, 'h' },
        { "embedded", no_argument, 0, 'e' },     { "ready-fd", required_argument, 0, 'r' },
        { 0, 0, 0, 0 },
    };
    static struct nsd n;
    char sock[256], journal[256], raft_dir[300];
    const char *journal_path = NULL;
    struct replica_opts ro = { .snapshot_every = RAFT_SNAPSHOT_EVERY };
    const char *key_path = NULL;
    uint8_t key[RAFTLINK_KEY_LEN];
    int o;
    n.ready_fd = -1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': n.sock_path = optarg; break;
        case 'j': journal_path = optarg; break;
        case 'p': ro.peers = optarg; break;
        case 'J': ro.join = 1; break;
        case 'k': key_path = optarg; break;
        case 'N': ro.snapshot_every = strtoul(optarg, NULL, 10); break;
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
    if (ro.peers) {
        char *end;
        ro.id = strtoull(n.node, &end, 10);
        if (!ro.id || *end || n.embedded || !key_path) {
            fprintf(stderr, "nsd: --peers needs --node N (a number > 0), --cluster-key FILE and no --embedded\n");
            return 2;
        }
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "nsd: libsodium failed to initialize\n");
        return 1;
    }
    if (ro.peers) {
        if (sealink_read_key(key_path, key))
            return 2;
        ro.key = key;
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
    n.trim_every = ro.snapshot_every;
    snprintf(raft_dir, sizeof raft_dir, "%s.raft", journal_path);
    ro.dir = raft_dir;
    int rc = nsd_init(&n, journal_path, ro.peers ? &ro : NULL) ? 1 : nsd_run(&n);
    nsd_fini(&n);
    if (n.embedded)
        embedded_cleanup(&n);
    return rc;
}
