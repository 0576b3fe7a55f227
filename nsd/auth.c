#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>
#include "auth.h"

void auth_random(void *buf, size_t n)
{
    randombytes_buf(buf, n);
}

int auth_pico(struct journal *j, const Nsd__Hello *h, const uint8_t *nonce, uint32_t *sandbox_id,
              const char **why)
{
    if (h->client_id.len != NSD_CLIENT_ID_LEN || h->mac.len != NSD_MAC_LEN ||
        strlen(h->sandbox) > NSD_NAME_MAX) {
        *why = "malformed hello";
        return EPROTO;
    }
    sqlite3_stmt *st = jq(j, "SELECT id, secret FROM sandboxes WHERE name = ?", "s", h->sandbox);
    if (!st) {
        *why = "journal error";
        return EIO;
    }
    int rc = sqlite3_step(st), err = EACCES;
    *why = "bad sandbox or MAC";
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == NSD_SECRET_LEN) {
        uint8_t in[NSD_MAC_INPUT_MAX];
        size_t n = nsdc_mac_input(in, nonce, h->client_id.data, h->sandbox);
        if (!crypto_auth_verify(h->mac.data, in, n, sqlite3_column_blob(st, 1))) {
            *sandbox_id = sqlite3_column_int64(st, 0);
            err = 0;
        }
    }
    sqlite3_reset(st);
    return err;
}

int auth_admin_peer(int fd, const char **why)
{
    struct ucred cr;
    socklen_t len = sizeof cr;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) {
        *why = "admin needs the local unix socket";
        return EACCES;
    }
    if (cr.uid != 0 && cr.uid != geteuid()) {
        *why = "admin peer uid is neither root nor nsd's";
        return EACCES;
    }
    return 0;
}
