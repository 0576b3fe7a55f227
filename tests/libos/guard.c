/* Run under graphene only: the app may not unmap, re-protect, map over or
 * discard libos memory, wherever it is. Each call below covers the whole
 * user address space (natively it would destroy the process); the libos
 * must refuse it and keep running. Prints one line per call. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define LO ((void *)0x10000UL)
#define LEN (0x7ffffff00000UL - 0x10000UL)

static void report(const char *what, int failed)
{
    printf("%s: %s\n", what, failed ? strerror(errno) : "allowed");
}

int main(void)
{
    report("munmap", munmap(LO, LEN) != 0);
    report("mprotect", mprotect(LO, LEN, PROT_NONE) != 0);
    report("mmap MAP_FIXED", mmap(LO, LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED);
    report("madvise DONTNEED", madvise(LO, LEN, MADV_DONTNEED) != 0);
    printf("still running\n");
    return 0;
}
