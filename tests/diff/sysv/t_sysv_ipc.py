# python3-sysv-ipc (Debian): queues, semaphores, shared memory, with fork
import os
import sysv_ipc

mq = sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX)
print("mq id", mq.id)
mq.send(b"hello", type=2)
mq.send(b"world", type=1)
print(mq.receive(type=1), mq.current_messages)
try:
    mq.receive(block=False, type=9)
except sysv_ipc.BusyError as e:
    print("busy:", e)
pid = os.fork()
if pid == 0:
    mq.send(b"from the child", type=5)
    os._exit(0)
os.waitpid(pid, 0)
print(mq.receive(type=5))
mq.remove()
try:
    mq.send(b"x")
except (sysv_ipc.ExistentialError, OSError) as e:
    print("send to a removed queue:", type(e).__name__)

sem = sysv_ipc.Semaphore(None, sysv_ipc.IPC_CREX, initial_value=1)
sem.acquire()
print("sem value", sem.value)
try:
    sem.acquire(timeout=0.01)
except sysv_ipc.BusyError as e:
    print("busy:", e)
sem.release()
sem.undo = True
pid = os.fork()
if pid == 0:
    sem.acquire()
    os._exit(0)
os.waitpid(pid, 0)
print("after a child's undone acquire", sem.value)
sem.remove()

shm = sysv_ipc.SharedMemory(None, sysv_ipc.IPC_CREX, size=4096)
shm.write(b"python shm")
pid = os.fork()
if pid == 0:
    print("child reads", shm.read(10))
    os._exit(0)
os.waitpid(pid, 0)
print("attached", shm.number_attached, "size", shm.size)
shm.detach()
shm.remove()
