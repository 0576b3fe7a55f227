# util-linux ipcmk, ipcs, ipcrm and the /proc files over the sandbox's objects
ipcmk -Q >/dev/null && ipcmk -S 3 >/dev/null && ipcmk -M 8192 >/dev/null || exit 1
ipcs | sed 's/0x[0-9a-f]*/KEY/'
ipcs -l
ipcs -q -i 0 | grep -v -e time -e key
ipcs -u
for f in msgmax msgmnb msgmni sem shmmax shmall shmmni; do printf '%s ' $f; cat /proc/sys/kernel/$f; done
# the keys are ipcmk's random ones
# (and the columns before the times)
for f in msg:11 sem:8 shm:11; do
    awk -v n=${f#*:} '{ $1 = NR == 1 ? $1 : "KEY"; NF = NF < n ? NF : n; print }' /proc/sysvipc/${f%:*}
done
ipcrm -q 0 && ipcrm -s 0 -m 0 || exit 1
ipcrm -q 0; echo "ipcrm of a removed queue: $?"
ipcs
# the limits are the sandbox's to set (as root inside), and they hold
echo 100 > /proc/sys/kernel/msgmax && cat /proc/sys/kernel/msgmax
echo "250 1000 32 16" > /proc/sys/kernel/sem && cat /proc/sys/kernel/sem
perl -e 'use IPC::SysV qw(IPC_PRIVATE); my $q = msgget(IPC_PRIVATE, 0600);
    print "msgsnd of 101 bytes: ", (msgsnd($q, pack("l! a101", 1, "x"), 0) ? "ok" : "$!"), "\n";
    print "msgsnd of 100 bytes: ", (msgsnd($q, pack("l! a100", 1, "x"), 0) ? "ok" : "$!"), "\n";
    print "semget of 251: ", (defined semget(IPC_PRIVATE, 251, 0600) ? "ok" : "$!"), "\n"; msgctl($q, 0, 0)'
ipcs -l | grep -i -e "max size of message" -e "max semaphores per array"
ipcs -c | sed 's/0x[0-9a-f]*/KEY/'
ipcs -p
# msgmni bounds the number of queues
echo 2 > /proc/sys/kernel/msgmni
perl -e 'use IPC::SysV qw(IPC_PRIVATE IPC_RMID); my @q;
    for (1 .. 3) { my $q = msgget(IPC_PRIVATE, 0600); print defined $q ? "queue $q\n" : "msgget: $!\n"; push @q, $q if defined $q }
    msgctl($_, IPC_RMID, 0) for @q'
