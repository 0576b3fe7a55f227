/* Entry point of the libos image, as the kernel starts it. */
	.text
	.globl _start, host_jump_to_context, host_restart_at
	.hidden _start, host_jump_to_context, host_restart_at
	.type _start, @function
_start:
	xor %ebp, %ebp
	mov %rsp, %rdi             /* argc, argv, envp, auxv */
	xor %esi, %esi             /* not moved yet (see move_image) */
	and $-16, %rsp
	call libos_start
	ud2
	.size _start, .-_start

/* void host_restart_at(void (*entry)(long *sp, uintptr_t), long *sp,
 * uintptr_t arg): calls entry(sp, arg) on the start-up stack at sp, as
 * _start does, for the moved copy of the libos. */
	.type host_restart_at, @function
host_restart_at:
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rdi, %rsp
	and $-16, %rsp
	xor %ebp, %ebp
	call *%rax
	ud2
	.size host_restart_at, .-host_restart_at

/* void host_jump_to_context(struct ucontext *uc): the kernel's rt_sigreturn
 * finds its frame's ucontext at %rsp. */
	.type host_jump_to_context, @function
host_jump_to_context:
	mov %rdi, %rsp
	mov $15, %eax
	jmp host_syscall_site
	.size host_jump_to_context, .-host_jump_to_context

	.section .note.GNU-stack,"",@progbits
