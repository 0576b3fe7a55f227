/* SHA-512 and the MAC of the nsd hello: libsodium's crypto_auth, which is
 * HMAC-SHA-512 truncated to 32 bytes (rt/sha512.c). No host calls and no
 * allocation, so the unit test compiles it natively next to libsodium. */
#ifndef LIBOS_SHA512_H
#define LIBOS_SHA512_H

#include <stddef.h>
#include <stdint.h>

#define SHA512_LEN 64
#define SHA512_BLOCK 128

struct sha512 {
	uint64_t h[8];
	uint64_t len; /* bytes hashed so far */
	uint8_t buf[SHA512_BLOCK];
	size_t used;
};

void sha512_init(struct sha512 *s);
void sha512_update(struct sha512 *s, const void *data, size_t n);
void sha512_final(struct sha512 *s, uint8_t out[SHA512_LEN]);
/* crypto_auth: HMAC-SHA-512 with a 32-byte key, first 32 bytes of the tag. */
void hmac_sha512_256(uint8_t out[32], const void *msg, size_t n, const uint8_t key[32]);

#endif
