/* Unit test of the libos's SHA-512 and nsd MAC (libos/rt/sha512.c), compiled
 * natively: the FIPS 180-4 examples, then HMAC-SHA-512-256 against
 * libsodium's crypto_auth and SHA-512 against crypto_hash_sha512 on random
 * keys and messages of every length up to 1000 and a few larger ones.
 * Prints TAP. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include "sha512.h"

static int n;

static void ok(int cond, const char *name)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, name);
}

static void hex(const uint8_t *p, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static int fips(const char *msg, const char *want)
{
	struct sha512 s;
	uint8_t d[SHA512_LEN];
	char h[2 * SHA512_LEN + 1];
	sha512_init(&s);
	sha512_update(&s, msg, strlen(msg));
	sha512_final(&s, d);
	hex(d, sizeof(d), h);
	return !strcmp(h, want);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	ok(fips("abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	               "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
	   "FIPS 180-4 SHA-512 \"abc\"");
	ok(fips("", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	            "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
	   "SHA-512 of the empty string");
	ok(fips("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
	        "klmnopqrlmnopqrsmnopqrstnopqrstu",
	        "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
	        "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"),
	   "FIPS 180-4 SHA-512 two-block message");

	static uint8_t msg[20000];
	int mac_bad = 0, hash_bad = 0, trials = 0;
	for (size_t len = 0; len < sizeof(msg); len = len < 1000 ? len + 1 : len * 3 + 7, trials++) {
		uint8_t key[32], a[32], b[32], ha[64], hb[64];
		randombytes_buf(key, sizeof(key));
		randombytes_buf(msg, len);
		hmac_sha512_256(a, msg, len, key);
		crypto_auth(b, msg, len, key);
		mac_bad += memcmp(a, b, sizeof(a)) != 0;
		struct sha512 s;
		sha512_init(&s);
		/* Fed in two pieces, so the buffering is exercised too. */
		sha512_update(&s, msg, len / 3);
		sha512_update(&s, msg + len / 3, len - len / 3);
		sha512_final(&s, ha);
		crypto_hash_sha512(hb, msg, len);
		hash_bad += memcmp(ha, hb, sizeof(ha)) != 0;
	}
	char name[96];
	snprintf(name, sizeof(name), "MAC equals crypto_auth on %d random keys/lengths", trials);
	ok(!mac_bad, name);
	snprintf(name, sizeof(name), "SHA-512 equals crypto_hash_sha512 on %d random messages", trials);
	ok(!hash_bad, name);
	printf("1..%d\n", n);
	return 0;
}
