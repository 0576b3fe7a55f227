/* The app's part of the address space: all that is neither the libos's
 * (image, arena, fast path trampoline) nor the kernel's own mappings. */
#ifndef LIBOS_APPSPACE_H
#define LIBOS_APPSPACE_H

#include <stdint.h>

/* Notes where the kernel's mappings ([vdso], [vvar]...) are, once: at
 * the first fork, so that the children know it too. */
void appspace_prepare(void);
/* execve, once the other threads are gone: unmaps everything of the old
 * program. */
void appspace_unmap_all(void);

/* The app's mappings are about to change (mmap, munmap, mprotect, mremap,
 * brk, shmat, shmdt, execve): what was learnt of them is stale. */
void appspace_changed(void);
/* Changes the same while nothing changed. */
uint64_t appspace_generation(void);

#endif
