; pm-limits.asm - segment limit and access-type checks on data accesses
; (a -bios ROM for wasmvisor; see pm-common.inc)
;
; Offsets past the limit of byte- and page-granular segments, expand-down
; segments (B=0 and B=1), SS-relative accesses (#SS(0)), string instructions
; stopping at the limit, writes through code and read-only segments, and
; accesses through null selectors. Every one of these raises #GP(0) or #SS(0)
; per the Intel SDM (Vol. 3A 5.3, "Limit Checking", and 5.5-5.7).
;
; QEMU 7.2 (TCG) does not implement segment limit or access-type checks on
; data accesses: under QEMU none of these faults happen. pm-limits.expected
; is therefore the SDM's answer, checked with Bochs 2.7 (see README.md);
; pm-limits.qemu is what QEMU prints, kept to notice if QEMU changes.

%include "pm-common.inc"

TSS_BASE    equ 0x2000
LDT_BASE    equ 0x2100
SEG_A       equ 0x10000         ; base of the small segments
SEG_B       equ 0x20000         ; base of the expand-down segments
SEG_L       equ 0x30000         ; base of the LDT data segment

S_TSS       equ 0x28
S_LDT       equ 0x30
S_SMALL     equ 0x38            ; base SEG_A, limit 0xFFF, RW, accessed bit clear
S_RO        equ 0x40            ; base SEG_A, limit 0xFFF, read-only
S_NP        equ 0x48            ; not present RW data
S_EXPD32    equ 0x50            ; base SEG_B, limit 0xFFF, expand-down, B=1
S_EXPD16    equ 0x58            ; base SEG_B, limit 0xFFF, expand-down, B=0
S_PAGEG     equ 0x60            ; base SEG_A, limit 1, G=1 (0x1FFF)
S_XONLY     equ 0x68            ; flat execute-only code
S_CODEA     equ 0x70            ; base SEG_A, limit 0xFFF, readable code, accessed clear
S_CONF      equ 0x78            ; flat conforming readable code, DPL 0
S_CGATE     equ 0x80            ; call gate, DPL 3
S_IGATE     equ 0x88            ; interrupt gate (not valid in the GDT for LAR)
S_DPL2      equ 0x90            ; flat RW data, DPL 2
S_CACHE     equ 0x98            ; base SEG_A, limit 0xFFF, rewritten by a test
S_TSS16     equ 0xA0            ; 16-bit available TSS (type 1)

    align 8
gdt_template:
    dq 0
    DESC 0, 0xFFFFF, 0x9B, 0xC          ; 0x08 code, ring 0
    DESC 0, 0xFFFFF, 0x93, 0xC          ; 0x10 data, ring 0
    DESC 0, 0xFFFFF, 0xFB, 0xC          ; 0x18 code, ring 3
    DESC 0, 0xFFFFF, 0xF3, 0xC          ; 0x20 data, ring 3
    DESC TSS_BASE, 0x67, 0x89, 0x0      ; 0x28 32-bit TSS, available
    DESC LDT_BASE, 0x17, 0x82, 0x0      ; 0x30 LDT (3 entries)
    DESC SEG_A, 0xFFF, 0x92, 0x4        ; 0x38
    DESC SEG_A, 0xFFF, 0x91, 0x4        ; 0x40
    DESC SEG_A, 0xFFF, 0x13, 0x4        ; 0x48 (P=0)
    DESC SEG_B, 0xFFF, 0x97, 0x4        ; 0x50
    DESC SEG_B, 0xFFF, 0x97, 0x0        ; 0x58
    DESC SEG_A, 0x1, 0x93, 0xC          ; 0x60
    DESC 0, 0xFFFFF, 0x99, 0xC          ; 0x68
    DESC SEG_A, 0xFFF, 0x9A, 0x4        ; 0x70
    DESC 0, 0xFFFFF, 0x9F, 0xC          ; 0x78
    GATE SEL_CODE0, 0x1234, 0xEC, 0     ; 0x80
    GATE SEL_CODE0, 0x1234, 0x8E, 0     ; 0x88
    DESC 0, 0xFFFFF, 0xD3, 0xC          ; 0x90
    DESC SEG_A, 0xFFF, 0x93, 0x4        ; 0x98
    DESC TSS_BASE + 0x80, 0x2B, 0x81, 0x0 ; 0xA0
gdt_template_end:

ldt_template:
    DESC SEG_L, 0xFFF, 0x93, 0x4        ; 0x04 (LDT index 0)
    DESC SEG_L, 0xFFF, 0x13, 0x4        ; 0x0C not present
    DESC SEG_L, 0xFFF, 0x93, 0x4        ; 0x14
ldt_template_end:

; a far-callable routine copied to SEG_A + 0x100 (reached through S_CODEA)
code_a:
    mov ax, cs
    retf
code_a_end:

%macro RESET_SEGS 0
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
%endmacro

tests:
    mov edi, SEG_A
    mov ecx, 0x3000 / 4
    xor eax, eax
    rep stosd
    mov edi, SEG_B - 0x1000
    mov ecx, 0x12000 / 4
    rep stosd

    ; ---------------------------------------------------------- byte-granular limit 0xFFF
    mov ax, S_SMALL
    mov es, ax
    TRY mov eax, [es:0xFFC]
    CHECK_FAULT NOFAULT, 0, "ES: dword at offset limit-3 is inside the limit"
    TRY mov eax, [es:0xFFD]
    CHECK_FAULT 13, 0, "ES: dword at offset limit-2 (crossing the limit) raises #GP(0)"
    TRY mov al, [es:0x1000]
    CHECK_FAULT 13, 0, "ES: byte at offset limit+1 raises #GP(0)"
    TRY mov byte [es:0xFFFFFFFF], 1
    CHECK_FAULT 13, 0, "ES: byte at offset 0xFFFFFFFF raises #GP(0)"
    mov ax, S_SMALL
    mov fs, ax
    TRY mov ax, [fs:0xFFF]
    CHECK_FAULT 13, 0, "FS: word crossing the limit raises #GP(0)"
    mov dword [SEG_A + 0x1000], 0x12345678
    mov eax, 0x5555
    TRY mov eax, [fs:0xFFE]
    CHECK_FAULT 13, 0, "FS: dword crossing the limit raises #GP(0) ..."
    CHECK_EAX 0x5555, "... and does not load the destination"
    mov ax, S_PAGEG
    mov gs, ax
    TRY mov eax, [gs:0x1FFC]
    CHECK_FAULT NOFAULT, 0, "GS: page-granular limit 1 allows offset 0x1FFC"
    TRY mov eax, [gs:0x1FFD]
    CHECK_FAULT 13, 0, "GS: page-granular limit 1 faults at 0x1FFD dword"
    TRY mov eax, [gs:0x2000]
    CHECK_FAULT 13, 0, "GS: page-granular limit 1 faults at 0x2000"
    mov ax, S_SMALL
    mov ds, ax
    mov esi, 0xFFC
    TRY lodsd
    CHECK_FAULT NOFAULT, 0, "DS: LODSD at limit-3"
    TRY lodsb
    CHECK_FAULT 13, 0, "DS: LODSB at limit+1 raises #GP(0)"
    mov eax, esi
    CHECK_EAX 0x1000, "DS: the faulting LODSB did not advance ESI"
    mov ebx, 0x800
    TRY push dword [ebx + 0x7FE]
    CHECK_FAULT 13, 0, "DS: PUSH from memory crossing the limit raises #GP(0)"
    RESET_SEGS

    ; a string instruction that runs into the limit stops with the registers
    ; of the faulting iteration
    mov ax, S_SMALL
    mov es, ax
    mov edi, 0xFFE
    mov ecx, 4
    mov al, 0x77
    cld
    TRY rep stosb
    CHECK_FAULT 13, 0, "REP STOSB running past the ES limit raises #GP(0)"
    mov eax, ecx
    CHECK_EAX 2, "REP STOSB fault leaves ECX = remaining count"
    mov eax, edi
    CHECK_EAX 0x1000, "REP STOSB fault leaves EDI at the faulting offset"
    movzx eax, word [SEG_A + 0xFFE]
    CHECK_EAX 0x7777, "REP STOSB stored the iterations before the fault"
    RESET_SEGS

    ; ---------------------------------------------------------- stack segment limit
    ; SS = small segment, ESP inside it so the #SS frame fits. TRY/CHECK_FAULT
    ; use SS: so this block is written out by hand.
    mov [scratch], esp
    mov dword [resume], .ss1
    mov dword [exc_vec], 0xFFFF
    mov dword [exc_err], 0xFFFF
    mov dword [exc_frame], 0
    mov ax, S_SMALL
    mov ss, ax
    mov esp, 0x800
    mov eax, [ss:0x1000]
.ss1:
    mov esi, [exc_vec]
    mov edi, [exc_frame]
    mov dword [exc_vec], 0xFFFF
    mov dword [resume], .ss2
    mov ebp, 0x0FFE
    mov eax, [ebp]                      ; SS-relative, crosses the limit
.ss2:
    mov ebx, [exc_vec]
    mov edx, esp
    mov dword [resume], 0
    mov ax, SEL_DATA0
    mov ss, ax
    mov esp, [scratch]
    mov eax, esi
    CHECK_EAX 12, "SS: access past the SS limit raises #SS"
    mov eax, [exc_err]
    CHECK_EAX 0, "SS: the #SS error code is 0"
    mov eax, edi
    CHECK_EAX 0x800 - 12, "SS: the #SS frame (EIP slot) was pushed at SS:0x800-12"
    mov eax, ebx
    CHECK_EAX 12, "SS: EBP-based access crossing the SS limit raises #SS"
    mov eax, edx
    CHECK_EAX 0x800, "SS: ESP restored by IRET after the #SS"

    ; ---------------------------------------------------------- access types
    mov ax, S_CODEA
    mov es, ax
    TRY mov dword [es:0x40], 1
    CHECK_FAULT 13, 0, "write through a code segment raises #GP(0)"
    mov ax, S_RO
    mov es, ax
    TRY mov dword [es:0x40], 1
    CHECK_FAULT 13, 0, "write through a read-only data segment raises #GP(0)"
    TRY inc byte [es:0x40]
    CHECK_FAULT 13, 0, "read-modify-write through a read-only data segment raises #GP(0)"
    mov eax, [SEG_A + 0x40]
    CHECK_EAX 0, "the faulting writes did not change memory"
    RESET_SEGS

    ; ---------------------------------------------------------- null selectors
    xor eax, eax
    mov ds, ax
    TRY mov eax, [0x10000]
    CHECK_FAULT 13, 0, "read through a null DS raises #GP(0)"
    mov ax, 3
    mov gs, ax
    TRY mov byte [gs:0x10000], 1
    CHECK_FAULT 13, 0, "write through a null GS (RPL 3) raises #GP(0)"
    xor eax, eax
    mov es, ax
    mov edi, 0x10000
    TRY stosb
    CHECK_FAULT 13, 0, "STOSB through a null ES raises #GP(0)"
    RESET_SEGS

    ; ---------------------------------------------------------- expand-down
    mov ax, S_EXPD32
    mov ds, ax
    TRY mov al, [0x1000]
    CHECK_FAULT NOFAULT, 0, "expand-down B=1: offset limit+1 is valid"
    TRY mov al, [0xFFF]
    CHECK_FAULT 13, 0, "expand-down B=1: offset limit raises #GP(0)"
    TRY mov al, [0]
    CHECK_FAULT 13, 0, "expand-down B=1: offset 0 raises #GP(0)"
    TRY mov eax, [0xFFE]
    CHECK_FAULT 13, 0, "expand-down B=1: dword starting below limit+1 raises #GP(0)"
    TRY mov eax, [0xFFFFFFFC]
    CHECK_FAULT NOFAULT, 0, "expand-down B=1: dword at 0xFFFFFFFC is valid"
    TRY mov eax, [0xFFFFFFFE]
    CHECK_FAULT 13, 0, "expand-down B=1: dword crossing 4 GiB raises #GP(0)"
    mov ax, S_EXPD16
    mov ds, ax
    TRY mov eax, [0xFFFC]
    CHECK_FAULT NOFAULT, 0, "expand-down B=0: dword at 0xFFFC is valid"
    TRY mov eax, [0xFFFD]
    CHECK_FAULT 13, 0, "expand-down B=0: dword crossing 0xFFFF raises #GP(0)"
    TRY mov al, [0x10000]
    CHECK_FAULT 13, 0, "expand-down B=0: offset 0x10000 raises #GP(0)"
    TRY mov al, [0x1000]
    CHECK_FAULT NOFAULT, 0, "expand-down B=0: offset limit+1 is valid"
    TRY mov al, [0xFFF]
    CHECK_FAULT 13, 0, "expand-down B=0: offset limit raises #GP(0)"
    RESET_SEGS

    ; expand-down stack: SS = S_EXPD32 with ESP = 0x1800, so the frame fits
    mov [scratch], esp
    mov dword [exc_vec], 0xFFFF
    mov dword [resume], .ed1
    mov ax, S_EXPD32
    mov ss, ax
    mov esp, 0x1800
    mov eax, [ss:0x800]
.ed1:
    mov ebx, [exc_vec]
    mov dword [exc_vec], 0xFFFF
    mov dword [resume], .ed2
    mov eax, [ss:0x1000]
.ed2:
    mov edx, [exc_vec]
    mov dword [resume], 0
    mov ax, SEL_DATA0
    mov ss, ax
    mov esp, [scratch]
    mov eax, ebx
    CHECK_EAX 12, "expand-down SS: offset below limit+1 raises #SS"
    mov eax, edx
    CHECK_EAX 0xFFFF, "expand-down SS: offset limit+1 is valid"

    jmp finish

    ROM_END
