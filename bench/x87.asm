; wasmvisor x87 ROM ("x87"): the workload of bench/x87-work.inc on the emulated CPU.
;
; N is the loop count of the Whetstone-like modules.
; bench/fp-rom.inc is the harness (reset vector, flat protected mode, port 0xE9 output; N at file
; offset 0xFFE0). bench/x87-native.asm runs the same workload natively (Linux, i386) for the
; expected output (bench/x87.expected; test/fp-guest.test.ts compares both).

%ifndef DEFAULT_N
DEFAULT_N   equ 200
%endif
cpu 686
%define WORK_MAIN x87_main
%define WORK_INC "x87-work.inc"
%include "fp-rom.inc"
