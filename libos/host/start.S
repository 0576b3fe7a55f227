/* Entry point of the libos image, as the kernel starts it. */
	.text
	.globl _start, host_jump_to_context
	.hidden _start, host_jump_to_context
	.type _start, @function
_start:
	xor %ebp, %ebp
	mov %rsp, %rdi             /* argc, argv, envp, auxv */
	and $-16, %rsp
	call libos_start
	ud2
	.size _start, .-_start

/* void host_jump_to_context(struct ucontext *uc): the kernel's rt_sigreturn
 * finds its frame's ucontext at %rsp. */
	.type host_jump_to_context, @function
host_jump_to_context:
	mov %rdi, %rsp
	mov $15, %eax
	jmp host_syscall_site
	.size host_jump_to_context, .-host_jump_to_context

	.section .note.GNU-stack,"",@progbits
