/* Fuzz target: hostile bytes into paldaemon's connections (paldaemon/pal.c,
 * the daemon's own code, in-process, built with ASan/UBSan):
 *   pal_fuzz ITERATIONS SEED
 * Each iteration opens one connection of a kind: a picoprocess's (unix)
 * with raw bytes, random frames or a mutated Route; another host's (TCP)
 * with raw bytes; or another host's that holds the cluster key (the
 * fuzzer's own sealed link, nsd/sealink.c) and then sends sealed chunks
 * that are random, mutated or well-formed Routes, Spawns and Replies. Checks: no
 * crash or sanitizer report; a picoprocess's connection whose first
 * complete frame is oversized, undecodable or no Route or Spawn is closed by the
 * daemon (EOF), as is every keyless TCP connection of garbage. */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/util.h>
#include <sodium.h>
#include "pal.h"
#include "rpc_wire.h"

static struct pal p;
static uint8_t buf[2 * (RPC_FRAME_MAX + 8)];
static unsigned long closed, must_close, conns;

static uint8_t rnd(void) { return (uint8_t)(random() >> 7); }

static void fill(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = rnd();
}

static void pump(void)
{
	for (int i = 0; i < 16; i++)
		event_base_loop(p.base, EVLOOP_NONBLOCK);
}

/* Whether the daemon closed its end: EOF on ours (what it wrote is read and dropped). */
static int eof(int fd)
{
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r == 0 || (r < 0 && errno != EAGAIN))
			return 1;
		if (r < 0)
			return 0;
	}
}

/* A Route or another frame, sometimes in bounds. */
static size_t random_frame(uint8_t *out, size_t cap)
{
	static char str[4][140];
	for (int k = 0; k < 4; k++) {
		size_t n = rnd() % 130;
		for (size_t i = 0; i < n; i++)
			str[k][i] = rnd() & 1 ? (char)('a' + rnd() % 26) : "/.-"[rnd() % 3];
		str[k][n] = 0;
	}
	if (rnd() & 1)
		snprintf(str[2], sizeof str[2], "%s/%s", p.rpc_dir, rnd() & 1 ? "x-1" : "..");
	if (rnd() & 1)
		snprintf(str[0], sizeof str[0], "%s", rnd() & 1 ? p.host : "peer");
	Rpc__Route ro = RPC__ROUTE__INIT;
	Rpc__Reply rp = RPC__REPLY__INIT;
	Rpc__Spawn sp = RPC__SPAWN__INIT;
	Rpc__Frame f = RPC__FRAME__INIT;
	ro.host = str[0], ro.sandbox = str[1], ro.stream = str[2], ro.from = str[3], ro.pid = (uint32_t)random();
	rp.error = (int32_t)(random() % 5000) - 10;
	sp.host = str[0], sp.sandbox = str[1], sp.manifest = rnd() & 1 ? "m.toml" : str[3];
	switch (rnd() % 4) {
	case 0: f.body_case = RPC__FRAME__BODY_ROUTE, f.route = &ro; break;
	case 1: f.body_case = RPC__FRAME__BODY_REPLY, f.reply = &rp; break;
	case 2: f.body_case = RPC__FRAME__BODY_SPAWN, f.spawn = &sp; break; /* no --manifests: EPERM */
	default: break;
	}
	size_t n = rpc_encode(&f, out, cap);
	if (n && rnd() % 3 == 0)
		out[random() % n] ^= (uint8_t)(1 << (rnd() % 8));
	return n;
}

/* The daemon must close a picoprocess's connection whose first frame is complete and bad. */
static int bad_first_frame(const uint8_t *b, size_t n)
{
	if (n < 4)
		return 0;
	long len = rpc_frame_len(b);
	if (len < 0)
		return 1;
	if ((size_t)len + 4 > n)
		return 0;
	Rpc__Frame *f = rpc_decode(b + 4, (size_t)len, NULL);
	int bad = !f || (f->body_case != RPC__FRAME__BODY_ROUTE && f->body_case != RPC__FRAME__BODY_SPAWN);
	if (f)
		rpc__frame__free_unpacked(f, NULL);
	return bad;
}

/* A connection to the daemon: its end sv[0], ours sv[1]. */
static void conn(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		abort();
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_nonblocking(sv[1]);
}

static void local_conn(void)
{
	int sv[2];
	conn(sv);
	pal_accept_local(&p, sv[0]);
	size_t n = 0;
	if (rnd() & 1) {
		n = rnd() % 600;
		fill(buf, n);
		if (n >= 4 && rnd() & 1)
			buf[0] = buf[1] = 0, buf[2] = (uint8_t)((n - 4) >> 8), buf[3] = (uint8_t)(n - 4);
	} else {
		for (int k = rnd() % 3 + 1; k > 0; k--)
			n += random_frame(buf + n, sizeof buf - n);
		if (rnd() & 1 && n)
			n = (size_t)random() % n;
	}
	int expect = bad_first_frame(buf, n);
	if (n && write(sv[1], buf, n) < 0)
		abort();
	pump();
	int e = eof(sv[1]);
	closed += e;
	must_close += expect;
	assert(!expect || e);
	close(sv[1]);
	pump();
}

static int keyed, sent;
static struct sealink *fz;

static void fz_keyed(void *arg) { (void)arg; keyed = 1; }
static int fz_frame(void *arg, const uint8_t *m, size_t n) { (void)arg, (void)m, (void)n; return 0; }
static void fz_closed(void *arg) { (void)arg; sealink_free(fz); fz = NULL; closed++; }
static const struct sealink_cb fz_cb = { fz_keyed, fz_frame, fz_closed };

static void peer_conn(int with_key)
{
	int sv[2];
	conn(sv);
	pal_accept_peer(&p, sv[0]);
	if (!with_key) {
		size_t n = rnd() % 600 + 60;   /* past the nonce and header: a frame that cannot authenticate */
		fill(buf, n);
		if (write(sv[1], buf, n) < 0)
			abort();
		pump();
		int e = eof(sv[1]);
		closed += e;
		must_close++;
		assert(e || (buf[56] == 0 && buf[57] == 0));   /* unless the length said "wait for more" */
		close(sv[1]);
		pump();
		return;
	}
	keyed = 0;
	fz = sealink_new(p.base, sv[1], p.key, &fz_cb, NULL, "fuzz link");
	pump();
	for (int k = rnd() % 4 + 1; fz && keyed && k > 0; k--) {
		size_t n;
		if (rnd() & 1) {
			n = random_frame(buf, SEALINK_CHUNK);
		} else {
			n = rnd() % 300;
			fill(buf, n);
		}
		sealink_send(fz, buf, n);
		sent++;
		pump();
	}
	sealink_free(fz);
	fz = NULL;
	pump();
}

int main(int argc, char **argv)
{
	if (argc != 3 || sodium_init() < 0) {
		fprintf(stderr, "usage: pal_fuzz ITERATIONS SEED\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);   /* as paldaemon's main: a closed peer is EPIPE */
	long iterations = atol(argv[1]);
	srandom((unsigned)atol(argv[2]));
	p.base = event_base_new();
	snprintf(p.host, sizeof p.host, "fuzzhost");
	snprintf(p.rpc_dir, sizeof p.rpc_dir, "/nonexistent/rpc");
	randombytes_buf(p.key, sizeof p.key);
	/* A peer nobody listens on: routes to it fail. */
	if (pal_parse_peers(&p, "peer=127.0.0.1:1"))
		return 2;
	for (long it = 0; it < iterations; it++) {
		conns++;
		switch (it % 3) {
		case 0: local_conn(); break;
		case 1: peer_conn(0); break;
		default: peer_conn(1); break;
		}
	}
	pal_close_all(&p);
	pump();
	event_base_free(p.base);
	printf("%lu connections, %lu closed by the daemon (%lu had to be), %d sealed chunks sent with the key, "
	       "%lu refused\n", conns, closed, must_close, sent, p.refused);
	return closed && must_close && sent && p.refused ? 0 : 1;
}
