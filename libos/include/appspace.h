/* The app's part of the address space: all that is neither the libos's
 * (image, arena, fast path trampoline) nor the kernel's own mappings. */
#ifndef LIBOS_APPSPACE_H
#define LIBOS_APPSPACE_H

/* At start-up, before the app is loaded: notes where the kernel's
 * mappings ([vdso], [vvar]...) are. */
void appspace_init(void);
/* execve: unmaps everything of the old program. */
void appspace_unmap_all(void);

#endif
