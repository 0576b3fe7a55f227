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
 *   entrypoint=/sandbox/path
 *   start_dir=/sandbox/path
 *   stack_size=BYTES
 *   brk_max=BYTES
 *   fast_path=0|1          sys.syscall_fast_path (absent: 1)
 *   manifest=/host/path/of/manifest   (for messages only)
 *   arg=STRING             repeated, argv[0] first
 *   env=NAME=VALUE         repeated
 *   mount=TYPE PATH URI    repeated; TYPE is "chroot" (later: "tmpfs"),
 *                          PATH the sandbox path, URI the host path; the three
 *                          fields are separated by one NUL-free '\x1f' byte each.
 */
#ifndef GRAPHENE_CONFIG_BLOB_H
#define GRAPHENE_CONFIG_BLOB_H

#define CONFIG_BLOB_VERSION 1
#define CONFIG_FD_ARG "--config-fd="
#define CONFIG_MOUNT_SEP '\x1f'

enum log_level { LOG_ERROR = 0, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_TRACE };

#endif
