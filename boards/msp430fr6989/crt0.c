/* msp430fr6989 startup: reset vector, stack, watchdog off, .data copy, .bss zero, main, stop.
 *
 * Written as file-scope assembly because nothing here may run before the stack exists. After
 * main returns (or tp_board_exit is called) the CPU spins at the function __stop with the
 * exit status in R12: the simulator runner sets a breakpoint there (host/mspdebug.py). The
 * lowest words of the stack reserve (just above .bss; linker.ld) hold a canary that
 * tp_board_exit checks, so a stack that outgrew the SRAM left to it is reported instead of
 * silently corrupting .bss.
 */
#include "msp430fr6989_board.h"

__asm__(
    "    .section .text._start,\"ax\",@progbits\n"
    "    .global _start\n"
    "    .type _start,@function\n"
    "_start:\n"
    "    mov.w #__stack_end, r1\n"
    "    mov.w #0x5a80, &0x015c\n" /* WDTCTL = WDTPW | WDTHOLD */
    "    mov.w #0x5ac3, &__stack_start\n"
    "    mov.w #0xa53c, &__stack_start+2\n"
    /* .data: copy its load image from FRAM to SRAM */
    "    mov.w #__data_load, r12\n"
    "    mov.w #__data_start, r13\n"
    "1:  cmp.w #__data_end, r13\n"
    "    jhs 2f\n"
    "    mov.b @r12+, r14\n"
    "    mov.b r14, 0(r13)\n"
    "    inc.w r13\n"
    "    jmp 1b\n"
    /* .bss: zero */
    "2:  mov.w #__bss_start, r13\n"
    "3:  cmp.w #__bss_end, r13\n"
    "    jhs 4f\n"
    "    clr.b 0(r13)\n"
    "    inc.w r13\n"
    "    jmp 3b\n"
    "4:  call #main\n"
    /* tp_board_exit(int32_t): sign-extend main's int in R12 into R12:R13 */
    "    clr.w r13\n"
    "    tst.w r12\n"
    "    jge 5f\n"
    "    mov.w #-1, r13\n"
    "5:  call #tp_board_exit\n"
    "    .size _start, .-_start\n"
    "\n"
    "    .section .text.__stop,\"ax\",@progbits\n"
    "    .global __stop\n"
    "    .type __stop,@function\n"
    "__stop:\n"
    "    jmp __stop\n"
    "    .size __stop, .-__stop\n"
    "\n"
    "    .section .resetvec,\"a\",@progbits\n"
    "    .word _start\n");
