; pm-task.asm - hardware task switches
; (a -bios ROM for wasmvisor/QEMU; see pm-common.inc)
;
; Three 32-bit TSSs: A (the boot task, LTR), B and C, each with its own CR3
; (4 MiB PSE pages; B's page directory maps linear 0x400000 to another frame)
; and B with an LDT and DS = an LDT selector. Checked:
;  * JMP to B's TSS descriptor and JMP back: registers, segment registers,
;    LDTR and CR3 loaded from the new TSS, the old task's state saved in its
;    TSS (EIP, EAX, ESP, CS, SS), busy bits (JMP clears the old one), NT not
;    set, back link not written, CR0.TS set (then #NM for an x87
;    instruction), TR;
;  * CALL through a task gate to B and IRET back: NT set in B, B's back link
;    = A, both busy during the call, the IRET clears B's busy bit and the NT
;    flag in B's saved EFLAGS, B's own registers kept across its switches;
;  * a generic task C behind IDT task gates: #DE (no error code pushed; the
;    saved EIP is the faulting DIV), INT 0x50 (saved EIP after the INT), #GP
;    with its error code pushed on C's stack, and a double fault through a
;    task gate as Linux i386 uses it (a #GP whose handler's code segment is
;    not present gives #NP during delivery, hence #DF with error code 0);
;  * faults: JMP/CALL to a TSS with a limit below 0x67 (#TS(sel)), JMP/CALL
;    to a busy TSS (#GP(sel)).
; Task C records its entry state in memory and IRETs (a nested task return);
; a fix-up it is given rewrites A's saved EIP/ESP so that A resumes after the
; faulting instruction.

%include "pm-common.inc"

TSS_A       equ 0x2000
TSS_B       equ 0x2100
TSS_C       equ 0x2200
TSS_SMALL   equ 0x2300
LDT_BASE    equ 0x2400
PD_A        equ 0x20000
PD_B        equ 0x21000
B_STACK     equ 0x50000
C_STACK     equ 0x58000
LDT_DATA    equ 0x10000         ; base of the LDT data segment

S_TSSA      equ 0x28
S_TSSB      equ 0x30
S_TSSC      equ 0x38
S_TGATE     equ 0x40            ; task gate -> TSS B
S_LDT       equ 0x48
S_TSSSMALL  equ 0x50            ; 32-bit TSS, limit 0x60
S_NPCODE    equ 0x58            ; code segment, not present
L_DATA      equ 0x04            ; LDT entry 0, TI=1, RPL 0

; TSS fields
T_LINK      equ 0x00
T_CR3       equ 0x1C
T_EIP       equ 0x20
T_EFLAGS    equ 0x24
T_EAX       equ 0x28
T_EBX       equ 0x34
T_ESP       equ 0x38
T_ES        equ 0x48
T_CS        equ 0x4C
T_SS        equ 0x50
T_DS        equ 0x54
T_FS        equ 0x58
T_GS        equ 0x5C
T_LDT       equ 0x60
T_IOMAP     equ 0x66

; variables
a_esp       equ USERVARS + 0x00
b_eax       equ USERVARS + 0x04
b_esp       equ USERVARS + 0x08
b_ds        equ USERVARS + 0x0C
b_ebx       equ USERVARS + 0x10
c_count     equ USERVARS + 0x20
c_esp       equ USERVARS + 0x24
c_err       equ USERVARS + 0x28
c_efl       equ USERVARS + 0x2C
c_tr        equ USERVARS + 0x30
c_link      equ USERVARS + 0x34
c_a_eip     equ USERVARS + 0x38
c_a_busy    equ USERVARS + 0x3C
fix_eip     equ USERVARS + 0x40
fix_esp     equ USERVARS + 0x44

    align 8
gdt_template:
    dq 0
    DESC 0, 0xFFFFF, 0x9B, 0xC          ; 0x08 code, ring 0
    DESC 0, 0xFFFFF, 0x93, 0xC          ; 0x10 data, ring 0
    DESC 0, 0xFFFFF, 0xFB, 0xC          ; 0x18 code, ring 3
    DESC 0, 0xFFFFF, 0xF3, 0xC          ; 0x20 data, ring 3
    DESC TSS_A, 0x67, 0x89, 0x0         ; 0x28
    DESC TSS_B, 0x67, 0x89, 0x0         ; 0x30
    DESC TSS_C, 0x67, 0x89, 0x0         ; 0x38
    GATE S_TSSB, 0, 0x85, 0             ; 0x40 task gate
    DESC LDT_BASE, 0x07, 0x82, 0x0      ; 0x48 LDT
    DESC TSS_SMALL, 0x60, 0x89, 0x0     ; 0x50
    DESC 0, 0xFFFFF, 0x1B, 0xC          ; 0x58 code, P=0
gdt_template_end:

; busy-bit check: access byte of a TSS descriptor
%macro CHECK_TSS_TYPE 3
    movzx eax, byte [ss:GDT_BASE + (%1) + 5]
    CHECK_EAX %2, %3
%endmacro

; init_tss: edi = TSS, eax = EIP, ebx = ESP, ecx = CR3, edx = DS
init_tss:
    push eax
    push edi
    push ecx
    mov ecx, 0x68 / 4
    push eax
    xor eax, eax
    rep stosd
    pop eax
    pop ecx
    pop edi
    mov [edi + T_EIP], eax
    mov [edi + T_ESP], ebx
    mov [edi + T_CR3], ecx
    mov [edi + T_DS], edx
    mov dword [edi + T_EFLAGS], 2
    mov dword [edi + T_CS], SEL_CODE0
    mov dword [edi + T_SS], SEL_DATA0
    mov dword [edi + T_ES], SEL_DATA0
    mov dword [edi + T_FS], SEL_DATA0
    mov dword [edi + T_GS], SEL_DATA0
    mov dword [edi + 4], STACK0         ; ESP0 / SS0
    mov dword [edi + 8], SEL_DATA0
    mov word [edi + T_IOMAP], 0x68
    pop eax
    ret

; set_task_gate: eax = vector, ebx = TSS selector
set_task_gate:
    push edx
    lea edx, [IDT_BASE + eax * 8]
    mov dword [edx], 0
    mov [edx + 2], bx
    mov dword [edx + 4], 0x8500
    pop edx
    ret

tests:
    ; ---------------------------------------------------------- setup
    mov edi, TSS_A
    mov eax, 0
    mov ebx, 0
    mov ecx, PD_A
    mov edx, SEL_DATA0
    call init_tss
    mov edi, TSS_B
    mov eax, task_b
    mov ebx, B_STACK
    mov ecx, PD_B
    mov edx, L_DATA
    call init_tss
    mov dword [TSS_B + T_EAX], 0xB0B0B0B0
    mov dword [TSS_B + T_LDT], S_LDT
    mov dword [TSS_B + T_LINK], 0x1234
    mov edi, TSS_C
    mov eax, task_c
    mov ebx, C_STACK
    mov ecx, PD_A
    mov edx, SEL_DATA0
    call init_tss
    mov edi, TSS_SMALL
    mov eax, task_c
    mov ebx, C_STACK
    mov ecx, PD_A
    mov edx, SEL_DATA0
    call init_tss
    ; the LDT: entry 0 = data, base LDT_DATA
    mov dword [LDT_BASE], 0x0000FFFF | ((LDT_DATA & 0xFFFF) << 16)
    mov dword [LDT_BASE + 4], 0x00409300 | ((LDT_DATA >> 16) & 0xFF)
    mov dword [LDT_DATA], 0x1D71D7
    ; page directories: 4 MiB pages; B maps 0x400000 to 0x800000
    mov dword [PD_A + 0], 0x000083
    mov dword [PD_A + 4], 0x400083
    mov dword [PD_B + 0], 0x000083
    mov dword [PD_B + 4], 0x800083
    mov dword [0x400000], 0xA0A0A0A0
    mov dword [0x800000], 0x0B0B0B0B
    mov eax, PD_A
    mov cr3, eax
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp .pg
.pg:
    mov ax, S_TSSA
    ltr ax
    mov eax, [0x400000]
    CHECK_EAX 0xA0A0A0A0, "task A: paging on, 0x400000 maps A's frame"
    CHECK_TSS_TYPE S_TSSA, 0x8B, "LTR: TSS A busy"
    CHECK_TSS_TYPE S_TSSB, 0x89, "TSS B available"

    ; ---------------------------------------------------------- JMP to a TSS
    clts
    mov [a_esp], esp
    mov eax, 0xA1A1A1A1
    jmp S_TSSB:0
.after_jmp:
    mov [scratch], eax
    mov ax, SEL_DATA0
    mov ds, ax
    mov eax, [scratch]
    CHECK_EAX 0xA1A1A1A1, "back in A (JMP from B): EAX restored from TSS A"
    mov eax, esp
    CHECK_EAX [a_esp], "back in A: ESP restored"
    str ax
    movzx eax, ax
    CHECK_EAX S_TSSA, "back in A: TR = TSS A"
    mov eax, cr3
    CHECK_EAX PD_A, "back in A: CR3 loaded from TSS A"
    mov eax, [0x400000]
    CHECK_EAX 0xA0A0A0A0, "back in A: 0x400000 maps A's frame again"
    sldt ax
    movzx eax, ax
    CHECK_EAX 0, "back in A: LDTR loaded from TSS A (null)"
    CHECK_TSS_TYPE S_TSSA, 0x8B, "back in A: TSS A busy"
    CHECK_TSS_TYPE S_TSSB, 0x89, "back in A: JMP from B cleared B's busy bit"
    mov eax, [TSS_B + T_EIP]
    CHECK_EAX task_b.after1, "B's saved EIP is after its JMP"
    mov eax, [TSS_B + T_EBX]
    CHECK_EAX 0xB2B2B2B2, "B's saved EBX"
    mov eax, [TSS_B + T_DS]
    and eax, 0xFFFF
    CHECK_EAX SEL_DATA0, "B's saved DS"
    mov eax, cr0
    and eax, 8
    CHECK_EAX 8, "back in A: CR0.TS set by the task switch"
    TRY fnop
    CHECK_FAULT 7, 0, "CR0.TS=1: FNOP raises #NM"
    clts
    TRY fnop
    CHECK_FAULT NOFAULT, 0, "after CLTS: FNOP does not fault"

    ; ---------------------------------------------------------- CALL through a task gate
    mov [a_esp], esp
    mov eax, 0xA2A2A2A2
    call S_TGATE:0
.after_call:
    CHECK_EAX 0xA2A2A2A2, "back in A (IRET from B): EAX restored"
    pushfd
    pop eax
    and eax, 0x4000
    CHECK_EAX 0, "back in A: NT clear"
    str ax
    movzx eax, ax
    CHECK_EAX S_TSSA, "back in A: TR = TSS A"
    CHECK_TSS_TYPE S_TSSB, 0x89, "IRET from the nested task cleared B's busy bit"
    CHECK_TSS_TYPE S_TSSA, 0x8B, "TSS A still busy"
    mov eax, [TSS_B + T_EFLAGS]
    and eax, 0x4000
    CHECK_EAX 0, "IRET cleared NT in B's saved EFLAGS"
    mov eax, [TSS_B + T_LINK]
    and eax, 0xFFFF
    CHECK_EAX S_TSSA, "B's back link still holds TSS A"
    mov eax, [TSS_B + T_EIP]
    CHECK_EAX task_b.after2, "B's saved EIP is after its IRET"
    mov eax, cr0
    and eax, 8
    CHECK_EAX 8, "CR0.TS set by the IRET task switch"
    clts

    ; ---------------------------------------------------------- #DE through a task gate
    mov eax, 0
    mov ebx, S_TSSC
    call set_task_gate
    mov dword [c_count], 0
    mov dword [fix_eip], .de_after
    mov [a_esp], esp
    xor ecx, ecx
    xor edx, edx
    mov eax, 1
.de:
    div ecx
.de_after:
    mov eax, [c_count]
    CHECK_EAX 1, "#DE through a task gate: task C ran once"
    mov eax, [c_tr]
    CHECK_EAX S_TSSC, "#DE task: TR = TSS C"
    mov eax, [c_esp]
    CHECK_EAX C_STACK, "#DE task: nothing pushed on C's stack"
    mov eax, [c_efl]
    and eax, 0x4000
    CHECK_EAX 0x4000, "#DE task: NT set"
    mov eax, [c_link]
    CHECK_EAX S_TSSA, "#DE task: back link = TSS A"
    mov eax, [c_a_eip]
    CHECK_EAX .de, "#DE task: A's saved EIP is the faulting DIV"
    mov eax, [c_a_busy]
    CHECK_EAX 0x8B, "#DE task: TSS A busy during the nested task"
    mov eax, esp
    CHECK_EAX [a_esp], "back in A after #DE: ESP"
    CHECK_TSS_TYPE S_TSSC, 0x89, "back in A after #DE: C not busy"
    mov eax, 0
    mov ebx, exc_stubs
    mov ecx, 0x8E00
    call set_gate

    ; ---------------------------------------------------------- INT n through a task gate
    mov eax, 0x50
    mov ebx, S_TSSC
    call set_task_gate
    mov dword [c_count], 0
    int 0x50
.int_after:
    mov eax, [c_count]
    CHECK_EAX 1, "INT 0x50 through a task gate: task C ran once"
    mov eax, [c_a_eip]
    CHECK_EAX .int_after, "INT 0x50 task: A's saved EIP is after the INT"
    mov eax, [c_esp]
    CHECK_EAX C_STACK, "INT 0x50 task: nothing pushed"
    mov eax, [c_efl]
    and eax, 0x4000
    CHECK_EAX 0x4000, "INT 0x50 task: NT set"

    ; ---------------------------------------------------------- #GP through a task gate
    mov eax, 13
    mov ebx, S_TSSC
    call set_task_gate
    mov dword [c_count], 0
    mov dword [fix_eip], .gp_after
    mov ax, 0xFFF8
.gp:
    mov fs, ax
.gp_after:
    mov eax, 13
    mov ebx, exc_stubs + 13 * 16
    mov ecx, 0x8E00
    call set_gate
    mov eax, [c_count]
    CHECK_EAX 1, "#GP through a task gate: task C ran once"
    mov eax, [c_esp]
    CHECK_EAX C_STACK - 4, "#GP task: error code pushed on C's stack"
    mov eax, [c_err]
    CHECK_EAX 0xFFF8, "#GP task: error code = selector"
    mov eax, [c_a_eip]
    CHECK_EAX .gp, "#GP task: A's saved EIP is the faulting MOV"

    ; ---------------------------------------------------------- #DF through a task gate
    mov eax, 8
    mov ebx, S_TSSC
    call set_task_gate
    mov dword [IDT_BASE + 13 * 8], S_NPCODE << 16
    mov dword [IDT_BASE + 13 * 8 + 4], 0x8E00
    mov dword [c_count], 0
    mov dword [fix_eip], .df_after
    mov [fix_esp], esp
    mov [a_esp], esp
    mov ax, 0xFFF8
    mov fs, ax
.df_after:
    mov eax, 13
    mov ebx, exc_stubs + 13 * 16
    mov ecx, 0x8E00
    call set_gate
    mov eax, 8
    mov ebx, exc_stubs + 8 * 16
    mov ecx, 0x8E00
    call set_gate
    mov eax, [c_count]
    CHECK_EAX 1, "#GP with a not-present handler CS: #DF through a task gate, task C ran once"
    mov eax, [c_esp]
    CHECK_EAX C_STACK - 4, "#DF task: error code pushed on C's stack"
    mov eax, [c_err]
    CHECK_EAX 0, "#DF task: error code 0"
    mov eax, [c_link]
    CHECK_EAX S_TSSA, "#DF task: back link = TSS A"
    mov eax, [c_efl]
    and eax, 0x4000
    CHECK_EAX 0x4000, "#DF task: NT set"
    mov eax, esp
    CHECK_EAX [a_esp], "back in A after #DF: ESP"
    CHECK_TSS_TYPE S_TSSC, 0x89, "back in A after #DF: C not busy"

    ; ---------------------------------------------------------- faulting switches
    TRY jmp S_TSSSMALL:0
    CHECK_FAULT 10, S_TSSSMALL, "JMP to a TSS with limit 0x60 raises #TS(sel)"
    TRY call S_TSSSMALL:0
    CHECK_FAULT 10, S_TSSSMALL, "CALL to a TSS with limit 0x60 raises #TS(sel)"
    CHECK_TSS_TYPE S_TSSSMALL, 0x89, "the small TSS did not become busy"
    TRY jmp S_TSSA:0
    CHECK_FAULT 13, S_TSSA, "JMP to the busy TSS A raises #GP(sel)"
    TRY call S_TSSA:0
    CHECK_FAULT 13, S_TSSA, "CALL to the busy TSS A raises #GP(sel)"
    str ax
    movzx eax, ax
    CHECK_EAX S_TSSA, "still in task A"
    jmp finish

; ---------------------------------------------------------------- task B
task_b:
    ; entered by JMP from A
    mov [ss:b_eax], eax
    mov [ss:b_esp], esp
    mov eax, ds
    mov [ss:b_ds], eax
    mov eax, [0]                        ; DS = LDT data segment
    mov [ss:scratch], eax
    mov ax, SEL_DATA0
    mov ds, ax
    mov eax, [b_eax]
    CHECK_EAX 0xB0B0B0B0, "task B (JMP): EAX loaded from TSS B"
    mov eax, [b_esp]
    CHECK_EAX B_STACK, "task B: ESP loaded"
    mov eax, [b_ds]
    CHECK_EAX L_DATA, "task B: DS loaded (an LDT selector)"
    mov eax, [scratch]
    CHECK_EAX 0x1D71D7, "task B: DS uses the LDT descriptor"
    sldt ax
    movzx eax, ax
    CHECK_EAX S_LDT, "task B: LDTR loaded from TSS B"
    str ax
    movzx eax, ax
    CHECK_EAX S_TSSB, "task B: TR = TSS B"
    mov eax, cr3
    CHECK_EAX PD_B, "task B: CR3 loaded from TSS B"
    mov eax, [0x400000]
    CHECK_EAX 0x0B0B0B0B, "task B: 0x400000 maps B's frame"
    mov eax, cr0
    and eax, 8
    CHECK_EAX 8, "task B: CR0.TS set"
    pushfd
    pop eax
    and eax, 0x4000
    CHECK_EAX 0, "task B (JMP): NT clear"
    CHECK_TSS_TYPE S_TSSA, 0x89, "task B (JMP): A's busy bit cleared"
    CHECK_TSS_TYPE S_TSSB, 0x8B, "task B: B busy"
    mov eax, [TSS_B + T_LINK]
    and eax, 0xFFFF
    CHECK_EAX 0x1234, "task B (JMP): back link not written"
    mov eax, [TSS_A + T_EIP]
    CHECK_EAX tests.after_jmp, "A's saved EIP is after the JMP"
    mov eax, [TSS_A + T_EAX]
    CHECK_EAX 0xA1A1A1A1, "A's saved EAX"
    mov eax, [TSS_A + T_ESP]
    CHECK_EAX [a_esp], "A's saved ESP"
    mov eax, [TSS_A + T_CS]
    and eax, 0xFFFF
    CHECK_EAX SEL_CODE0, "A's saved CS"
    mov eax, [TSS_A + T_SS]
    and eax, 0xFFFF
    CHECK_EAX SEL_DATA0, "A's saved SS"
    mov ebx, 0xB2B2B2B2
    jmp S_TSSA:0
.after1:
    ; entered by CALL through the task gate
    mov [ss:b_ebx], ebx
    mov ax, SEL_DATA0
    mov ds, ax
    mov eax, [b_ebx]
    CHECK_EAX 0xB2B2B2B2, "task B (CALL): its EBX kept from its last switch"
    pushfd
    pop eax
    and eax, 0x4000
    CHECK_EAX 0x4000, "task B (CALL): NT set"
    mov eax, [TSS_B + T_LINK]
    and eax, 0xFFFF
    CHECK_EAX S_TSSA, "task B (CALL): back link = TSS A"
    CHECK_TSS_TYPE S_TSSA, 0x8B, "task B (CALL): A stays busy"
    CHECK_TSS_TYPE S_TSSB, 0x8B, "task B (CALL): B busy"
    mov eax, [TSS_A + T_EIP]
    CHECK_EAX tests.after_call, "A's saved EIP is after the CALL"
    mov eax, cr3
    CHECK_EAX PD_B, "task B (CALL): CR3 loaded from TSS B"
    iretd
.after2:
    CHECK_EAX 0, "task B resumed unexpectedly"
    jmp finish

; ---------------------------------------------------------------- task C
; entered through IDT task gates; records its state, applies the fix-ups to
; A's TSS and returns with IRET (NT=1: back to the linked task)
task_c:
    mov [ss:c_esp], esp
    mov eax, NOFAULT
    cmp esp, C_STACK
    je .noerr
    mov eax, [esp]
.noerr:
    mov [ss:c_err], eax
    pushfd
    pop eax
    mov [ss:c_efl], eax
    str ax
    movzx eax, ax
    mov [ss:c_tr], eax
    movzx eax, word [ss:TSS_C + T_LINK]
    mov [ss:c_link], eax
    mov eax, [ss:TSS_A + T_EIP]
    mov [ss:c_a_eip], eax
    movzx eax, byte [ss:GDT_BASE + S_TSSA + 5]
    mov [ss:c_a_busy], eax
    inc dword [ss:c_count]
    mov eax, [ss:fix_eip]
    test eax, eax
    jz .nofix
    mov [ss:TSS_A + T_EIP], eax
    mov dword [ss:fix_eip], 0
.nofix:
    mov eax, [ss:fix_esp]
    test eax, eax
    jz .nofix2
    mov [ss:TSS_A + T_ESP], eax
    mov dword [ss:fix_esp], 0
.nofix2:
    mov esp, C_STACK
    iretd
    jmp task_c

    ROM_END
