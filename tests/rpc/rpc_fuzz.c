/* Fuzz target: hostile bytes into the RPC stream's framing and checked
 * decoder (libos/rpc_wire.c, the code a picoprocess runs on every frame a
 * peer sends), built with ASan/UBSan. LLVMFuzzerTestOneInput() takes the
 * bytes of one stream; under libFuzzer (clang -fsanitize=fuzzer
 * -DRPC_LIBFUZZER) it is driven from there, else main() makes the inputs:
 * raw bytes, random Frames of every kind, and mutations (flipped bytes,
 * truncations, bad headers) of them.
 *   rpc_fuzz ITERATIONS SEED
 * A frame the decoder accepts must hold what the server relies on (the
 * bounds of every field); one it refuses ends the stream, as in the libos. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rpc_wire.h"

static unsigned long accepted, refused, oversized;

/* What serve() and the client code read without checking again. */
static void check_bounds(const Rpc__Frame *f)
{
	switch (f->body_case) {
	case RPC__FRAME__BODY_HELLO:
		assert(strlen(f->hello->sandbox) <= RPC_SANDBOX_MAX);
		assert(f->hello->nonce.len == RPC_NONCE_LEN);
		assert(f->hello->mac.len == 0 || f->hello->mac.len == RPC_MAC_LEN);
		break;
	case RPC__FRAME__BODY_AUTH:
		assert(f->auth->mac.len == RPC_MAC_LEN);
		break;
	case RPC__FRAME__BODY_SIGNAL:
		assert(f->signal->sig >= 0 && f->signal->sig <= 64);
		assert(f->signal->info.len == 0 || f->signal->info.len == RPC_INFO_LEN);
		break;
	case RPC__FRAME__BODY_PROC_READ:
		assert(strlen(f->proc_read->file) <= 32);
		break;
	case RPC__FRAME__BODY_REPLY:
		assert(f->reply->error >= 0 && f->reply->error < 4096);
		break;
	case RPC__FRAME__BODY_ROUTE: /* paldaemon's first frame (paldaemon/pal.c) */
		assert(strlen(f->route->host) <= RPC_HOST_MAX && strlen(f->route->from) <= RPC_HOST_MAX);
		assert(strlen(f->route->sandbox) <= RPC_SANDBOX_MAX && strlen(f->route->stream) <= RPC_STREAM_MAX);
		break;
	case RPC__FRAME__BODY_SPAWN: /* paldaemon's too */
		assert(strlen(f->spawn->host) <= RPC_HOST_MAX && strlen(f->spawn->sandbox) <= RPC_SANDBOX_MAX);
		assert(f->spawn->manifest[0] && !strchr(f->spawn->manifest, '/') && f->spawn->n_args <= 64);
		break;
	case RPC__FRAME__BODY_OUTPUT:
		assert((f->output->fd == 1 || f->output->fd == 2) && f->output->data.len <= RPC_OUTPUT_MAX);
		break;
	case RPC__FRAME__BODY_EXITED:
		break;
	case RPC__FRAME__BODY_SCHED:
		assert(f->sched->which <= 2);
		assert(f->sched->data.len <= RPC_SCHED_MAX && f->sched->out_len <= RPC_SCHED_MAX);
		break;
	default:
		assert(!"a frame of no known kind was accepted");
	}
	/* It encodes again within the limit. */
	static uint8_t buf[RPC_FRAME_MAX + 4];
	assert(rpc_encode(f, buf, sizeof(buf)) > 4 || rpc__frame__get_packed_size(f) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	while (size >= 4) {
		long n = rpc_frame_len(data);
		if (n < 0) {
			oversized++;
			return 0; /* the stream is closed */
		}
		data += 4, size -= 4;
		if ((size_t)n > size)
			return 0; /* the peer's stream ends mid-frame */
		Rpc__Frame *f = rpc_decode(data, (size_t)n, NULL);
		if (!f) {
			refused++;
			return 0;
		}
		accepted++;
		check_bounds(f);
		rpc__frame__free_unpacked(f, NULL);
		data += n, size -= (size_t)n;
	}
	return 0;
}

#ifndef RPC_LIBFUZZER
static uint8_t rnd(void) { return (uint8_t)(random() >> 7); }

static void fill(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = rnd();
}

/* A random frame, its fields sometimes in bounds and sometimes not. */
static size_t random_frame(uint8_t *out, size_t cap)
{
	static uint8_t bytes[300];
	static char str[130];
	fill(bytes, sizeof(bytes));
	size_t sl = rnd() % 120;
	for (size_t i = 0; i < sl; i++)
		str[i] = (char)('a' + rnd() % 26);
	str[sl] = 0;
	size_t bl = rnd() & 1 ? 32 : rnd() & 1 ? 128 : rnd() % 200;
	ProtobufCBinaryData b = { bl, bytes }, b0 = { rnd() & 1 ? 0 : bl, bytes };
	Rpc__Hello h = RPC__HELLO__INIT;
	Rpc__Auth a = RPC__AUTH__INIT;
	Rpc__Signal s = RPC__SIGNAL__INIT;
	Rpc__ProcRead pr = RPC__PROC_READ__INIT;
	Rpc__Reply rp = RPC__REPLY__INIT;
	Rpc__Sched sc = RPC__SCHED__INIT;
	Rpc__Route ro = RPC__ROUTE__INIT;
	Rpc__Spawn sp = RPC__SPAWN__INIT;
	Rpc__Output ou = RPC__OUTPUT__INIT;
	char *args[3] = { str, str + sl / 2, "" };
	Rpc__Frame f = RPC__FRAME__INIT;
	switch (rnd() % 10) {
	case 0:
		h.sandbox = str, h.pid = (uint32_t)random(), h.nonce = b, h.mac = b0;
		f.body_case = RPC__FRAME__BODY_HELLO, f.hello = &h;
		break;
	case 1:
		a.mac = b;
		f.body_case = RPC__FRAME__BODY_AUTH, f.auth = &a;
		break;
	case 2:
		s.sig = (int32_t)(rnd() % 80) - 8, s.code = (int32_t)random(), s.tid = (uint32_t)random();
		s.info = b0;
		f.body_case = RPC__FRAME__BODY_SIGNAL, f.signal = &s;
		break;
	case 3:
		pr.file = str;
		f.body_case = RPC__FRAME__BODY_PROC_READ, f.proc_read = &pr;
		break;
	case 4:
		rp.error = (int32_t)(random() % 5000) - 10, rp.data = b;
		f.body_case = RPC__FRAME__BODY_REPLY, f.reply = &rp;
		break;
	case 5:
		sc.nr = (uint32_t)random() % 400, sc.which = (uint32_t)(rnd() % 4), sc.who = (uint32_t)random();
		sc.arg = (int64_t)random() - (1L << 30), sc.data = b;
		sc.out_len = rnd() & 1 ? (uint32_t)(rnd() % 1024) : 16;
		f.body_case = RPC__FRAME__BODY_SCHED, f.sched = &sc;
		break;
	case 6:
		ro.host = str + sl / 2, ro.sandbox = str + sl / 3, ro.stream = str, ro.from = str + rnd() % (sl + 1);
		ro.pid = (uint32_t)random();
		f.body_case = RPC__FRAME__BODY_ROUTE, f.route = &ro;
		break;
	case 7:
		sp.host = str + sl / 3, sp.sandbox = str, sp.manifest = rnd() & 1 ? "m.toml" : str + sl / 2;
		sp.args = args, sp.n_args = rnd() % 4;
		f.body_case = RPC__FRAME__BODY_SPAWN, f.spawn = &sp;
		break;
	case 8:
		ou.fd = rnd() % 4, ou.data = b;
		f.body_case = RPC__FRAME__BODY_OUTPUT, f.output = &ou;
		break;
	default:
		break; /* no body */
	}
	return rpc_encode(&f, out, cap);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: rpc_fuzz ITERATIONS SEED\n");
		return 2;
	}
	long iterations = atol(argv[1]);
	srandom((unsigned)atol(argv[2]));
	static uint8_t buf[4 * (RPC_FRAME_MAX + 4)];
	for (long it = 0; it < iterations; it++) {
		size_t len = 0;
		switch (it % 3) {
		case 0: /* raw bytes, sometimes behind a plausible header */
			len = rnd() % 512;
			fill(buf, len);
			if (len >= 4 && rnd() & 1)
				buf[0] = buf[1] = 0, buf[2] = 0, buf[3] = (uint8_t)(len - 4);
			break;
		default: /* a few frames, then mutations */
			for (int k = rnd() % 4 + 1; k > 0 && len < sizeof(buf) - 1024; k--)
				len += random_frame(buf + len, sizeof(buf) - len);
			if (it % 3 == 2 && len) {
				for (int m = rnd() % 8; m >= 0; m--)
					buf[random() % len] ^= (uint8_t)(1 << (rnd() % 8));
				if (rnd() & 1)
					len = (size_t)random() % len;
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	/* A header over the limit. */
	LLVMFuzzerTestOneInput((const uint8_t *)"\x00\x00\x40\x01", 4);
	printf("%lu frames accepted, %lu refused, %lu oversized\n", accepted, refused, oversized);
	return accepted && refused && oversized ? 0 : 1;
}
#endif
