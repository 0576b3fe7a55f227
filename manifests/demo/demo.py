"""What a program sees inside a Graphene picoprocess.

Every system call below is served by the libos: the files come through the
manifest's mounts, /proc is the libos's own, signals and threads are
emulated. Run it natively too (python3 manifests/demo/demo.py) to compare.
"""
import os
import signal
import sys
import threading

print("python", sys.version.split()[0], "as pid", os.getpid())
print("uname:", " ".join(os.uname()[i] for i in (0, 1, 4)))
print("/ holds:", sorted(os.listdir("/")))
print("environment:", sorted(os.environ))

with open("/proc/self/status") as f:
    fields = dict(line.split(":", 1) for line in f if ":" in line)
print("/proc/self/status: Name=%s Threads=%s" % (fields["Name"].strip(), fields["Threads"].strip()))
print("/proc/self/exe ->", os.readlink("/proc/self/exe"))

for path in ("/root/.bashrc", "/demo/../../root", "/home"):
    try:
        os.stat(path)
        print("reached", path)
    except OSError as e:
        print("cannot reach %s: %s" % (path, e.strerror))

total = [0]
lock = threading.Lock()

def work(n):
    s = sum(i * i for i in range(n))
    with lock:
        total[0] += s

threads = [threading.Thread(target=work, args=(100000 + i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("8 threads summed", total[0])

got = []
signal.signal(signal.SIGUSR1, lambda sig, frame: got.append(sig))
os.kill(os.getpid(), signal.SIGUSR1)
print("SIGUSR1 handled:", got == [signal.SIGUSR1])
signal.setitimer(signal.ITIMER_REAL, 0.05)
signal.signal(signal.SIGALRM, lambda sig, frame: got.append(sig))
signal.pause()
print("SIGALRM interrupted pause():", signal.SIGALRM in got)
