/* The RPC stream's framing and its checked decoder (libos/rpc_wire.c),
 * shared by the libos and the fuzz target (tests/rpc/rpc_fuzz.c): needs
 * only the protobuf-c runtime. proto/rpc.proto describes the protocol. */
#ifndef LIBOS_RPC_WIRE_H
#define LIBOS_RPC_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "rpc.pb-c.h"

#define RPC_FRAME_MAX 16384 /* a frame's body, in bytes */
#define RPC_NONCE_LEN 32
#define RPC_MAC_LEN 32
#define RPC_SANDBOX_MAX 64
#define RPC_HOST_MAX 64 /* a host name (struct utsname's nodename) */
#define RPC_STREAM_MAX 107 /* a unix socket's path */
#define RPC_OUTPUT_MAX 8192 /* an Output's data (paldaemon's spawn) */
#define RPC_INFO_LEN 128 /* sizeof(siginfo_t) */
#define RPC_SCHED_MAX 512 /* a Sched's data and out_len: a cpu mask of 4096 cpus */

/* The body length a 4-byte header announces; -1 when it is over the limit. */
long rpc_frame_len(const uint8_t hdr[4]);
/* A body decoded and checked (known kind, every field within its bounds);
 * NULL otherwise. Free with rpc__frame__free_unpacked(f, a). */
Rpc__Frame *rpc_decode(const uint8_t *body, size_t len, ProtobufCAllocator *a);
/* Header and body of f into buf; the total length, 0 when over the limit. */
size_t rpc_encode(const Rpc__Frame *f, uint8_t *buf, size_t cap);

#endif
