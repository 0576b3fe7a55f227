/* inotify on paths in the mounts. The watch is the host's, on the object
 * the libos resolved: the path is resolved in the sandbox, the object
 * opened O_PATH beneath its mount, and the host watches it through that
 * fd's /proc/self/fd link, so a symlink raced into place is not followed
 * out of the sandbox. Events carry only names relative to a watched
 * directory and the host's fd is the app's, so read passes through. */
#include <linux/fcntl.h>
#include <linux/inotify.h>
#include "fdrecord.h"
#include "fs.h"
#include "syscall.h"
#include "../host/host.h"

SYS(inotify_init1)
{
	return fd_install(host(__NR_inotify_init1, c->a[0]), FD_OTHER, NULL, NULL);
}

SYS(inotify_init)
{
	return fd_install(host(__NR_inotify_init1, 0), FD_OTHER, NULL, NULL);
}

SYS(inotify_add_watch)
{
	int fd = (int)c->a[0];
	uint32_t mask = (uint32_t)c->a[2];
	if (!fd_app_valid(fd))
		return -EBADF;
	struct resolved r;
	int e = fs_resolve(AT_FDCWD, SYSCALL_ARG(1, const char *), mask & IN_DONT_FOLLOW ? 0 : RES_FOLLOW, &r);
	if (e < 0)
		return e;
	long ret;
	if (r.virt) {
		ret = -EACCES; /* /proc and /dev are made up: nothing there changes */
	} else if (!r.exists) {
		ret = -ENOENT;
	} else {
		long ofd = fs_host_open(&r, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
		ret = ofd;
		if (ofd >= 0) {
			char link[HOST_FD_LINK_MAX];
			/* the link itself must be followed: the libos already
			 * applied IN_DONT_FOLLOW when it opened the object */
			ret = host(__NR_inotify_add_watch, fd, host_fd_link(link, (int)ofd), mask & ~IN_DONT_FOLLOW);
			host_close(ofd);
		}
	}
	fs_release(&r);
	return ret;
}

SYS(inotify_rm_watch)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	return host(__NR_inotify_rm_watch, c->a[0], c->a[1]);
}
