/* The sandbox's host and domain names (sys/uts.c), and the made-up
 * identities of its namespaces for /proc/self/ns. */
#ifndef LIBOS_UTS_H
#define LIBOS_UTS_H

#include <stdint.h>

#define UTS_NAME_LEN 65 /* with the NUL, as in struct new_utsname */

/* At start-up: the names from the manifest (sys.hostname) or the host. */
int uts_init(void);
/* Copies the current names (each UTS_NAME_LEN bytes; either may be NULL). */
void uts_names(char *nodename, char *domainname);
/* The inode number /proc/self/ns shows for namespace kind i (0..15): made
 * up once per sandbox, the same in every picoprocess of it. */
uint32_t uts_ns_ino(unsigned i);

#endif
