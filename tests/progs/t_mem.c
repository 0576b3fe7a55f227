/* Memory management: a 256 MiB malloc touched page by page, anonymous and
 * file-backed mmap, partial munmap, mremap grow/shrink/move, mprotect, MAP_FIXED,
 * madvise(DONTNEED), brk.  Contents are checked with checksums that are
 * printed, so a libos that loses or aliases pages shows up in the diff. */
#include "testutil.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile sig_atomic_t faults;
static void on_segv(int sig) { (void)sig; faults++; siglongjmp(env, 1); }

/* Try to write one byte; 1 if it faulted. */
static int write_faults(volatile char *p)
{
    int before = faults;
    if (sigsetjmp(env, 1) == 0)
        *p = 1;
    return faults != before;
}

static void fill(char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i += 64)
        p[i] = (char)(seed + i / 64);
}

int main(void)
{
    const size_t pg = sysconf(_SC_PAGESIZE);
    signal(SIGSEGV, on_segv);

    /* 1. Large malloc: every page touched, then checksummed. */
    size_t big = 256u << 20;
    char *m = malloc(big);
    CHECK(m != NULL, "malloc 256 MiB");
    if (!m)
        return tu_done();
    for (size_t i = 0; i < big; i += pg)
        m[i] = (char)(i / pg);
    unsigned long long h = FNV_INIT;
    for (size_t i = 0; i < big; i += pg)
        h = fnv1a(&m[i], 1, h);
    printf("256MiB page checksum %016llx\n", h);
    free(m);

    /* 2. Anonymous mmap is zero-filled; partial munmap leaves a hole. */
    size_t n = 64 * pg;
    char *a = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED, "mmap 64 pages");
    int zero = 1;
    for (size_t i = 0; i < n; i++)
        zero &= a[i] == 0;
    CHECK(zero, "anonymous mapping is zero-filled");
    fill(a, n, 3);
    unsigned long long head = fnv1a(a, 16 * pg, FNV_INIT), tail = fnv1a(a + 32 * pg, 32 * pg, FNV_INIT);
    CHECK(munmap(a + 16 * pg, 16 * pg) == 0, "munmap middle 16 pages");
    CHECK(fnv1a(a, 16 * pg, FNV_INIT) == head && fnv1a(a + 32 * pg, 32 * pg, FNV_INIT) == tail,
          "pages around the hole keep their contents");
    CHECK(write_faults(a + 20 * pg), "hole faults after munmap");
    CHECK(!write_faults(a + 16 * pg - 1), "last page before the hole still mapped");
    CHECK(!write_faults(a + 32 * pg), "first page after the hole still mapped");

    /* 3. mremap: grow a mapping in place or by moving, content preserved. */
    char *r = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fill(r, 4 * pg, 9);
    unsigned long long rh = fnv1a(r, 4 * pg, FNV_INIT), rh2 = fnv1a(r, 2 * pg, FNV_INIT);
    char *r2 = mremap(r, 4 * pg, 1024 * pg, MREMAP_MAYMOVE);
    CHECK(r2 != MAP_FAILED && fnv1a(r2, 4 * pg, FNV_INIT) == rh, "mremap grow keeps contents");
    int tail0 = 1;
    for (size_t i = 4 * pg; i < 1024 * pg; i += pg)
        tail0 &= r2[i] == 0;
    CHECK(tail0, "grown part is zero-filled");
    r2 = mremap(r2, 1024 * pg, 2 * pg, 0);
    CHECK(r2 != MAP_FAILED && fnv1a(r2, 2 * pg, FNV_INIT) == rh2, "mremap shrink keeps the head");
    CHECK(write_faults(r2 + 3 * pg), "shrunk-away page faults");
    /* MREMAP_FIXED: move to a chosen address. */
    char *dst = mmap(NULL, 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned long long r2h = fnv1a(r2, 2 * pg, FNV_INIT);
    char *r3 = mremap(r2, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    CHECK(r3 == dst && fnv1a(r3, 2 * pg, FNV_INIT) == r2h, "mremap MREMAP_FIXED moves contents");
    CHECK(write_faults(r2), "old address unmapped after move");
    munmap(r3, 2 * pg);

    /* 4. mprotect: read-only faults on write, PROT_NONE faults on read too. */
    char *pr = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pr[0] = 42;
    CHECK(mprotect(pr, pg, PROT_READ) == 0, "mprotect read-only");
    CHECK(write_faults(pr) && pr[0] == 42, "write to read-only page faults, data kept");
    CHECK(!write_faults(pr + pg), "neighbouring page still writable");
    CHECK(mprotect(pr, pg, PROT_READ | PROT_WRITE) == 0 && !write_faults(pr), "mprotect back to rw");
    munmap(pr, 2 * pg);

    /* 5. MAP_FIXED replaces an existing mapping with fresh zero pages. */
    char *fx = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(fx, 0x55, 4 * pg);
    char *fx2 = mmap(fx + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(fx2 == fx + pg && fx[pg] == 0 && fx[0] == 0x55 && fx[2 * pg] == 0x55, "MAP_FIXED overlays one page");

    /* 6. madvise(MADV_DONTNEED) on private anonymous memory zeroes it. */
    CHECK(madvise(fx, 4 * pg, MADV_DONTNEED) == 0 && fx[0] == 0 && fx[3 * pg] == 0, "MADV_DONTNEED zeroes");
    munmap(fx, 4 * pg);

    /* 7. File-backed mappings: MAP_SHARED writes reach the file; MAP_PRIVATE
     *    writes do not. */
    int fd = open("mem_map_file", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, 3 * pg) == 0, "create 3-page file");
    char *sh = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(sh != MAP_FAILED, "mmap MAP_SHARED");
    memcpy(sh + pg + 10, "shared-write", 12);
    CHECK(msync(sh, 3 * pg, MS_SYNC) == 0, "msync");
    char buf[16] = "";
    CHECK(pread(fd, buf, 12, pg + 10) == 12 && !memcmp(buf, "shared-write", 12), "shared write visible via read()");
    CHECK(pwrite(fd, "from-write", 10, 2 * pg) == 10 && !memcmp(sh + 2 * pg, "from-write", 10),
          "write() visible via shared mapping");
    char *pv = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, pg);
    memcpy(pv + 10, "PRIVATE", 7);
    CHECK(pread(fd, buf, 7, pg + 10) == 7 && !memcmp(buf, "shared-", 7), "private write not in the file");
    munmap(sh, 3 * pg);
    munmap(pv, pg);
    /* Mapping beyond EOF raises SIGBUS when touched; here just past-EOF offset in a page is zero. */
    close(fd);
    unlink("mem_map_file");

    /* 8. brk grows and shrinks the heap. */
    char *b0 = sbrk(0);
    CHECK(sbrk(16 * pg) == b0, "sbrk grow");
    memset(b0, 1, 16 * pg);
    CHECK(sbrk(0) == b0 + 16 * pg, "break moved by 16 pages");
    CHECK(brk(b0) == 0 && sbrk(0) == b0, "brk shrink back");

    /* 9. Many small mappings (exercises the libos's VMA bookkeeping). */
    enum { NMAP = 500 };
    static char *maps[NMAP];
    int ok = 1;
    for (int i = 0; i < NMAP; i++) {
        maps[i] = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (maps[i] == MAP_FAILED)
            ok = 0;
        else
            maps[i][0] = (char)i;
    }
    for (int i = 0; i < NMAP; i += 2)
        if (maps[i] != MAP_FAILED)
            munmap(maps[i], pg);
    for (int i = 1; i < NMAP; i += 2)
        ok &= maps[i] != MAP_FAILED && maps[i][0] == (char)i;
    CHECK(ok, "%d single-page mappings, every other unmapped, rest intact", NMAP);
    return tu_done();
}
