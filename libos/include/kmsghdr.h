/* The kernel's sendmsg/recvmsg ABI; the UAPI headers leave these to the C
 * library. */
#ifndef LIBOS_KMSGHDR_H
#define LIBOS_KMSGHDR_H

#include <stddef.h>
#include <linux/uio.h>

#define SOL_SOCKET 1
#define SCM_RIGHTS 1

struct app_msghdr {
	void *msg_name;
	int msg_namelen;
	struct iovec *msg_iov;
	size_t msg_iovlen;
	void *msg_control;
	size_t msg_controllen;
	int msg_flags;
};

struct app_cmsghdr {
	size_t cmsg_len;
	int cmsg_level;
	int cmsg_type;
	unsigned char data[];
};

#endif
