/* The one place in the libos that executes the `syscall` instruction.
 * The seccomp filter allows host system calls only from host_syscall_site,
 * so everything the libos asks of the host goes through here. */
	.text
	.globl host_syscall6, host_syscall6_wakeable, host_syscall_site, host_sigreturn
	.globl host_clone_thread, host_wake_check, host_wake_eintr, sigsys_entry, fault_entry
	.hidden host_syscall6, host_syscall6_wakeable, host_syscall_site, host_sigreturn, sigsys_entry
	.hidden fault_entry
	.hidden host_clone_thread, host_wake_check, host_wake_eintr

/* long host_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
 * long host_syscall6_wakeable(...): the same, for a call that may block: it
 * is skipped (-EINTR) when a host signal handler has set the thread's wake
 * flag (%gs:8, see struct thread) since the caller's last pending check.
 * %r11 tells a signal handler which kind of call is about to run; the
 * syscall instruction itself overwrites %r11 (with rflags, never 1). */
	.type host_syscall6, @function
host_syscall6:
	xor %r11d, %r11d
	jmp 1f
	.type host_syscall6_wakeable, @function
host_syscall6_wakeable:
	mov $1, %r11d
1:	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	mov 8(%rsp), %r9
host_wake_check:
	test %r11d, %r11d
	jz host_syscall_site
	cmpl $0, %gs:8
	jne host_wake_eintr
host_syscall_site:
	syscall
	/* Not `ret`: the kernel leaves the CPU's return stack useless (SRSO
	 * "safe RET" here), so a `ret` right after the call is mispredicted
	 * every time; the indirect jump's target is predicted from its own
	 * history. rcx is the syscall instruction's to clobber. */
	pop %rcx
	jmp *%rcx
host_wake_eintr:
	mov $-4, %rax           /* -EINTR */
	ret
	.size host_syscall6, .-host_syscall6

/* The SIGSYS handler's entry: the first thing, before any other host
 * signal may find it set, it clears the thread's exit_uc_claimable (%gs:40,
 * struct thread), which the previous trapped call left set. A host signal
 * that lands on this very instruction sees a handler not yet started
 * (signal.c, at_handler_entry); without the stub, one that landed in the C
 * handler's first instructions would claim and deliver into this frame,
 * overwriting the registers of the call about to be served. */
	.type sigsys_entry, @function
sigsys_entry:
	movb $0, %gs:40
	jmp sigsys_handler
	.size sigsys_entry, .-sigsys_entry

/* The same for the handler of the synchronous signals (faults), which async
 * signals may interrupt: a fault in app code, or a rewritten call's fault
 * that the handler serves as the call (fastpath_fault, perhaps a blocking
 * read). The flag left set by a trapped call names that call's dead frame,
 * which this fault's frame now occupies (both sit at the top of the libos
 * stack): a host signal claiming it would write into the live frame. */
	.type fault_entry, @function
fault_entry:
	movb $0, %gs:40
	jmp host_signal_handler
	.size fault_entry, .-fault_entry

/* Restorer of the libos's own host signal handlers: the kernel's frame sits at
 * %rsp, so jump (not call) to the site to keep it there. */
	.type host_sigreturn, @function
host_sigreturn:
	mov $15, %eax
	jmp host_syscall_site
	.size host_sigreturn, .-host_sigreturn

/* long host_clone_thread(unsigned long flags, void *stack, int *ptid, int *ctid,
 *                        unsigned long tls, void (*fn)(void *), void *arg)
 * The child starts on `stack` and returns from the site; it finds fn and arg
 * pushed there, so its `ret` lands in host_thread_entry. */
	.type host_clone_thread, @function
host_clone_thread:
	mov 8(%rsp), %rax          /* arg */
	sub $16, %rsi
	mov %rax, 8(%rsi)
	mov %r9, (%rsi)            /* fn */
	sub $8, %rsi
	lea host_thread_entry(%rip), %rax
	mov %rax, (%rsi)
	mov %r8, %r9               /* tls -> a5 slot of the call below */
	mov %rcx, %r8              /* ctid -> a4 */
	mov %rdx, %rcx             /* ptid -> a3 */
	mov %rsi, %rdx             /* stack -> a2 */
	mov %rdi, %rsi             /* flags -> a1 */
	mov $56, %edi              /* __NR_clone */
	/* clone(flags, stack, ptid, ctid, tls): host_syscall6 reads a6 from the
	 * stack; the parent's value is irrelevant for clone. */
	jmp host_syscall6
	.size host_clone_thread, .-host_clone_thread

	.type host_thread_entry, @function
host_thread_entry:
	pop %rax                   /* fn */
	pop %rdi                   /* arg */
	and $-16, %rsp
	call *%rax
	ud2
	.size host_thread_entry, .-host_thread_entry

	.section .note.GNU-stack,"",@progbits
