/* Native driver for the libos's lexical path logic (libos/fs/path.c): one
 * operation per invocation, result on stdout, so tests/unit/path.t can keep
 * its cases as a readable table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "path.h"

static int usage(void)
{
	fprintf(stderr, "usage: pathtool canon BASE PATH | wantsdir PATH | under PREFIX PATH |\n"
	                "  longest PATH MOUNT... | child DIR DESC | split PATH |\n"
	                "  splice LINK TARGET REST\n");
	return 2;
}

static void print_len(long r, const char *buf)
{
	if (r < 0)
		printf("error %ld\n", -r);
	else
		printf("%s\n", buf);
}

int main(int argc, char **argv)
{
	char buf[SANDBOX_PATH_MAX];
	if (argc < 3)
		return usage();
	const char *op = argv[1];
	if (!strcmp(op, "canon") && argc == 4) {
		print_len(path_canon(argv[2], argv[3], buf, sizeof(buf)), buf);
	} else if (!strcmp(op, "canon-small") && argc == 5) {
		/* canon into a buffer of the given size, to test the length checks */
		size_t size = (size_t)atoi(argv[4]);
		print_len(path_canon(argv[2], argv[3], buf, size), buf);
	} else if (!strcmp(op, "wantsdir") && argc == 3) {
		printf("%s\n", path_wants_dir(argv[2]) ? "yes" : "no");
	} else if (!strcmp(op, "dots") && argc == 3) {
		printf("%d\n", path_last_dots(argv[2]));
	} else if (!strcmp(op, "under") && argc == 4) {
		const char *r = path_under(argv[2], argv[3]);
		printf("%s\n", r ? (*r ? r : "(self)") : "(no)");
	} else if (!strcmp(op, "longest") && argc >= 3) {
		int i = path_longest_prefix((const char *const *)argv + 3, argc - 3, argv[2]);
		printf("%s\n", i < 0 ? "(none)" : argv[3 + i]);
	} else if (!strcmp(op, "child") && argc == 4) {
		printf("%s\n", path_child_toward(argv[2], argv[3], buf, sizeof(buf)) ? buf : "(no)");
	} else if (!strcmp(op, "split") && argc == 3) {
		const char *last = path_split(argv[2], buf, sizeof(buf));
		printf("%s|%s\n", buf, last);
	} else if (!strcmp(op, "splice") && argc == 5) {
		print_len(path_splice(argv[2], argv[3], argv[4], buf, sizeof(buf)), buf);
	} else {
		return usage();
	}
	return 0;
}
