; wasmvisor x87 ROM ("x87"): the workload of bench/x87-work.inc on the emulated CPU.
;
; A 64 KiB -bios ROM. From the reset vector it loads a flat GDT from ROM, enters 32-bit protected
; mode, runs x87_main with its data area at 0x10000 and the stack below 0x9000, prints on port
; 0xE9 and halts (cli; hlt). N, the Whetstone-like loop count, is the little-endian dword at file
; offset 0xFFE0 (physical 0xFFFE0), so a harness can patch it without reassembling.
; bench/x87-native.asm runs the same workload natively (Linux, i386) for the expected output
; (bench/x87.expected; test/fp-guest.test.ts compares both).

%ifndef DEFAULT_N
DEFAULT_N   equ 200
%endif

ROMBASE     equ 0xF0000
DATA        equ 0x10000

%macro EMIT 0
        out 0xe9, al
%endmacro

cpu 686
org ROMBASE
bits 16
start16:
        cli
        o32 lgdt [cs:gdtr - $$]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:start32
bits 32
start32:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov esp, 0x9000
        mov ebx, DATA
        mov ecx, [ROMBASE + 0xFFE0]
        call x87_main
        cli
        hlt

%include "x87-work.inc"

align 8
gdt:    dq 0
        dq 0x00cf9b000000ffff           ; 0x08 code, flat, 32-bit
        dq 0x00cf93000000ffff           ; 0x10 data, flat
gdtr:   dw 23
        dd gdt

        times 0xFFE0 - ($ - $$) db 0
        dd DEFAULT_N
        times 0xFFF0 - ($ - $$) db 0
bits 16
reset:  jmp 0xF000:(start16 - $$)
        times 0x10000 - ($ - $$) db 0
