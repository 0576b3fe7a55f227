/* The initial process state the loader builds: auxv entries agree with the
 * program itself (headers, entry point, interpreter), AT_RANDOM and the
 * vDSO are there, argv/envp/AT_EXECFN are consistent, the stack is 16-byte
 * aligned and the vDSO's clock agrees with the syscall. */
#include "testutil.h"
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
extern char _start[];

static int count_phdrs(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    if (info->dlpi_name[0] == 0) { /* the main program */
        *(const ElfW(Phdr) **)arg = info->dlpi_phdr;
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const ElfW(Phdr) *phdr = NULL;
    dl_iterate_phdr(count_phdrs, &phdr);
    CHECK(phdr && (unsigned long)phdr == getauxval(AT_PHDR), "AT_PHDR is where the program headers are");
    CHECK(getauxval(AT_PHENT) == sizeof(ElfW(Phdr)), "AT_PHENT");
    CHECK(getauxval(AT_PHNUM) > 0, "AT_PHNUM");
    CHECK(getauxval(AT_ENTRY) == (unsigned long)_start, "AT_ENTRY is _start");
    CHECK(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ");
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    int nonzero = 0;
    for (int i = 0; rnd && i < 16; i++)
        nonzero |= rnd[i];
    CHECK(rnd && nonzero, "AT_RANDOM points at 16 random bytes");
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    CHECK(execfn && execfn[0] == '/', "AT_EXECFN is a path");
    const unsigned char *vdso = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
    CHECK(vdso && !memcmp(vdso, ELFMAG, SELFMAG), "AT_SYSINFO_EHDR is an ELF image (the vDSO)");
    CHECK(getauxval(AT_HWCAP) != 0, "AT_HWCAP");
    CHECK(!strcmp((const char *)getauxval(AT_PLATFORM), "x86_64"), "AT_PLATFORM x86_64");
    CHECK(getauxval(AT_UID) == getuid() && getauxval(AT_GID) == getgid(), "AT_UID/AT_GID match getuid/getgid");
    CHECK(getauxval(AT_SECURE) == 0, "AT_SECURE 0");
#ifdef STATIC_BUILD
    CHECK(getauxval(AT_BASE) == 0, "no interpreter: AT_BASE 0");
#else
    CHECK(getauxval(AT_BASE) != 0, "the interpreter's base in AT_BASE");
#endif
    CHECK(argv[argc] == NULL && environ && getenv("PATH"), "argv and envp terminated, PATH visible");
    struct timespec a, b;
    clock_gettime(CLOCK_REALTIME, &a);
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
    CHECK(b.tv_sec - a.tv_sec <= 1 && b.tv_sec >= a.tv_sec, "vDSO clock agrees with the clock_gettime syscall");
    return tu_done();
}
