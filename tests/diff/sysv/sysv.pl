# perl's IPC::SysV, IPC::Msg, IPC::Semaphore and IPC::SharedMem
use strict;
use warnings;
use IPC::SysV qw(IPC_PRIVATE IPC_CREAT IPC_EXCL IPC_NOWAIT IPC_RMID S_IRUSR S_IWUSR SEM_UNDO);
use IPC::Msg;
use IPC::Semaphore;
use IPC::SharedMem;
$| = 1;
my $q = IPC::Msg->new(IPC_PRIVATE, S_IRUSR | S_IWUSR) or die "msg: $!";
print "msg id ", $q->id, "\n";
$q->snd(3, "perl three") or die;
$q->snd(1, "perl one") or die;
my $buf;
$q->rcv($buf, 100, 1);
print "rcv type 1: $buf\n";
print "qnum ", $q->stat->qnum, "\n";
defined($q->rcv($buf, 100, 9, IPC_NOWAIT)) or print "rcv type 9: $!\n";
if (fork == 0) { $q->snd(7, "from the child"); exit 0 }
wait;
$q->rcv($buf, 100, 7);
print "rcv type 7: $buf\n";
$q->remove;
my $s = IPC::Semaphore->new(IPC_PRIVATE, 2, S_IRUSR | S_IWUSR | IPC_CREAT) or die "sem: $!";
$s->setall(2, 0);
print "sem ", join(" ", $s->getall), "\n";
$s->op(0, -1, 0, 1, 1, 0);
print "after op ", join(" ", $s->getall), "\n";
if (fork == 0) { $s->op(0, -1, SEM_UNDO); exit 0 }
wait;
print "after a child's undone op ", join(" ", $s->getall), "\n";
$s->op(1, -5, IPC_NOWAIT) or print "op would block: $!\n";
$s->remove;
my $m = IPC::SharedMem->new(IPC_PRIVATE, 4096, S_IRUSR | S_IWUSR) or die "shm: $!";
$m->attach;
$m->write("perl shm", 0, 8);
if (fork == 0) { print "child reads: ", $m->read(0, 8), "\n"; exit 0 }
wait;
print "nattch ", $m->stat->nattch, "\n";
$m->detach;
$m->remove;
my $id = msgget(0x7e11, IPC_CREAT | 0600);
print "key 0x7e11: id $id\n";
print "IPC_EXCL: ", (defined msgget(0x7e11, IPC_CREAT | IPC_EXCL | 0600) ? "created" : "$!"), "\n";
msgctl($id, IPC_RMID, 0);
