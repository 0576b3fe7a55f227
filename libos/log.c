#include "log.h"
#include "host/host.h"
#include "rt.h"
#include "fdtable.h"
#include <asm/fcntl.h>
#include <linux/fcntl.h>

int log_level = LOG_WARNING;
static int log_fd = 2;

void log_init(int level)
{
	log_level = level;
	/* Keep a private copy of stderr so the app closing fd 2 does not mute us. */
	if (log_fd == 2 && libos_fd_base > 0) {
		int fd = fd_make_private((int)host(__NR_dup, 2));
		if (fd >= 0)
			log_fd = fd;
	}
}

int log_to_fd(int app_fd)
{
	long fd = fd_make_private(app_fd);
	if (fd < 0) {
		log_error("cannot keep the log file's fd %d: error %ld", app_fd, -fd);
		return (int)fd;
	}
	if (log_fd != 2)
		host_close(log_fd);
	log_fd = (int)fd;
	return 0;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "[libos %d] %s", (int)host_gettid(), prefix);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	host_write(log_fd, buf, n);
}

void log_printf(int level, const char *fmt, ...)
{
	static const char *const names[] = { "error: ", "warning: ", "", "debug: ", "" };
	va_list ap;
	va_start(ap, fmt);
	vlog(names[level], fmt, ap);
	va_end(ap);
}

void libos_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap);
	va_end(ap);
	host_exit_group(70);
}
