; pm-seg.asm - protected-mode segmentation checks (a -bios ROM for wasmvisor/QEMU)
;
; Enters protected mode with a GDT in RAM and checks: segment loads (flat and
; non-flat bases, small limits, byte and page granularity), limit violations
; (#GP(0), #SS(0)), the faults of bad segment loads (#GP(sel), #NP(sel),
; #SS(sel)), null selectors, expand-down segments (B=0 and B=1), the
; descriptor cache, the accessed bit, far calls into a non-flat code segment,
; LDTs (LLDT/SLDT, TI=1 selectors), LTR/STR and the TSS busy bit,
; LAR/LSL/VERR/VERW, SGDT/SIDT, ARPL.
; Output: "ok N - ..." lines on port 0xE9, then "done N".

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
    ; ---------------------------------------------------------- basics
    smsw ax
    and eax, 1
    CHECK_EAX 1, "CR0.PE is set (SMSW)"

    sgdt [scratch]
    movzx eax, word [scratch]
    CHECK_EAX gdt_template_end - gdt_template - 1, "SGDT limit"
    mov eax, [scratch + 2]
    CHECK_EAX GDT_BASE, "SGDT base"
    sidt [scratch]
    movzx eax, word [scratch]
    CHECK_EAX 0x7FF, "SIDT limit"
    mov eax, [scratch + 2]
    CHECK_EAX IDT_BASE, "SIDT base"

    mov eax, 0xFFFFFFFF
    sldt ax
    CHECK_EAX 0xFFFF0000, "SLDT after reset is 0 (16-bit destination keeps the upper half)"
    mov eax, 0xFFFFFFFF
    str ax
    CHECK_EAX 0xFFFF0000, "STR after reset is 0"

    ; ---------------------------------------------------------- a small segment
    ; (the limit violations are in pm-limits.asm: QEMU does not check them)
    ; clear the data areas
    mov edi, SEG_A
    mov ecx, 0x3000 / 4
    xor eax, eax
    rep stosd
    mov edi, SEG_B - 0x1000
    mov ecx, 0x12000 / 4
    rep stosd

    mov ax, S_SMALL
    mov es, ax
    mov dword [es:0x10], 0x12345678
    mov eax, [SEG_A + 0x10]
    CHECK_EAX 0x12345678, "write through ES with base 0x10000 lands at linear base+offset"
    mov dword [SEG_A + 0x20], 0x55AA66BB
    mov eax, [es:0x20]
    CHECK_EAX 0x55AA66BB, "read through ES with base 0x10000"

    mov eax, [GDT_BASE + S_SMALL + 4]
    shr eax, 8
    and eax, 0xFF
    CHECK_EAX 0x93, "loading ES set the accessed bit of its descriptor in the GDT"

    mov dword [SEG_A + 0xFFC], 0xA1B2C3D4
    TRY mov eax, [es:0xFFC]
    CHECK_FAULT NOFAULT, 0, "dword at offset limit-3 is inside the limit"
    CHECK_EAX 0xA1B2C3D4, "dword at offset limit-3 reads the right bytes"
    TRY mov byte [es:0xFFF], 0x5A
    CHECK_FAULT NOFAULT, 0, "byte write at the limit is allowed"
    mov al, [SEG_A + 0xFFF]
    movzx eax, al
    CHECK_EAX 0x5A, "byte written at the limit is at linear base+limit"
    mov ax, S_PAGEG
    mov gs, ax
    mov dword [SEG_A + 0x1FFC], 0x600DF00D
    TRY mov eax, [gs:0x1FFC]
    CHECK_FAULT NOFAULT, 0, "GS: page-granular limit 1 allows offset 0x1FFC"
    CHECK_EAX 0x600DF00D, "GS: page-granular segment reads base+0x1FFC"
    RESET_SEGS

    ; ---------------------------------------------------------- bad SS loads
    mov ax, S_RO
    TRY mov ss, ax
    CHECK_FAULT 13, S_RO, "MOV SS, read-only data segment raises #GP(sel)"
    mov ax, SEL_CODE0
    TRY mov ss, ax
    CHECK_FAULT 13, SEL_CODE0, "MOV SS, code segment raises #GP(sel)"
    xor eax, eax
    TRY mov ss, ax
    CHECK_FAULT 13, 0, "MOV SS, null selector raises #GP(0)"
    mov ax, SEL_DATA3 | 3
    TRY mov ss, ax
    CHECK_FAULT 13, SEL_DATA3, "MOV SS, DPL 3 data at CPL 0 raises #GP(sel)"
    mov ax, SEL_DATA0 | 3
    TRY mov ss, ax
    CHECK_FAULT 13, SEL_DATA0, "MOV SS, RPL 3 selector at CPL 0 raises #GP(sel)"
    mov ax, S_NP
    TRY mov ss, ax
    CHECK_FAULT 12, S_NP, "MOV SS, not-present segment raises #SS(sel)"
    mov ax, ss
    movzx eax, ax
    CHECK_EAX SEL_DATA0, "SS is unchanged after the failed loads"
    ; (TRY and CHECK_FAULT address their variables through SS: not usable here)
    mov dword [exc_vec], 0xFFFF
    mov dword [resume], .ssx
    mov ax, S_EXPD32
    mov ss, ax
.ssx:
    mov dword [resume], 0
    mov ax, SEL_DATA0
    mov ss, ax
    mov eax, [exc_vec]
    CHECK_EAX 0xFFFF, "MOV SS, writable expand-down segment is allowed"

    ; ---------------------------------------------------------- bad data segment loads
    mov ax, S_NP
    TRY mov ds, ax
    CHECK_FAULT 11, S_NP, "MOV DS, not-present segment raises #NP(sel)"
    mov ax, S_XONLY
    TRY mov ds, ax
    CHECK_FAULT 13, S_XONLY, "MOV DS, execute-only code segment raises #GP(sel)"
    mov ax, S_TSS
    TRY mov es, ax
    CHECK_FAULT 13, S_TSS, "MOV ES, TSS descriptor raises #GP(sel)"
    mov ax, 0x400
    TRY mov fs, ax
    CHECK_FAULT 13, 0x400, "MOV FS, selector beyond the GDT limit raises #GP(sel)"
    mov ax, SEL_DATA0 | 3
    TRY mov gs, ax
    CHECK_FAULT 13, SEL_DATA0, "MOV GS, RPL 3 selector of a DPL 0 segment raises #GP(sel)"
    mov ax, S_DPL2 | 3
    TRY mov ds, ax
    CHECK_FAULT 13, S_DPL2, "MOV DS, DPL 2 segment with RPL 3 raises #GP(sel)"
    mov ax, S_DPL2 | 2
    TRY mov ds, ax
    CHECK_FAULT NOFAULT, 0, "MOV DS, DPL 2 segment with RPL 2 at CPL 0 is allowed"
    mov ax, S_CONF | 3
    TRY mov ds, ax
    CHECK_FAULT NOFAULT, 0, "MOV DS, conforming readable code with RPL 3 is allowed"
    RESET_SEGS

    ; readable code segment as data
    mov dword [SEG_A + 0x40], 0x0BADF00D
    mov ax, S_CODEA
    TRY mov es, ax
    CHECK_FAULT NOFAULT, 0, "MOV ES, readable code segment is allowed"
    mov eax, [es:0x40]
    CHECK_EAX 0x0BADF00D, "read through a readable code segment"
    mov ax, S_RO
    mov es, ax
    TRY mov eax, [es:0x40]
    CHECK_FAULT NOFAULT, 0, "read through a read-only data segment is allowed"
    CHECK_EAX 0x0BADF00D, "read through a read-only data segment reads base+offset"
    RESET_SEGS

    ; null selectors
    xor eax, eax
    TRY mov ds, ax
    CHECK_FAULT NOFAULT, 0, "MOV DS, null selector is allowed"
    mov ax, ds
    movzx eax, ax
    CHECK_EAX 0, "DS reads back as 0"
    mov ax, 3
    TRY mov gs, ax
    CHECK_FAULT NOFAULT, 0, "MOV GS, null selector with RPL 3 is allowed"
    mov ax, gs
    movzx eax, ax
    CHECK_EAX 3, "GS reads back as 3"
    RESET_SEGS

    ; ---------------------------------------------------------- expand-down
    mov ax, S_EXPD32
    mov ds, ax
    TRY mov dword [0x1004], 0xDEAD0001
    CHECK_FAULT NOFAULT, 0, "expand-down B=1: offset limit+5 is valid"
    mov eax, [ss:SEG_B + 0x1004]
    CHECK_EAX 0xDEAD0001, "expand-down B=1: offset 0x1004 is at linear base+0x1004"
    TRY mov al, [0x1000]
    CHECK_FAULT NOFAULT, 0, "expand-down B=1: offset limit+1 is valid"
    TRY mov dword [0xFFFFFFFC], 0xDEAD0002
    CHECK_FAULT NOFAULT, 0, "expand-down B=1: dword at 0xFFFFFFFC is valid"
    mov eax, [ss:SEG_B - 4]
    CHECK_EAX 0xDEAD0002, "expand-down B=1: base + 0xFFFFFFFC wraps to base-4"
    mov ax, S_EXPD16
    mov ds, ax
    TRY mov dword [0xFFFC], 0xDEAD0003
    CHECK_FAULT NOFAULT, 0, "expand-down B=0: dword at 0xFFFC is valid"
    mov eax, [ss:SEG_B + 0xFFFC]
    CHECK_EAX 0xDEAD0003, "expand-down B=0: offset 0xFFFC is at linear base+0xFFFC"
    TRY mov al, [0x1000]
    CHECK_FAULT NOFAULT, 0, "expand-down B=0: offset limit+1 is valid"
    RESET_SEGS

    ; ---------------------------------------------------------- descriptor cache
    mov ax, S_CACHE
    mov fs, ax
    mov dword [SEG_A + 0x80], 0x11110000
    mov dword [SEG_B + 0x80], 0x22220000
    mov byte [GDT_BASE + S_CACHE + 4], (SEG_B >> 16) & 0xFF     ; base := SEG_B
    mov eax, [fs:0x80]
    CHECK_EAX 0x11110000, "rewriting a loaded descriptor does not change the cached base"
    mov ax, S_CACHE
    mov fs, ax
    mov eax, [fs:0x80]
    CHECK_EAX 0x22220000, "reloading the selector picks up the new base"
    RESET_SEGS

    ; ---------------------------------------------------------- code segment with a base
    mov esi, code_a
    mov edi, SEG_A + 0x100
    mov ecx, code_a_end - code_a
    rep movsb
    xor eax, eax
    call S_CODEA:0x100
    movzx eax, ax
    CHECK_EAX S_CODEA, "far call into a code segment with base 0x10000 (MOV AX, CS there)"
    mov eax, [GDT_BASE + S_CODEA + 4]
    shr eax, 8
    and eax, 0xFF
    CHECK_EAX 0x9B, "loading CS set the accessed bit of the code descriptor"
    TRY jmp S_CODEA:0x1000
    CHECK_FAULT 13, 0, "far JMP beyond the target code segment limit raises #GP(0)"
    mov ax, cs
    movzx eax, ax
    CHECK_EAX SEL_CODE0, "CS is unchanged after the failed far JMP"

    ; ---------------------------------------------------------- LDT
    mov esi, ldt_template
    mov edi, LDT_BASE
    mov ecx, ldt_template_end - ldt_template
    rep movsb
    mov ax, 0x04
    TRY mov es, ax
    CHECK_FAULT 13, 0x04, "TI=1 selector with a null LDTR raises #GP(sel)"
    mov ax, SEL_DATA0
    TRY lldt ax
    CHECK_FAULT 13, SEL_DATA0, "LLDT of a data segment descriptor raises #GP(sel)"
    mov ax, S_LDT
    TRY lldt ax
    CHECK_FAULT NOFAULT, 0, "LLDT of an LDT descriptor"
    sldt ax
    movzx eax, ax
    CHECK_EAX S_LDT, "SLDT returns the loaded selector"
    mov ax, 0x04
    TRY mov es, ax
    CHECK_FAULT NOFAULT, 0, "MOV ES, LDT selector 0x04"
    mov dword [es:0x20], 0xCAFEBABE
    mov eax, [SEG_L + 0x20]
    CHECK_EAX 0xCAFEBABE, "write through the LDT segment lands at its base"
    mov ax, 0x0C
    TRY mov es, ax
    CHECK_FAULT 11, 0x0C, "not-present LDT segment raises #NP(sel) with TI set"
    mov ax, 0x1C
    TRY mov es, ax
    CHECK_FAULT 13, 0x1C, "selector beyond the LDT limit raises #GP(sel)"
    mov ax, 0x14 | 3
    lar eax, ax
    CHECK_ZF 0, "LAR of LDT DPL 0 data with RPL 3 fails (ZF=0)"
    mov ax, 0x14
    lsl eax, ax
    CHECK_EAX 0xFFF, "LSL through the LDT"
    xor eax, eax
    lldt ax
    sldt ax
    movzx eax, ax
    CHECK_EAX 0, "LLDT 0 makes the LDTR null"
    RESET_SEGS

    ; ---------------------------------------------------------- TSS
    mov ax, S_TSS
    TRY ltr ax
    CHECK_FAULT NOFAULT, 0, "LTR of an available TSS"
    str ax
    movzx eax, ax
    CHECK_EAX S_TSS, "STR returns the loaded selector"
    movzx eax, byte [GDT_BASE + S_TSS + 5]
    CHECK_EAX 0x8B, "LTR marks the TSS descriptor busy"
    mov ax, S_TSS
    TRY ltr ax
    CHECK_FAULT 13, S_TSS, "LTR of a busy TSS raises #GP(sel)"
    mov ax, S_LDT
    TRY ltr ax
    CHECK_FAULT 13, S_LDT, "LTR of an LDT descriptor raises #GP(sel)"

    ; ---------------------------------------------------------- LAR
    mov eax, 0x11111111
    mov bx, SEL_CODE0
    lar eax, bx
    CHECK_ZF 1, "LAR of the ring-0 code segment sets ZF"
    ; bits 19:16 of a 32-bit LAR result are undefined in the SDM: masked
    and eax, 0xFFF0FFFF
    CHECK_EAX 0x00C09B00, "LAR of the ring-0 code segment"
    mov bx, S_SMALL
    lar eax, bx
    and eax, 0xFFF0FFFF
    CHECK_EAX 0x00409300, "LAR of a byte-granular data segment (accessed bit set by the load)"
    mov bx, S_TSS
    lar eax, bx
    CHECK_ZF 1, "LAR of a busy TSS sets ZF"
    and eax, 0xFFF0FFFF
    CHECK_EAX 0x00008B00, "LAR of a busy TSS"
    mov bx, S_CGATE
    lar eax, bx
    CHECK_ZF 1, "LAR of a call gate sets ZF"
    and eax, 0xFFF0FFFF
    CHECK_EAX 0x0000EC00, "LAR of a DPL-3 call gate"
    mov eax, 0x12345678
    mov bx, S_IGATE
    lar eax, bx
    CHECK_ZF 0, "LAR of an interrupt gate clears ZF"
    CHECK_EAX 0x12345678, "LAR that fails leaves the destination unchanged"
    xor ebx, ebx
    lar eax, bx
    CHECK_ZF 0, "LAR of the null selector clears ZF"
    mov bx, 0x400
    lar eax, bx
    CHECK_ZF 0, "LAR of a selector beyond the GDT limit clears ZF"
    mov bx, SEL_DATA0 | 3
    lar eax, bx
    CHECK_ZF 0, "LAR of DPL 0 data with RPL 3 clears ZF"
    mov bx, S_CONF | 3
    lar eax, bx
    CHECK_ZF 1, "LAR of conforming code with RPL 3 sets ZF"
    mov bx, S_NP
    lar eax, bx
    CHECK_ZF 1, "LAR of a not-present segment sets ZF"
    and eax, 0xFFF0FFFF
    CHECK_EAX 0x00401300, "LAR of a not-present segment returns P=0"
    mov bx, S_TSS16
    lar eax, bx
    CHECK_ZF 1, "LAR of a 16-bit TSS sets ZF"
    mov eax, 0xFFFFFFFF
    mov bx, SEL_DATA0
    lar ax, bx
    CHECK_EAX 0xFFFF9300, "16-bit LAR writes access byte to bits 15:8 of AX only"

    ; ---------------------------------------------------------- LSL
    mov bx, S_SMALL
    lsl eax, bx
    CHECK_ZF 1, "LSL of a data segment sets ZF"
    CHECK_EAX 0xFFF, "LSL of a byte-granular segment"
    mov bx, S_PAGEG
    lsl eax, bx
    CHECK_EAX 0x1FFF, "LSL of a page-granular segment is the scaled limit"
    mov bx, SEL_CODE0
    lsl eax, bx
    CHECK_EAX 0xFFFFFFFF, "LSL of the flat code segment"
    mov bx, S_EXPD32
    lsl eax, bx
    CHECK_EAX 0xFFF, "LSL of an expand-down segment is the raw limit"
    mov bx, S_TSS
    lsl eax, bx
    CHECK_ZF 1, "LSL of a TSS sets ZF"
    CHECK_EAX 0x67, "LSL of a TSS"
    mov bx, S_LDT
    lsl eax, bx
    CHECK_EAX 0x17, "LSL of an LDT descriptor"
    mov eax, 0x12345678
    mov bx, S_CGATE
    lsl eax, bx
    CHECK_ZF 0, "LSL of a call gate clears ZF"
    CHECK_EAX 0x12345678, "LSL that fails leaves the destination unchanged"
    mov bx, SEL_DATA0 | 3
    lsl eax, bx
    CHECK_ZF 0, "LSL of DPL 0 data with RPL 3 clears ZF"

    ; ---------------------------------------------------------- VERR / VERW
    mov bx, SEL_DATA0
    verr bx
    CHECK_ZF 1, "VERR of a RW data segment"
    verw bx
    CHECK_ZF 1, "VERW of a RW data segment"
    mov bx, S_RO
    verr bx
    CHECK_ZF 1, "VERR of a read-only data segment"
    verw bx
    CHECK_ZF 0, "VERW of a read-only data segment fails"
    mov bx, S_XONLY
    verr bx
    CHECK_ZF 0, "VERR of an execute-only code segment fails"
    mov bx, S_CODEA
    verr bx
    CHECK_ZF 1, "VERR of a readable code segment"
    verw bx
    CHECK_ZF 0, "VERW of a code segment fails"
    xor ebx, ebx
    verr bx
    CHECK_ZF 0, "VERR of the null selector fails"
    verw bx
    CHECK_ZF 0, "VERW of the null selector fails"
    mov bx, SEL_DATA0 | 3
    verr bx
    CHECK_ZF 0, "VERR of DPL 0 data with RPL 3 fails"
    mov bx, S_CONF | 3
    verr bx
    CHECK_ZF 1, "VERR of conforming readable code with RPL 3"
    mov bx, S_TSS
    verr bx
    CHECK_ZF 0, "VERR of a TSS fails"
    mov bx, S_DPL2 | 2
    verw bx
    CHECK_ZF 1, "VERW of DPL 2 data with RPL 2 at CPL 0"
    mov bx, 0x400
    verw bx
    CHECK_ZF 0, "VERW of a selector beyond the GDT limit fails"

    ; ---------------------------------------------------------- ARPL
    mov ax, 0x0008
    mov bx, 0x0003
    arpl ax, bx
    CHECK_ZF 1, "ARPL raising the RPL sets ZF"
    movzx eax, ax
    CHECK_EAX 0x000B, "ARPL 0x0008, 0x0003 gives 0x000B"
    mov ax, 0x000B
    mov bx, 0x0001
    arpl ax, bx
    CHECK_ZF 0, "ARPL with an RPL already higher clears ZF"
    movzx eax, ax
    CHECK_EAX 0x000B, "ARPL 0x000B, 0x0001 leaves 0x000B"
    mov word [scratch], 0x0012
    mov bx, 0x0017
    arpl [scratch], bx
    CHECK_ZF 1, "ARPL on a memory operand sets ZF"
    movzx eax, word [scratch]
    CHECK_EAX 0x0013, "ARPL on a memory operand"

    jmp finish

    ROM_END
