/* A library t_fastpath dlopens after start-up: its syscall site is mapped
 * late, and the fast path must learn it like any other. */
long fpdl_getppid(void);

long fpdl_getppid(void)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "0"(110L /* getppid */) : "rcx", "r11", "memory");
    return r;
}
