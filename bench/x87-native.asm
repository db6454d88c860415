; The workload of bench/x87-work.inc as a Linux i386 program: the same instructions run on the
; host CPU, and the output (stdout) is what the ROM bench/x87.asm prints on the emulated one.
;   nasm -f elf32 -I bench/ -o x87.o bench/x87-native.asm && ld -m elf_i386 -o x87 x87.o && ./x87 [N]
; (bench/x87.expected is its output for N = 200, the ROM's default; bench/fp-native.inc is the harness)

DEFAULT_N   equ 200
cpu 686
%define WORK_MAIN x87_main
%define WORK_INC "x87-work.inc"
%include "fp-native.inc"
