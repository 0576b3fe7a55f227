/*
 * Hello tickets (nsd.proto Ticket): one-use nonces a picoprocess gets in
 * advance for the connection of its next fork child, so that the child's
 * hello (a MAC over the ticket instead of the server's fresh nonce) and its
 * registration go out at once, with no round trip to nsd in front of the
 * app. Kept in memory only: a ticket is good for one hello of its sandbox
 * within TICKET_TTL_MS; after a failover the new leader does not know it and
 * the child says hello the ordinary way.
 */
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "auth.h"
#include "tickets.h"

#define TICKETS 1024 /* the oldest is given up for a new one */
#define TICKET_TTL_MS 60000

static struct ticket {
    uint8_t nonce[NSD_NONCE_LEN];
    uint32_t sandbox_id;
    int64_t expires_ms;
} tickets[TICKETS];
static unsigned next_ticket;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A ticket's first two bytes name its slot, so that a hello's is checked
 * against one entry, not all (a fork's hello compared 1024 nonces in
 * constant time: ~2% of nsd's CPU in a fork loop); the other 22 bytes are
 * random. */
void ticket_issue(uint32_t sandbox_id, uint8_t nonce[NSD_NONCE_LEN])
{
    unsigned slot = next_ticket++ % TICKETS;
    struct ticket *t = &tickets[slot];
    auth_random(t->nonce, sizeof t->nonce);
    t->nonce[0] = (uint8_t)slot;
    t->nonce[1] = (uint8_t)(slot >> 8);
    t->sandbox_id = sandbox_id;
    t->expires_ms = now_ms() + TICKET_TTL_MS;
    memcpy(nonce, t->nonce, NSD_NONCE_LEN);
}

int ticket_take(uint32_t sandbox_id, const uint8_t *nonce, size_t len)
{
    if (len != NSD_NONCE_LEN)
        return 0;
    unsigned slot = nonce[0] | (unsigned)nonce[1] << 8;
    if (slot >= TICKETS)
        return 0;
    struct ticket *t = &tickets[slot];
    if (t->expires_ms > now_ms() && t->sandbox_id == sandbox_id && !sodium_memcmp(t->nonce, nonce, len)) {
        t->expires_ms = 0;
        return 1;
    }
    return 0;
}
