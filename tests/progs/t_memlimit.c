/* RLIMIT_AS and RLIMIT_DATA as Linux applies them to mmap, mremap and brk
 * (issue 9 item 6). The limits are far from the program's own size, so the
 * answers do not depend on how much the loader or libc mapped. */
#include "testutil.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define M (1ul << 20)

static const char *try_map(size_t len, int prot, int flags)
{
    void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return strerrorname_np(errno);
    munmap(p, len);
    return "ok";
}

int main(void)
{
    struct rlimit rl = { 1024 * M, 1024 * M };
    CHECK(setrlimit(RLIMIT_AS, &rl) == 0, "RLIMIT_AS 1G");
    CHECK(getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur == 1024 * M, "getrlimit AS answers 1G");
    printf("mmap 2G under AS 1G: %s\n", try_map(2048 * M, PROT_READ, MAP_PRIVATE | MAP_NORESERVE));
    printf("mmap 256M under AS 1G: %s\n", try_map(256 * M, PROT_READ | PROT_WRITE, MAP_PRIVATE));
    void *p = mmap(NULL, 256 * M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *q = p == MAP_FAILED ? MAP_FAILED : mremap(p, 256 * M, 1536 * M, MREMAP_MAYMOVE);
    printf("mremap 256M -> 1.5G under AS 1G: %s\n", q == MAP_FAILED ? strerrorname_np(errno) : "ok");
    munmap(q == MAP_FAILED ? p : q, q == MAP_FAILED ? 256 * M : 1536 * M);
    rl.rlim_cur = 2048 * M;
    printf("soft AS above hard: %s\n", setrlimit(RLIMIT_AS, &rl) ? strerrorname_np(errno) : "ok");

    rl = (struct rlimit){ 64 * M, 64 * M };
    CHECK(setrlimit(RLIMIT_DATA, &rl) == 0, "RLIMIT_DATA 64M");
    printf("private writable mmap 128M under DATA 64M: %s\n", try_map(128 * M, PROT_READ | PROT_WRITE, MAP_PRIVATE));
    printf("read-only mmap 128M under DATA 64M: %s\n", try_map(128 * M, PROT_READ, MAP_PRIVATE));
    printf("shared writable mmap 128M under DATA 64M: %s\n", try_map(128 * M, PROT_READ | PROT_WRITE, MAP_SHARED));
    printf("sbrk 128M under DATA 64M: %s\n", sbrk(128 * M) == (void *)-1 ? strerrorname_np(errno) : "ok");
    printf("sbrk 1M under DATA 64M: %s\n", sbrk(1 * M) == (void *)-1 ? strerrorname_np(errno) : "ok");
    return tu_failures ? 1 : 0;
}
