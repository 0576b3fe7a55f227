/*
 * nsd --embedded: the private nsd that `graphene run` starts when no nsd
 * answers at the default address. It lives in the runtime directory (socket,
 * journal, a lock file), tells its launcher through a pipe once it listens,
 * and when its last sandbox has ended it removes everything it made and
 * exits. The lock file serializes the start and the end of embedded nsds, so
 * a starting nsd never opens a journal that an ending one is removing.
 */
#ifndef NSD_EMBEDDED_H
#define NSD_EMBEDDED_H

#include <stdint.h>
#include "server.h"

/* With no sandbox and no client since its start, it ends after this long. */
#define EMBEDDED_IDLE_MS 5000

/* Before nsd_init: creates the runtime directory (the socket's), takes the
 * lock. 1 if an nsd already answers on the socket (nothing to do), 0 to go
 * on, -1 on error (printed). */
int embedded_start(struct nsd *n);
/* Listening: tells the launcher and lets other nsds start or end. */
void embedded_leading(struct nsd *n);
/* From the tick, while leading with no connection: 1 if the last sandbox has
 * ended and the lock is taken (the caller stops serving). */
int embedded_should_end(struct nsd *n, int64_t now);
/* After nsd_fini: removes the journal, its -wal and -shm, the lock file and
 * the directory if this nsd created it. */
void embedded_cleanup(struct nsd *n);

#endif
