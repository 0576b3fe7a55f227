/*
 * Who may talk to nsd. A picoprocess proves membership of its sandbox by a
 * MAC, keyed with the sandbox secret, over the connection's fresh nonce, its
 * client id and the sandbox name (challenge-response: the secret never
 * crosses the wire and a recorded hello cannot be replayed). Admin clients
 * (graphenectl) must be on the unix socket with our uid or root.
 */
#ifndef NSD_AUTH_H
#define NSD_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include "journal.h"
#include "nsdc.h"

void auth_random(void *buf, size_t n);
/* 0 and *sandbox_id, or an errno with a reason in why. */
int auth_pico(struct journal *j, const Nsd__Hello *h, const uint8_t *nonce, uint32_t *sandbox_id,
              const char **why);
/* 0 if the peer of the unix socket fd may administer nsd. */
int auth_admin_peer(int fd, const char **why);

#endif
