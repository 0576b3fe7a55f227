/* Hello tickets: one-use nonces for a fork child's hello (tickets.c). */
#ifndef NSD_TICKETS_H
#define NSD_TICKETS_H

#include <stddef.h>
#include <stdint.h>
#include "nsdc.h"

/* A fresh ticket of sandbox_id into nonce. */
void ticket_issue(uint32_t sandbox_id, uint8_t nonce[NSD_NONCE_LEN]);
/* 1 if nonce is a live ticket of sandbox_id, which is then used up; else 0. */
int ticket_take(uint32_t sandbox_id, const uint8_t *nonce, size_t len);

#endif
