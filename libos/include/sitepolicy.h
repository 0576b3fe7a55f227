/* What the libos may ask of the host where a call can reach outside the
 * picoprocess: ioctl requests, socket families and types, clone flags. One
 * policy serves both layers: the emulated calls check it in C, and the
 * seccomp filter (seccomp.c) enforces the same tables at the libos's own
 * syscall site, so an app that jumps there gets no more. */
#ifndef LIBOS_SITEPOLICY_H
#define LIBOS_SITEPOLICY_H

#include <linux/sched.h>
#include <stdbool.h>

/* Socket constants that only glibc's headers name. */
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_PACKET 17
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK 04000      /* O_NONBLOCK */
#define SOCK_CLOEXEC 02000000    /* O_CLOEXEC */

/* The clone flags the libos passes to the host: a fork (exit signal,
 * tid words, TLS) and a thread (VM, FS, FILES, SIGHAND, THREAD, SYSVSEM).
 * Never a namespace, CLONE_PARENT (a sibling outside the sandbox),
 * CLONE_PTRACE/UNTRACED, CLONE_PIDFD or CLONE_IO. */
#define CLONE_HOST_FLAGS (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
                          CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | \
                          CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED)
#define CLONE_NAMESPACES (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
                          CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)

/* 0 when the app may clone with these flags (CLONE_VFORK is also fine: the
 * libos turns a vfork into a fork), else what it gets: EPERM for a new
 * namespace (as Linux for a process without CAP_SYS_ADMIN), EINVAL for
 * the rest. */
long clone_flags_check(unsigned long flags);
/* 0 or -errno as Linux would answer an unprivileged process on a host with
 * only unix and (with sys.network = "host") IPv4/IPv6 sockets. */
long socket_check(int family, int type, int protocol);
/* True for the ioctl requests the libos passes to the host. */
bool ioctl_allowed(unsigned int req);

#endif
