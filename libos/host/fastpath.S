/* The fast entry of an app system call (see libos/fastpath.c). A rewritten
 * site `call *%rax` lands in the page-0 trampoline, which jumps here with
 * the app's registers untouched but for the return address the call pushed.
 * This saves them as a ucontext on the thread's libos stack (the same record
 * the SIGSYS path gets from the kernel), runs the common dispatcher and
 * returns to whatever that ucontext then says, without a host call. No
 * `syscall` instruction here: the libos's only one stays in syscall.S. */
#define UC_MC 40
#define R8 (UC_MC + 0)
#define R9 (UC_MC + 8)
#define R10 (UC_MC + 16)
#define R11 (UC_MC + 24)
#define R12 (UC_MC + 32)
#define R13 (UC_MC + 40)
#define R14 (UC_MC + 48)
#define R15 (UC_MC + 56)
#define RDI (UC_MC + 64)
#define RSI (UC_MC + 72)
#define RBP (UC_MC + 80)
#define RBX (UC_MC + 88)
#define RDX (UC_MC + 96)
#define RAX (UC_MC + 104)
#define RCX (UC_MC + 112)
#define RSP (UC_MC + 120)
#define RIP (UC_MC + 128)
#define EFLAGS (UC_MC + 136)
#define CS (UC_MC + 144)
/* uc_link, unused by the libos and the kernel: the app's rsp at entry. */
#define ENTRY_RSP 8
/* uc_stack.ss_sp, unused in this frame (a signal frame's uc_stack is the
 * app's sigaltstack, signal.c): the flags the CPU holds from the entry's
 * `cld` to the exit, but for the arithmetic ones: the entry's, DF clear. */
#define ENTRY_FLAGS 16
#define UC_SIGMASK 296
#define SS (UC_MC + 150)
/* The registers saved as they are on entry and restored on exit (rcx, r11,
 * rsp, rip and the flags are done by hand). */
#define KEPT_REGS(X) X(r8, R8) X(r9, R9) X(r10, R10) X(r12, R12) X(r13, R13) X(r14, R14) \
	X(r15, R15) X(rdi, RDI) X(rsi, RSI) X(rbp, RBP) X(rbx, RBX) X(rdx, RDX) X(rax, RAX)
#define SAVE(reg, off) mov %reg, off(%rsp);
#define LOAD(reg, off) mov off(%rsp), %reg;
/* Every register of the ucontext at %rsp but rip and the flags; rsp last. */
#define RESTORE_REGS KEPT_REGS(LOAD) mov R11(%rsp), %r11; mov RCX(%rsp), %rcx; mov RSP(%rsp), %rsp
/* The flags: popfq costs 3-6 ns here, so when the frame's differ from the
 * CPU's (ENTRY_FLAGS) only in the arithmetic ones (the app's DF was clear,
 * and no handler or sigreturn changed DF, TF, AC, ...), set just those: OF
 * (0x80 + 0x80 overflows), then SF ZF AF PF CF from %ah. RF is left as the
 * CPU has it (popfq does not load it either). Otherwise fastpath_exit_popf.
 * No instruction here is skipped by a branch (tests/libos/exitstep.c stops
 * at every one). */
#define RESTORE_FLAGS mov EFLAGS(%rsp), %rcx; mov ENTRY_FLAGS(%rsp), %rax; xor %rcx, %rax; \
	test $(0xffffffff & ~(X86_ARITH | X86_RF)), %eax; jnz fastpath_exit_popf; \
	mov %ecx, %eax; shr $4, %eax; and $0x80, %eax; add %al, %al; mov %cl, %ah; sahf
#define X86_ARITH 0x8d5 /* CF PF AF ZF SF OF */
#define X86_DF 0x400
#define X86_RF 0x10000
/* struct thread fields (checked by static asserts in fastpath.c). */
#define T_WAKE 8
#define T_LIBOS_STACK 24
#define T_FAST_RIP 32
#define T_CLAIMABLE 40
#define LIBOS_STACK_SIZE (256 * 1024)
/* The frame at the top of the libos stack: the ucontext, then the xsave
 * area (fastpath.c: FAST_FRAME, FAST_XSAVE_MAX). */
#define FAST_FRAME 3392

	.text
	.globl fastpath_entry, fastpath_exit, fastpath_exit_committed, fastpath_exit_ret_sp
	.globl fastpath_exit_ret, fastpath_exit_jump, fastpath_exit_popf, fastpath_exit_popf_jump
	.hidden fastpath_entry, fastpath_exit, fastpath_exit_committed, fastpath_exit_ret_sp
	.hidden fastpath_exit_ret, fastpath_exit_jump, fastpath_exit_popf, fastpath_exit_popf_jump
	.globl fastpath_xsave, fastpath_xrstor
	.hidden fastpath_xsave, fastpath_xrstor

	.type fastpath_entry, @function
fastpath_entry:
	/* Nothing here may change the flags before they are saved. */
	movb $0, %gs:T_CLAIMABLE
	mov %rsp, %r11                     /* the app's rsp - 8: the return address */
	mov %gs:T_LIBOS_STACK, %rsp
	lea LIBOS_STACK_SIZE - FAST_FRAME(%rsp), %rsp
	KEPT_REGS(SAVE)
	pushfq
	pop %rcx
	mov %rcx, EFLAGS(%rsp)
	mov %rcx, R11(%rsp)                /* as the syscall instruction leaves them */
	and $~X86_DF, %ecx
	mov %rcx, ENTRY_FLAGS(%rsp)
	mov (%r11), %rcx
	mov %rcx, RIP(%rsp)
	mov %rcx, RCX(%rsp)
	lea 8(%r11), %rcx
	mov %rcx, RSP(%rsp)
	mov %rcx, ENTRY_RSP(%rsp)
	movw %cs, CS(%rsp)
	movw %ss, SS(%rsp)
	xor %ecx, %ecx
	mov %rcx, 0(%rsp)                  /* uc_flags */
	mov %rcx, 24(%rsp)                 /* uc_stack: none */
	mov %rcx, 32(%rsp)
	mov %rcx, UC_SIGMASK(%rsp)
	cld
	mov %rsp, %rdi
	xor %ebp, %ebp
	call fastpath_syscall
	test %eax, %eax
	jnz 4f
fastpath_exit:
	/* A signal that came after the dispatcher's last check set the wake
	 * flag: deliver it now. One that lands between the test and the branch
	 * makes the handler rewind to the test; past the branch a host signal
	 * handler finishes the return itself (fastpath_finish_exit). */
	cmpl $0, %gs:T_WAKE
	jne 2f
fastpath_exit_committed:
	mov RIP(%rsp), %rcx
	mov %rcx, %gs:T_FAST_RIP
	/* Back where the call came from, on the same stack, its return address
	 * still there: return with `ret`, which keeps the CPU's return stack
	 * in step with the call (the app's own returns stay predicted).
	 * Otherwise (a signal handler, a sigreturn, a restart) jump. */
	mov RSP(%rsp), %r11
	cmp %r11, ENTRY_RSP(%rsp)
	jne 3f
	cmp %rcx, -8(%r11)
	jne 3f
	RESTORE_FLAGS
	RESTORE_REGS
fastpath_exit_ret_sp:
	lea -8(%rsp), %rsp
fastpath_exit_ret:
	ret
3:	RESTORE_FLAGS
	RESTORE_REGS
fastpath_exit_jump:
	jmp *%gs:T_FAST_RIP
2:	mov %rsp, %rdi
	call fastpath_recheck
	jmp fastpath_exit
	/* A call to make as it is (fastpath_syscall): the app's registers
	 * are the host call's, and host_wake_check skips it (-EINTR) when a
	 * host signal came since the pending check. */
4:	mov RAX(%rsp), %rax
	mov RDI(%rsp), %rdi
	mov RSI(%rsp), %rsi
	mov RDX(%rsp), %rdx
	mov R10(%rsp), %r10
	mov R8(%rsp), %r8
	mov R9(%rsp), %r9
	mov $1, %r11d
	call host_wake_check
	cmp $-4, %rax                      /* -EINTR */
	je 5f
	mov %rax, RAX(%rsp)
	/* Back by the jump: the kernel has overwritten the CPU's return
	 * stack, so a `ret` would be mispredicted. */
	movq $0, ENTRY_RSP(%rsp)
	jmp fastpath_exit
5:	mov %rsp, %rdi
	call fastpath_interrupted
	jmp fastpath_exit
	/* The way back when a handler or a sigreturn changed TF, AC or the
	 * like: by popfq, and the jump (fastpath_finish_exit knows it too). */
fastpath_exit_popf:
	pushq EFLAGS(%rsp)
	popfq
	RESTORE_REGS
fastpath_exit_popf_jump:
	jmp *%gs:T_FAST_RIP
	.size fastpath_entry, .-fastpath_entry

/* void fastpath_xsave(void *area), void fastpath_xrstor(const void *area):
 * all state components the OS enabled (XCR0). */
	.type fastpath_xsave, @function
fastpath_xsave:
	mov $-1, %eax
	mov $-1, %edx
	xsave64 (%rdi)
	ret
	.size fastpath_xsave, .-fastpath_xsave

	.type fastpath_xrstor, @function
fastpath_xrstor:
	mov $-1, %eax
	mov $-1, %edx
	xrstor64 (%rdi)
	ret
	.size fastpath_xrstor, .-fastpath_xrstor

	.section .note.GNU-stack,"",@progbits
