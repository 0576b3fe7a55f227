/* The RPC stream's framing and checked decoding (see rpc_wire.h). Every
 * field a peer sends is bounded here, so the code that serves a frame can
 * trust its shape. */
#include <string.h>
#include "rpc_wire.h"

long rpc_frame_len(const uint8_t hdr[4])
{
	uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	return n <= RPC_FRAME_MAX ? (long)n : -1;
}

static int bytes_ok(const ProtobufCBinaryData *b, size_t a, size_t c)
{
	return b->len == a || b->len == c;
}

static int frame_ok(const Rpc__Frame *f)
{
	switch (f->body_case) {
	case RPC__FRAME__BODY_HELLO:
		return strlen(f->hello->sandbox) <= RPC_SANDBOX_MAX &&
		       f->hello->nonce.len == RPC_NONCE_LEN && bytes_ok(&f->hello->mac, 0, RPC_MAC_LEN);
	case RPC__FRAME__BODY_AUTH:
		return f->auth->mac.len == RPC_MAC_LEN;
	case RPC__FRAME__BODY_SIGNAL:
		return f->signal->sig >= 0 && f->signal->sig <= 64 && bytes_ok(&f->signal->info, 0, RPC_INFO_LEN);
	case RPC__FRAME__BODY_PROC_READ:
		return strlen(f->proc_read->file) <= 32;
	case RPC__FRAME__BODY_SCHED:
		return f->sched->which <= 2 && f->sched->data.len <= RPC_SCHED_MAX && f->sched->out_len <= RPC_SCHED_MAX;
	case RPC__FRAME__BODY_ROUTE:
		return strlen(f->route->host) <= RPC_HOST_MAX && strlen(f->route->sandbox) <= RPC_SANDBOX_MAX &&
		       strlen(f->route->stream) <= RPC_STREAM_MAX && strlen(f->route->from) <= RPC_HOST_MAX;
	case RPC__FRAME__BODY_SPAWN:
		return strlen(f->spawn->host) <= RPC_HOST_MAX && strlen(f->spawn->sandbox) <= RPC_SANDBOX_MAX &&
		       f->spawn->manifest[0] && !strchr(f->spawn->manifest, '/') && strlen(f->spawn->manifest) <= 255 &&
		       strcmp(f->spawn->manifest, ".") && strcmp(f->spawn->manifest, "..") && f->spawn->n_args <= 64;
	case RPC__FRAME__BODY_OUTPUT:
		return (f->output->fd == 1 || f->output->fd == 2) && f->output->data.len <= RPC_OUTPUT_MAX;
	case RPC__FRAME__BODY_EXITED:
		return 1;
	case RPC__FRAME__BODY_REPLY:
		return f->reply->error >= 0 && f->reply->error < 4096;
	default:
		return 0;
	}
}

Rpc__Frame *rpc_decode(const uint8_t *body, size_t len, ProtobufCAllocator *a)
{
	if (len > RPC_FRAME_MAX)
		return NULL;
	Rpc__Frame *f = rpc__frame__unpack(a, len, body);
	if (f && !frame_ok(f)) {
		rpc__frame__free_unpacked(f, a);
		f = NULL;
	}
	return f;
}

size_t rpc_encode(const Rpc__Frame *f, uint8_t *buf, size_t cap)
{
	size_t n = rpc__frame__get_packed_size(f);
	if (n > RPC_FRAME_MAX || n + 4 > cap)
		return 0;
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	return 4 + rpc__frame__pack(f, buf + 4);
}
