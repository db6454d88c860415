; The workload of bench/sse-work.inc as a Linux i386 program: the same instructions run on the
; host CPU, and the output (stdout) is what the ROM bench/sse.asm prints on the emulated one.
;   nasm -f elf32 -I bench/ -o sse.o bench/sse-native.asm && ld -m elf_i386 -o sse sse.o && ./sse [N]
; (bench/sse.expected is its output for N = 2000, the ROM's default)

%macro EMIT 0
        call emit
%endmacro

cpu WILLAMETTE
bits 32
section .text
global _start
_start:
        mov ecx, 2000
        cmp dword [esp], 2              ; argc: an N on the command line
        jb .go
        mov esi, [esp+8]
        xor ecx, ecx
.num:   movzx eax, byte [esi]
        sub eax, '0'
        jb .go
        cmp eax, 9
        ja .go
        imul ecx, ecx, 10
        add ecx, eax
        inc esi
        jmp .num
.go:    mov ebx, data
        call sse_main
        mov eax, 4                      ; write(1, out, len)
        mov ebx, 1
        mov ecx, out
        mov edx, [outlen]
        int 0x80
        mov eax, 1                      ; exit(0)
        xor ebx, ebx
        int 0x80

emit:   push edx
        mov edx, [outlen]
        mov [out+edx], al
        inc edx
        mov [outlen], edx
        pop edx
        ret

%include "sse-work.inc"

section .bss
alignb 16
data:   resb 4096
outlen: resd 1
out:    resb 65536
