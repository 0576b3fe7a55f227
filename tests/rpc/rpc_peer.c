/* A host-side peer on a picoprocess's RPC stream (tests/libos/rpc.t), to
 * attack it with what a libos would never send:
 *   rpc_peer SOCKET SANDBOX SECRET_HEX PID MODE
 * MODE: good (the handshake, then Signal{sig 0}: prints "reply N"),
 * badmac (the handshake with Auth under another key, then the request),
 * sandbox (a Hello naming another sandbox), oversized (a header announcing
 * 2 GiB), garbage (a frame that is no protobuf), early (a request before
 * any handshake). Prints "closed" when the server ends the stream without a
 * reply, "reply N" for a reply, "bad server" when the server's MAC fails.
 * SOCKET @NAME is an abstract name; pal:PALSOCK:HOST:STREAM goes through a paldaemon (tests/pal/):
 * a Route to STREAM on HOST first; "route N" when its Reply is error N. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <sodium.h>
#include "rpc_wire.h"

static int fd;

static void send_raw(const void *b, size_t n)
{
	if (write(fd, b, n) != (ssize_t)n) {
		printf("closed\n");
		exit(0);
	}
}

static void send_frame(const Rpc__Frame *f)
{
	static uint8_t buf[RPC_FRAME_MAX + 4];
	size_t n = rpc_encode(f, buf, sizeof(buf));
	send_raw(buf, n);
}

/* The next frame, or "closed" and exit when the server ended the stream. */
static Rpc__Frame *recv_frame(void)
{
	static uint8_t buf[RPC_FRAME_MAX];
	uint8_t hdr[4];
	size_t got = 0;
	long len = -1;
	while (got < 4) {
		ssize_t r = read(fd, hdr + got, 4 - got);
		if (r <= 0)
			goto closed;
		got += (size_t)r;
	}
	len = rpc_frame_len(hdr);
	for (got = 0; len >= 0 && got < (size_t)len;) {
		ssize_t r = read(fd, buf + got, (size_t)len - got);
		if (r <= 0)
			goto closed;
		got += (size_t)r;
	}
	Rpc__Frame *f = len >= 0 ? rpc_decode(buf, (size_t)len, NULL) : NULL;
	if (f)
		return f;
closed:
	printf("closed\n");
	exit(0);
}

static void mac_of(uint8_t out[32], const char *label, const uint8_t *a, const uint8_t *b,
                   const uint8_t *key)
{
	uint8_t msg[100];
	size_t l = strlen(label);
	memcpy(msg, label, l);
	memcpy(msg + l, a, 32);
	memcpy(msg + l + 32, b, 32);
	crypto_auth(out, msg, l + 64, key);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN); /* a server that cut us off: "closed" */
	if (argc != 6 || sodium_init() < 0) {
		fprintf(stderr, "usage: rpc_peer SOCKET SANDBOX SECRET_HEX PID MODE\n");
		return 2;
	}
	const char *mode = argv[5];
	uint8_t key[32], nonce[32], mac[32];
	size_t klen = 0;
	if (sodium_hex2bin(key, sizeof(key), argv[3], strlen(argv[3]), NULL, &klen, NULL) || klen != 32)
		return 2;
	if (!strcmp(mode, "badmac"))
		key[0] ^= 1;
	char *route[2] = { NULL, NULL }, *path = argv[1];
	if (!strncmp(path, "pal:", 4)) {
		path += 4;
		for (int i = 0; i < 2; i++) {
			char *c = strchr(i ? route[i - 1] : path, ':');
			if (!c)
				return 2;
			*c = 0;
			route[i] = c + 1;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	socklen_t len = sizeof(sa);
	if (path[0] == '@') { /* an abstract name */
		sa.sun_path[0] = 0;
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	}
	if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		perror("connect");
		return 1;
	}
	if (route[0]) {
		Rpc__Route ro = RPC__ROUTE__INIT;
		ro.host = route[0];
		ro.sandbox = argv[2];
		ro.pid = (uint32_t)atoi(argv[4]);
		ro.stream = route[1];
		Rpc__Frame rf = RPC__FRAME__INIT;
		rf.body_case = RPC__FRAME__BODY_ROUTE;
		rf.route = &ro;
		send_frame(&rf);
		Rpc__Frame *rep = recv_frame();
		if (rep->body_case != RPC__FRAME__BODY_REPLY)
			return 1;
		if (rep->reply->error) {
			printf("route %d\n", rep->reply->error);
			return 0;
		}
	}
	Rpc__Signal s = RPC__SIGNAL__INIT;
	Rpc__Frame req = RPC__FRAME__INIT;
	req.body_case = RPC__FRAME__BODY_SIGNAL;
	req.signal = &s;
	if (!strcmp(mode, "oversized")) {
		send_raw("\x7f\xff\xff\xff", 4);
		recv_frame();
	} else if (!strcmp(mode, "garbage")) {
		send_raw("\0\0\0\6\xff\xff\xff\xff\xff\xff", 10);
		recv_frame();
	} else if (!strcmp(mode, "early")) {
		send_frame(&req);
		recv_frame();
	}
	randombytes_buf(nonce, sizeof(nonce));
	Rpc__Hello h = RPC__HELLO__INIT;
	h.sandbox = !strcmp(mode, "sandbox") ? "another" : argv[2];
	h.pid = 999;
	h.nonce = (ProtobufCBinaryData){ 32, nonce };
	Rpc__Frame f = RPC__FRAME__INIT;
	f.body_case = RPC__FRAME__BODY_HELLO;
	f.hello = &h;
	send_frame(&f);
	Rpc__Frame *sh = recv_frame();
	if (sh->body_case != RPC__FRAME__BODY_HELLO || sh->hello->pid != (uint32_t)atoi(argv[4]))
		return 1;
	mac_of(mac, "graphene-rpc server", nonce, sh->hello->nonce.data, key);
	if (strcmp(mode, "badmac") && (sh->hello->mac.len != 32 || memcmp(mac, sh->hello->mac.data, 32))) {
		printf("bad server\n");
		return 1;
	}
	Rpc__Auth a = RPC__AUTH__INIT;
	mac_of(mac, "graphene-rpc client", sh->hello->nonce.data, nonce, key);
	a.mac = (ProtobufCBinaryData){ 32, mac };
	f.body_case = RPC__FRAME__BODY_AUTH;
	f.auth = &a;
	send_frame(&f);
	/* The request and the MAC of its body under the session key. */
	uint8_t sk[32], body[RPC_FRAME_MAX + 4];
	mac_of(sk, "graphene-rpc session", nonce, sh->hello->nonce.data, key);
	size_t n = rpc_encode(&req, body, sizeof(body));
	send_raw(body, n);
	if (!strcmp(mode, "tamper"))
		body[n - 1] ^= 1;
	body[3] = 'q';
	crypto_auth(mac, body + 3, n - 3, sk);
	send_frame(&f);
	Rpc__Frame *rep = recv_frame();
	printf("reply %d\n", rep->body_case == RPC__FRAME__BODY_REPLY ? rep->reply->error : -1);
	return 0;
}
