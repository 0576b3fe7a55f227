/* The start-up configuration the launcher (bin/graphene) hands to the libos.
 *
 * The launcher parses and validates the TOML manifest (glibc side, with good
 * error messages); the freestanding libos only has to read this flat blob.
 * It is passed as an inherited, sealed memfd whose number is given to the
 * libos as argv[1] ("--config-fd=N").
 *
 * Format: a sequence of NUL-terminated records "key=value". Values may hold
 * any byte but NUL, so argv and environment strings need no escaping.
 * Records, in this order:
 *   version=1
 *   log_level=N            0 error, 1 warning, 2 info, 3 debug, 4 trace
 *   log_fd=N               only with loader.log_file: the launcher opened it
 *   entrypoint=/sandbox/path
 *   start_dir=/sandbox/path
 *   stack_size=BYTES       only when the manifest sets sys.stack.size
 *   brk_max=BYTES
 *   network=none|host      sys.network: IPv4/IPv6 sockets refused or allowed
 *   net_rules=1            sys.net given: TCP bind/connect only to these ports:
 *   net_bind=PORT          repeated
 *   net_connect=PORT       repeated
 *   fast_path=0|1          sys.syscall_fast_path (absent: 1)
 *   manifest=/host/path/of/manifest   (for messages only)
 *   hostname=NAME          only when the manifest sets sys.hostname
 *   uid=N, gid=N           the app's initial ids (loader.uid/gid, else the launcher's)
 *   rlimit_as=N            optional: the app's initial RLIMIT_AS (sys.max_memory
 *                          without a cgroup), kept by the libos
 *   idmap_base=N           optional: the mounts are idmapped, host id N + i
 *                          is id i on disk, for i < IDMAP_COUNT (a file of
 *                          root shows as N); the app sees i
 *   devpts=1               optional: the launcher mounted a devpts instance
 *                          of the sandbox's own at /dev/pts (ptys inside)
 *   arg=STRING             repeated, argv[0] first
 *   env=NAME=VALUE         repeated
 *   mount=TYPE PATH URI RO FD  repeated; TYPE is "chroot" (later: "tmpfs"),
 *                          PATH the sandbox path, URI the host path (for
 *                          messages and translating host paths back), RO
 *                          "ro" (read-only) or "rw", FD the mount's root,
 *                          opened by the launcher (tools/confine.c); the five
 *                          fields are separated by one NUL-free '\x1f' byte
 *                          each.
 *   nsd=/host/path/of/nsd.sock   the namespace leader's unix socket, or
 *                          its raft group's (comma-separated, one directory)
 *   sandbox=NAME           the sandbox this picoprocess belongs to
 *   secret=HEX             the sandbox secret, CONFIG_SECRET_LEN bytes as
 *                          2*CONFIG_SECRET_LEN lowercase hex digits: the key of
 *                          the MAC with which the picoprocess proves its
 *                          sandbox to nsd (nsd/client/nsdc.h). The three are
 *                          required. The blob
 *                          is the only place the app could find the secret,
 *                          so the libos closes the memfd before the app runs.
 */
#ifndef GRAPHENE_CONFIG_BLOB_H
#define GRAPHENE_CONFIG_BLOB_H

#define CONFIG_BLOB_VERSION 1
#define CONFIG_FD_ARG "--config-fd="
/* ...and the second, the fd of the libos image, read once by the libos to
 * map its copy (tools/graphene.c). */
#define IMAGE_FD_ARG "--image-fd="
#define CONFIG_MOUNT_SEP '\x1f'
#define IDMAP_COUNT 65536
#define CONFIG_SECRET_LEN 32

enum log_level { LOG_ERROR = 0, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_TRACE };

#endif
