; wasmvisor sse ROM ("sse"): the workload of bench/sse-work.inc on the emulated CPU.
;
; N is the loop count of part 4. SSE is enabled first (CR4.OSFXSR and OSXMMEXCPT, CR0.MP and NE
; set, EM and TS clear), as Linux does.
; bench/fp-rom.inc is the harness (reset vector, flat protected mode, port 0xE9 output; N at file
; offset 0xFFE0). bench/sse-native.asm runs the same workload natively (Linux, i386) for the
; expected output (bench/sse.expected; test/fp-guest.test.ts compares both).

%ifndef DEFAULT_N
DEFAULT_N   equ 2000
%endif
cpu WILLAMETTE
%define WORK_MAIN sse_main
%define WORK_INC "sse-work.inc"
%macro ROM_SETUP 0
        mov eax, cr4
        or eax, 0x600                   ; OSFXSR | OSXMMEXCPT
        mov cr4, eax
        mov eax, cr0
        and eax, ~0xc                   ; EM, TS
        or eax, 0x22                    ; MP, NE
        mov cr0, eax
%endmacro
%include "fp-rom.inc"
