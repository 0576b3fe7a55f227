use IPC::SysV;
my $q = msgget(0x7e60, 0) // die "b: msgget: $!";
my $s = semget(0x7e60, 0, 0) // die "b: semget: $!";
print "b sees A's objects\n";
msgsnd($q, pack("l! a*", 2, "from b"), 0) or die "b: msgsnd: $!";
semop($s, pack("s!3", 0, 1, 0)) or die "b: semop: $!";
