; The workload of bench/sse-work.inc as a Linux i386 program: the same instructions run on the
; host CPU, and the output (stdout) is what the ROM bench/sse.asm prints on the emulated one.
;   nasm -f elf32 -I bench/ -o sse.o bench/sse-native.asm && ld -m elf_i386 -o sse sse.o && ./sse [N]
; (bench/sse.expected is its output for N = 2000, the ROM's default; bench/fp-native.inc is the harness)

DEFAULT_N   equ 2000
cpu WILLAMETTE
%define WORK_MAIN sse_main
%define WORK_INC "sse-work.inc"
%include "fp-native.inc"
