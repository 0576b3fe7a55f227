/*
 * Fuzz target: hostile frames into the connection core (framing, decoding,
 * hello/auth, dispatch, apply) of a leading nsd on a scratch journal, with
 * no sockets. Built with ASan/UBSan. LLVMFuzzerTestOneInput() can be driven
 * by libFuzzer (clang -fsanitize=fuzzer -DNSD_LIBFUZZER; its setup is in
 * LLVMFuzzerInitialize, the journal in $NSD_FUZZ_JOURNAL or a fresh
 * temporary directory); main() generates inputs itself: raw bytes, random
 * protobuf Frames of every request type, and mutations of them.
 *   nsd_fuzz JOURNAL ITERATIONS SEED
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include "server.h"
#include "auth.h"

static struct nsd n;

/* A single node leads from its start: no election, no listener. */
static void setup(const char *journal)
{
    snprintf(n.node, sizeof n.node, "fuzz");
    nsd_log_set_node("fuzz");
    n.self.node = n.node;
    n.self.started_ms = now_ms();
    if (journal_open(&n.j, journal, JOURNAL_SYNC_FULL)) {
        fprintf(stderr, "nsd_fuzz: cannot open %s\n", journal);
        exit(1);
    }
    n.leading = n.ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The sandbox the picoprocess connections claim (id 1), created by an
 * admin connection. */
static void create_sandbox(void)
{
    static uint8_t buf[256];
    Nsd__SandboxCreate sc = NSD__SANDBOX_CREATE__INIT;
    Nsd__Frame fr = NSD__FRAME__INIT;
    sc.name = "fuzzbox";
    fr.req_id = 1;
    fr.body_case = NSD__FRAME__BODY_SANDBOX_CREATE;
    fr.sandbox_create = &sc;
    buf[0] = 2;
    size_t len = nsd__frame__pack(&fr, buf + 5);
    buf[1] = 0, buf[2] = 0, buf[3] = len >> 8, buf[4] = len;
    LLVMFuzzerTestOneInput(buf, len + 5);
}

/* First byte: who is talking (unauthenticated, picoprocess of sandbox 1,
 * admin); the rest is the byte stream of the connection. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    struct conn *c = conn_new(&n, NULL, 1, "fuzz");
    struct evbuffer *in = evbuffer_new();
    c->in = in;
    switch (data[0] % 3) {
    case 1:
        c->state = CONN_READY;
        c->role = NSD__ROLE__ROLE_PICO;
        c->sandbox_id = 1;
        snprintf(c->client, sizeof c->client, "%032x", data[0] >> 4);
        break;
    case 2:
        c->state = CONN_READY;
        c->role = NSD__ROLE__ROLE_ADMIN;
        break;
    }
    evbuffer_add(in, data + 1, size - 1);
    conn_feed(c);
    nsd_flush(&n);
    if (n.conns)   /* still open: the peer goes away */
        conn_drop(n.conns, NULL);
    evbuffer_free(in);
    return 0;
}

#ifdef NSD_LIBFUZZER

static char tmp_dir[] = "/tmp/nsd-fuzz.XXXXXX", tmp_journal[sizeof tmp_dir + 16];

static void remove_tmp_journal(void)
{
    journal_close(&n.j);
    static const char *const suffixes[] = { "", "-wal", "-shm" };
    char path[sizeof tmp_journal + 8];
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        snprintf(path, sizeof path, "%s%s", tmp_journal, suffixes[i]);
        unlink(path);
    }
    rmdir(tmp_dir);
}

/* libFuzzer calls this once before the first input: without it the first
 * input would meet a connection core with no journal. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *journal = getenv("NSD_FUZZ_JOURNAL");
    if (!journal) {
        if (!mkdtemp(tmp_dir)) {
            perror("nsd_fuzz: mkdtemp");
            exit(1);
        }
        snprintf(tmp_journal, sizeof tmp_journal, "%s/journal.db", tmp_dir);
        journal = tmp_journal;
        atexit(remove_tmp_journal);
    }
    setup(journal);
    create_sandbox();
    return 0;
}

#else

static uint32_t rnd(void)
{
    return (uint32_t)random();
}

/* Mostly small numbers, so that pids, callers and keys often match real ones. */
static uint64_t rnd_num(void)
{
    switch (rnd() % 4) {
    case 0: return 0;
    case 1:
    case 2: return rnd() % 12;
    default: return ((uint64_t)rnd() << 32) | rnd();
    }
}

static const char *names[] = { "", "sb", "fuzzbox", "a/b", "x" };

/* Fills the scalar fields of a message at random (repeated strings: 0-2). */
static void fill(ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        void *p = (char *)m + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (f->type == PROTOBUF_C_TYPE_STRING) {
                static char *argv[] = { "/bin/sh", "-c", "true" };
                *(size_t *)((char *)m + f->quantifier_offset) = rnd() % 3;
                *(char ***)p = argv;
            }
            continue;
        }
        switch (f->type) {
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_ENUM:
            *(uint32_t *)p = rnd_num();
            break;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_UINT64:
            *(uint64_t *)p = rnd_num();
            break;
        case PROTOBUF_C_TYPE_BOOL:
            *(protobuf_c_boolean *)p = rnd() & 1;
            break;
        case PROTOBUF_C_TYPE_STRING:
            *(const char **)p = names[rnd() % 5];
            break;
        default:
            break;
        }
    }
}

/* A well-formed Frame with a random body (requests mostly), framed. */
static size_t random_frame(uint8_t *out, size_t cap)
{
    const ProtobufCMessageDescriptor *fd = &nsd__frame__descriptor;
    const ProtobufCFieldDescriptor *f;
    /* Half the time a request (ids >= 32), to get past the role checks. */
    unsigned min_id = rnd() & 1 ? NSD__FRAME__BODY_SANDBOX_CREATE : 0;
    do
        f = &fd->fields[rnd() % fd->n_fields];
    while (f->type != PROTOBUF_C_TYPE_MESSAGE || f->id < min_id);
    union { ProtobufCMessage m; max_align_t a[64]; } body;
    if (f->descriptor == NULL ||
        ((const ProtobufCMessageDescriptor *)f->descriptor)->sizeof_message > sizeof body)
        return 0;
    const ProtobufCMessageDescriptor *bd = f->descriptor;
    protobuf_c_message_init(bd, &body);
    /* Nested messages stay unset; scalars are random. */
    fill(&body.m);
    Nsd__Frame fr = NSD__FRAME__INIT;
    fr.req_id = rnd_num();
    fr.body_case = f->id;
    *(ProtobufCMessage **)((char *)&fr + f->offset) = &body.m;
    size_t len = nsd__frame__get_packed_size(&fr);
    if (len + 4 > cap)
        return 0;
    nsd__frame__pack(&fr, out + 4);
    out[0] = len >> 24, out[1] = len >> 16, out[2] = len >> 8, out[3] = len;
    return len + 4;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: nsd_fuzz JOURNAL ITERATIONS SEED\n");
        return 2;
    }
    setup(argv[1]);
    long iters = atol(argv[2]);
    srandom(atoi(argv[3]));
    static uint8_t buf[1 << 16];
    create_sandbox();

    for (long it = 0; it < iters; it++) {
        size_t size = 1;
        buf[0] = rnd();
        int nframes = 1 + rnd() % 4;
        for (int k = 0; k < nframes && size < sizeof buf - 4096; k++) {
            switch (rnd() % 8) {
            case 0: {   /* raw garbage */
                size_t m = rnd() % 64;
                for (size_t i = 0; i < m; i++)
                    buf[size++] = rnd();
                break;
            }
            case 1: {   /* a header claiming a random (often huge) length */
                uint32_t l = rnd_num() & 1 ? rnd() : rnd() % 32;
                buf[size++] = l >> 24, buf[size++] = l >> 16, buf[size++] = l >> 8, buf[size++] = l;
                break;
            }
            default: {  /* a valid frame, sometimes mutated or cut short */
                size_t fl = random_frame(buf + size, sizeof buf - size);
                if (fl && rnd() % 3 == 0)
                    for (int flips = 1 + rnd() % 4; flips--;)
                        buf[size + rnd() % fl] ^= 1u << (rnd() % 8);
                if (fl && rnd() % 8 == 0)
                    fl = rnd() % fl;
                size += fl;
            }
            }
        }
        LLVMFuzzerTestOneInput(buf, size);
    }
    int64_t ops = 0, procs = 0;
    jint(&n.j, &ops, "SELECT count(*) FROM oplog", "");
    jint(&n.j, &procs, "SELECT count(*) FROM procs", "");
    printf("iterations %ld, journaled operations %lld, processes %lld\n", iters, (long long)ops,
           (long long)procs);
    journal_close(&n.j);
    return 0;
}

#endif
