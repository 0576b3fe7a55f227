/* The one syscall table. Handlers live in sys/, grouped by subsystem;
 * the file system's entries come from sys/fs_table.inc. */
#include <asm/unistd.h>
#include "syscall.h"

#define E(name, restart) [__NR_##name] = { sys_##name, restart }

/* Declarations of every handler named below. */
#define X(name, restart) SYS(name);
#include "sys/core_table.inc"
#include "sys/fs_table.inc"
#include "sys/identity_table.inc"
#include "sys/sysv_table.inc"
#undef X

#define X(name, restart) E(name, restart),
const struct syscall_desc syscall_table[SYSCALL_MAX] = {
#include "sys/core_table.inc"
#include "sys/fs_table.inc"
#include "sys/identity_table.inc"
#include "sys/sysv_table.inc"
};
#undef X

const char *const syscall_names[SYSCALL_MAX] = {
#include "syscall_names.inc"
};
