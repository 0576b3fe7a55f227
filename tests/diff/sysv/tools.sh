# util-linux ipcmk, ipcs, ipcrm and the /proc files over the sandbox's objects
ipcmk -Q >/dev/null && ipcmk -S 3 >/dev/null && ipcmk -M 8192 >/dev/null || exit 1
ipcs | sed 's/0x[0-9a-f]*/KEY/'
ipcs -l
ipcs -q -i 0 | grep -v -e time -e key
ipcs -u
for f in msgmax msgmnb msgmni sem shmmax shmall shmmni; do printf '%s ' $f; cat /proc/sys/kernel/$f; done
# the keys are ipcmk's random ones
for f in msg sem shm; do awk '{ $1 = NR == 1 ? $1 : "KEY"; NF = NF < 11 ? NF : 11; print }' /proc/sysvipc/$f; done
ipcrm -q 0 && ipcrm -s 0 -m 0 || exit 1
ipcrm -q 0; echo "ipcrm of a removed queue: $?"
ipcs
