/* A minimal setjmp/longjmp for the libos (callee-saved registers, %rsp and
 * the return address): the SIGSYS handler uses it to turn a fault on a bad
 * app pointer into -EFAULT instead of a dead picoprocess. */
	.text
	.globl libos_setjmp, libos_longjmp
	.hidden libos_setjmp, libos_longjmp

/* int libos_setjmp(struct libos_jmp *j) */
	.type libos_setjmp, @function
libos_setjmp:
	mov %rbx, 0(%rdi)
	mov %rbp, 8(%rdi)
	mov %r12, 16(%rdi)
	mov %r13, 24(%rdi)
	mov %r14, 32(%rdi)
	mov %r15, 40(%rdi)
	lea 8(%rsp), %rdx          /* %rsp after our return */
	mov %rdx, 48(%rdi)
	mov (%rsp), %rdx           /* the return address */
	mov %rdx, 56(%rdi)
	xor %eax, %eax
	ret
	.size libos_setjmp, .-libos_setjmp

/* void libos_longjmp(struct libos_jmp *j, int val): libos_setjmp returns val */
	.type libos_longjmp, @function
libos_longjmp:
	mov 0(%rdi), %rbx
	mov 8(%rdi), %rbp
	mov 16(%rdi), %r12
	mov 24(%rdi), %r13
	mov 32(%rdi), %r14
	mov 40(%rdi), %r15
	mov 48(%rdi), %rsp
	mov %esi, %eax
	jmp *56(%rdi)
	.size libos_longjmp, .-libos_longjmp

	.section .note.GNU-stack,"",@progbits
