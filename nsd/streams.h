/* The directory of the picoprocesses' RPC stream sockets (libos/rpc.c),
 * "rpc" beside nsd's unix socket: nsd makes it, since a picoprocess's uid
 * may not write nsd's directory. */
#ifndef NSD_STREAMS_H
#define NSD_STREAMS_H

/* Makes (or takes over) <dir of sock_path>/rpc: ours, 01733 (any uid may
 * add a socket; only its owner may remove it). 0 or -1 (logged). */
int streams_dir_make(const char *sock_path);
/* A process that was registered with the stream address path has ended:
 * removes the socket file it left there (listen_at's fallback) if it died without removing it itself
 * (SIGKILL, a crash), that is a socket in that directory that nobody
 * listens on. Anything else at path is left alone. */
void streams_gone(const char *path);
/* A connection to the RPC listener of host process host_pid at the
 * abstract name of its stream address path (a NUL, then path), path a
 * plain name in that directory: the fd (blocking), -EPERM for any other
 * path, -ECONNREFUSED when no listener there is host_pid's (none yet, or
 * another process holds the name), or -errno. */
int streams_connect(const char *path, int host_pid);
/* Removes it with what killed picoprocesses left in it. */
void streams_dir_remove(const char *sock_path);

#endif
