/* Lexical sandbox path logic (fs/path.c): no host calls and no allocation,
 * so it is also compiled natively for the unit tests (tests/unit). Every
 * function writing a path takes the buffer size and fails with
 * -ENAMETOOLONG rather than truncate. */
#ifndef LIBOS_PATH_H
#define LIBOS_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define SANDBOX_PATH_MAX 4096
#define SANDBOX_NAME_MAX 255

/* Makes the canonical form of path: joined to base (itself canonical) when
 * relative, no repeated or trailing '/', no "." and ".." components (".."
 * drops the previous component and stays at "/" at the root). Returns the
 * length or -ENAMETOOLONG. */
long path_canon(const char *base, const char *path, char *out, size_t size);

/* True when path names a directory by its form: a trailing '/' or a final
 * "." or ".." component (Linux then requires a directory). */
bool path_wants_dir(const char *path);

/* 1 when the last component of path is ".", 2 when it is "..", else 0:
 * Linux refuses to remove or rename such a name (canonicalization would
 * otherwise turn "d/." into "d"). */
int path_last_dots(const char *path);

/* When prefix (canonical) is path (canonical) or one of its ancestors,
 * returns the rest of path relative to it ("" when equal); else NULL. */
const char *path_under(const char *prefix, const char *path);

/* Index of the entry of paths[0..n) that is the longest ancestor-or-self of
 * path, or -1 (the mount a path belongs to). */
int path_longest_prefix(const char *const *paths, int n, const char *path);

/* When dir is a strict ancestor of desc, copies into name the component of
 * desc right below dir (the entry a virtual directory lists on the way to a
 * mount point) and returns true. */
bool path_child_toward(const char *dir, const char *desc, char *name, size_t size);

/* Splits canonical path into its parent (written to parent) and returns a
 * pointer to its last component inside path ("" for "/"). */
const char *path_split(const char *path, char *parent, size_t size);

/* Where a symlink found at canonical link_path with contents target leads,
 * with the still unresolved rest appended: absolute targets start at the
 * sandbox root, relative ones at the link's directory. Returns the length
 * of the canonical result or -ENAMETOOLONG. */
long path_splice(const char *link_path, const char *target, const char *rest, char *out,
                 size_t size);

#endif
