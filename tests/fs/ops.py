# File operations whose results must be the same natively and in the
# sandbox (run from inside a scratch directory; relative paths only).
import errno, os, socket, stat

def t(name, f):
    try:
        r = f()
    except OSError as e:
        r = "ERR " + errno.errorcode.get(e.errno, str(e.errno))
    print(name, r)

os.makedirs("d/e/f")
with open("d/e/f/x.txt", "w") as fh:
    fh.write("data\n")
t("listdir", lambda: sorted(os.listdir("d/e/f")))
t("rename", lambda: (os.rename("d/e/f/x.txt", "d/y.txt"), open("d/y.txt").read()))
t("symlink", lambda: (os.symlink("y.txt", "d/ln"), os.readlink("d/ln"), open("d/ln").read()))
t("lstat link", lambda: stat.S_ISLNK(os.lstat("d/ln").st_mode))
t("stat via link", lambda: os.stat("d/ln").st_size)
t("dangling", lambda: (os.symlink("nothere", "d/dang"), os.path.exists("d/dang"), os.path.lexists("d/dang")))
t("create via dangling", lambda: (open("d/dang", "w").write("x"), os.path.exists("d/nothere")))
t("dir link", lambda: (os.symlink("e", "d/dl"), sorted(os.listdir("d/dl"))))
t("dir link ..", lambda: sorted(os.listdir("d/dl/f/..")))
t("chmod", lambda: (os.chmod("d/y.txt", 0o600), oct(os.stat("d/y.txt").st_mode & 0o777)))
t("utime", lambda: (os.utime("d/y.txt", (1, 2)), os.stat("d/y.txt").st_mtime))
t("link", lambda: (os.link("d/y.txt", "d/hard"), os.stat("d/hard").st_nlink))
t("unlink", lambda: (os.unlink("d/hard"), os.path.exists("d/hard")))
t("rmdir nonempty", lambda: os.rmdir("d"))
t("rmdir file", lambda: os.rmdir("d/y.txt"))
t("unlink dir", lambda: os.unlink("d/e"))
t("mkdir exists", lambda: os.mkdir("d"))
t("open missing", lambda: open("nope"))
t("O_EXCL", lambda: os.open("d/y.txt", os.O_CREAT | os.O_EXCL))
t("O_EXCL link", lambda: os.open("d/ln", os.O_CREAT | os.O_EXCL))
t("O_NOFOLLOW", lambda: os.open("d/ln", os.O_RDONLY | os.O_NOFOLLOW))
t("O_DIRECTORY file", lambda: os.open("d/y.txt", os.O_RDONLY | os.O_DIRECTORY))
t("trailing slash", lambda: os.stat("d/y.txt/"))
t("trailing slash dir link", lambda: stat.S_ISDIR(os.lstat("d/dl/").st_mode))
t("readlink file", lambda: os.readlink("d/y.txt"))
t("walk", lambda: sorted(r for r, ds, fs in os.walk("d")))
t("dir_fd", lambda: os.stat("f", dir_fd=os.open("d/e", os.O_RDONLY)).st_mode & 0o170000 == stat.S_IFDIR)
t("fchdir", lambda: (os.fchdir(os.open("d/e", os.O_RDONLY)), os.path.basename(os.getcwd()), os.chdir("../..")))
t("chdir file", lambda: os.chdir("d/y.txt"))
t("truncate", lambda: (os.truncate("d/y.txt", 2), os.path.getsize("d/y.txt")))
t("ftruncate", lambda: (lambda fd: (os.ftruncate(fd, 7), os.fstat(fd).st_size))(os.open("d/y.txt", os.O_RDWR)))
t("access", lambda: (os.access("d/y.txt", os.R_OK), os.access("d/zz", os.F_OK)))
t("dup2", lambda: (lambda fd: os.dup2(fd, 42) == 42 and os.read(42, 2))(os.open("d/y.txt", os.O_RDONLY)))
t("pipe", lambda: (lambda rw: (os.write(rw[1], b"pipe"), os.read(rw[0], 9)))(os.pipe()))
t("unix socket", lambda: (lambda s: (s.bind("d/sock"), s.listen(), stat.S_ISSOCK(os.stat("d/sock").st_mode),
                                      socket.socket(socket.AF_UNIX).connect("d/sock")))(socket.socket(socket.AF_UNIX)))
t("unix names", lambda: (lambda s: (s.bind("d/sock2"), s.getsockname()))(socket.socket(socket.AF_UNIX)))
t("socketpair", lambda: (lambda p: (p[0].send(b"hi"), p[1].recv(4)))(socket.socketpair()))
t("fifo", lambda: (os.mkfifo("d/fifo"), stat.S_ISFIFO(os.stat("d/fifo").st_mode)))
t("truncate fifo", lambda: os.truncate("d/fifo", 0))
# A final "link/" or "." is the entry itself for calls that create, remove
# or rename it (they must not act on what the link or "." leads to).
os.mkdir("t"); os.symlink("t", "tl"); os.symlink("gone", "tdang")
t("rmdir link/", lambda: (os.rmdir("tl/"), os.path.isdir("t")))
t("unlink link/", lambda: (os.unlink("tl/"), os.path.isdir("t")))
t("rename link/", lambda: (os.rename("tl/", "t2"), os.path.isdir("t")))
t("mkdir dangling/", lambda: (os.mkdir("tdang/"), os.path.lexists("gone")))
t("mkdir file/", lambda: os.mkdir("d/y.txt/"))
t("mkdir new/.", lambda: os.mkdir("tnew/."))
t("mknod new/", lambda: os.mknod("tnew/"))
t("symlink new/", lambda: os.symlink("x", "tnew/"))
t("symlink over dangling", lambda: os.symlink("x", "tdang"))
t("unlink file/", lambda: os.unlink("d/y.txt/"))
t("rmdir d/.", lambda: (os.rmdir("t/."), os.path.isdir("t")))
t("rmdir d/..", lambda: (os.rmdir("t/.."), os.path.isdir("t")))
t("rename d/.", lambda: (os.rename("t/.", "t3"), os.path.isdir("t")))
t("rename to d/.", lambda: os.rename("d/e", "t/."))
t("rename file to new/", lambda: os.rename("d/y.txt", "tnew/"))
t("rename file/", lambda: os.rename("d/y.txt/", "tnew"))
# The cwd and open directories follow a rename (the libos keeps them as paths).
t("rename cwd", lambda: (os.mkdir("cw"), os.chdir("cw"), os.rename("../cw", "../cw2"),
                         os.path.basename(os.getcwd()), open("x", "w").close(), os.listdir("../cw2"), os.chdir("..")))
t("rename dir fd", lambda: (lambda fd: (os.rename("cw2", "cw3"), os.stat("x", dir_fd=fd).st_size,
                                        os.path.basename(os.readlink("/proc/self/fd/%d" % fd))))(os.open("cw2", os.O_RDONLY)))
# /proc/self/fd/N of a file is the open file, not its name now.
t("tmpfile /proc/self/fd", lambda: (lambda fd: (os.write(fd, b"tmp"), os.readlink("/proc/self/fd/%d" % fd).split("/")[-1][0],
                                                os.read(os.open("/proc/self/fd/%d" % fd, os.O_RDONLY), 9)))(
                                                os.open("cw3", os.O_TMPFILE | os.O_RDWR, 0o600)))
t("replaced /proc/self/fd", lambda: (lambda fd: (os.unlink("cw3/x"), open("cw3/x", "w").write("new"),
                                                 os.path.basename(os.readlink("/proc/self/fd/%d" % fd)),
                                                 os.read(os.open("/proc/self/fd/%d" % fd, os.O_RDONLY), 9)))(
                                                 (open("cw3/x", "w").write("old"), os.open("cw3/x", os.O_RDONLY))[1]))
# The libos's own directories answer like procfs's.
t("open /proc O_CREAT", lambda: os.open("/proc", os.O_RDONLY | os.O_CREAT))
t("O_TMPFILE in /proc", lambda: os.open("/proc", os.O_TMPFILE | os.O_RDWR, 0o600))
t("/proc/self/fd/N/ of a file", lambda: os.stat("/proc/self/fd/%d/" % os.open("cw3/x", os.O_RDONLY)))
t("read /proc", lambda: os.read(os.open("/proc", os.O_RDONLY), 10))
t("write /proc", lambda: os.write(os.open("/proc", os.O_RDONLY), b"x"))
t("rmtree", lambda: (__import__("shutil").rmtree("d"), os.path.exists("d")))
