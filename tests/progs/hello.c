/* Minimal program: peak RSS and start-up time baseline for the benchmarks. */
#include <stdio.h>

int main(void)
{
    puts("hello, world");
    return 0;
}
