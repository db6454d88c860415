; pm-ring.asm - privilege levels: ring 3 entry and exit, gates, stack switches
; (a -bios ROM for wasmvisor/QEMU; see pm-common.inc)
;
; A TSS with SS0:ESP0; IRET from ring 0 to ring 3 (with data segment
; registers of DPL < 3 nulled); in ring 3: CPL, IOPL and IF that POPF cannot
; change, INT n through a DPL-3 interrupt gate (stack switch to SS0:ESP0,
; outer SS:ESP pushed, IRET back), a call gate with 2 parameters copied and
; RETF imm back, a far call to conforming code (CPL stays 3), privileged
; instructions and I/O at IOPL 0 (#GP(0)), INT n / INTO through DPL-0 gates
; (#GP(vector*8+2)), calls and returns to inner levels (#GP(sel)), #UD and
; #GP frames from ring 3 (with and without an error code), INT3 through a
; DPL-3 gate, and a final call gate back to ring 0.
; Checks made at CPL 3 are logged and printed once back at CPL 0.

%include "pm-common.inc"

TSS_BASE    equ 0x2000
ESP0        equ 0x70000
R3_STACK    equ 0x60000

S_TSS       equ 0x28
S_CGATE     equ 0x30            ; call gate DPL 3 -> cg_handler, 2 parameters
S_CGATE0    equ 0x38            ; call gate DPL 0
S_CONF      equ 0x40            ; conforming code, DPL 0
S_CGBACK    equ 0x48            ; call gate DPL 3 -> back_to_ring0
S_CGJMP     equ 0x50            ; call gate DPL 3 -> cg_handler (for JMP)

; variables written by the ring-0 handlers
h_esp       equ USERVARS + 0x00     ; handler ESP at entry
h_ss        equ USERVARS + 0x04     ; handler SS
h_cs        equ USERVARS + 0x08     ; handler CS
h_eip       equ USERVARS + 0x0C     ; pushed EIP
h_pcs       equ USERVARS + 0x10     ; pushed CS
h_outer_esp equ USERVARS + 0x14
h_outer_ss  equ USERVARS + 0x18
h_p1        equ USERVARS + 0x1C
h_p2        equ USERVARS + 0x20
h_efl       equ USERVARS + 0x24
h_ds        equ USERVARS + 0x28
r3_esp      equ USERVARS + 0x2C     ; ring-3 ESP saved before a transfer
h_count     equ USERVARS + 0x30

    align 8
gdt_template:
    dq 0
    DESC 0, 0xFFFFF, 0x9B, 0xC          ; 0x08 code, ring 0
    DESC 0, 0xFFFFF, 0x93, 0xC          ; 0x10 data, ring 0
    DESC 0, 0xFFFFF, 0xFB, 0xC          ; 0x18 code, ring 3
    DESC 0, 0xFFFFF, 0xF3, 0xC          ; 0x20 data, ring 3
    DESC TSS_BASE, 0x67, 0x89, 0x0      ; 0x28 32-bit TSS
    GATE SEL_CODE0, ABS(cg_handler), 0xEC, 2 ; 0x30
    GATE SEL_CODE0, ABS(cg_handler), 0x8C, 0 ; 0x38
    DESC 0, 0xFFFFF, 0x9F, 0xC          ; 0x40
    GATE SEL_CODE0, ABS(back_to_ring0), 0xEC, 0 ; 0x48
    GATE SEL_CODE0, ABS(cg_handler), 0xEC, 0 ; 0x50
gdt_template_end:

tests:
    ; the TSS: SS0:ESP0, no I/O bitmap (base beyond the limit)
    mov edi, TSS_BASE
    mov ecx, 0x68 / 4
    xor eax, eax
    rep stosd
    mov dword [TSS_BASE + 4], ESP0
    mov dword [TSS_BASE + 8], SEL_DATA0
    mov word [TSS_BASE + 0x66], 0x68
    mov ax, S_TSS
    ltr ax

    ; gates: 0x40 DPL-3 interrupt gate, 0x42 DPL-3 trap gate, 3 (INT3) DPL 3
    mov eax, 0x40
    mov ebx, int40_handler
    mov ecx, 0xEE00
    call set_gate
    mov eax, 0x42
    mov ebx, int40_handler
    mov ecx, 0xEF00
    call set_gate
    mov eax, 3
    mov ebx, exc_stubs + 3 * 16
    mov ecx, 0xEE00
    call set_gate

    ; ---------------------------------------------------------- IRET to ring 3
    mov ax, SEL_DATA0
    mov fs, ax                          ; DPL 0: nulled by the IRET to ring 3
    mov ax, SEL_DATA3 | 3
    mov gs, ax                          ; DPL 3: kept
    push dword SEL_DATA3 | 3            ; SS
    push dword R3_STACK                 ; ESP
    push dword 0x00000002               ; EFLAGS: IOPL 0, IF 0
    push dword SEL_CODE3 | 3            ; CS
    push dword ring3_entry              ; EIP
    iretd

ring3_entry:
    mov eax, cs
    and eax, 3
    CHECK_EAX 3, "IRET to ring 3: CPL is 3"
    mov eax, cs
    movzx eax, ax
    CHECK_EAX SEL_CODE3 | 3, "IRET to ring 3: CS"
    mov eax, ss
    movzx eax, ax
    CHECK_EAX SEL_DATA3 | 3, "IRET to ring 3: SS"
    mov eax, esp
    CHECK_EAX R3_STACK, "IRET to ring 3: ESP"
    mov eax, ds
    movzx eax, ax
    CHECK_EAX 0, "IRET to ring 3 nulls DS (DPL 0 < CPL 3)"
    mov eax, fs
    movzx eax, ax
    CHECK_EAX 0, "IRET to ring 3 nulls FS (DPL 0 < CPL 3)"
    mov eax, gs
    movzx eax, ax
    CHECK_EAX SEL_DATA3 | 3, "IRET to ring 3 keeps GS (DPL 3)"
    mov ax, SEL_DATA3 | 3
    mov ds, ax
    mov es, ax

    ; ---------------------------------------------------------- EFLAGS at CPL 3
    pushfd
    pop eax
    and eax, 0x3200
    CHECK_EAX 0, "ring 3: IOPL 0, IF 0"
    pushfd
    or dword [esp], 0x3200
    popfd
    pushfd
    pop eax
    and eax, 0x3200
    CHECK_EAX 0, "POPF at CPL 3 changes neither IOPL nor IF"

    ; ---------------------------------------------------------- INT n, DPL-3 gate
    mov dword [h_count], 0
    mov [r3_esp], esp
    int 0x40
.after_int40:
    mov eax, cs
    movzx eax, ax
    CHECK_EAX SEL_CODE3 | 3, "INT 0x40: IRET returned to ring 3"
    mov eax, esp
    sub eax, [r3_esp]
    CHECK_EAX 0, "INT 0x40: ESP restored after IRET"
    mov eax, [h_count]
    CHECK_EAX 1, "INT 0x40: handler ran once"
    mov eax, [h_esp]
    CHECK_EAX ESP0 - 20, "INT 0x40: handler stack is SS0:ESP0 minus 5 dwords"
    mov eax, [h_ss]
    CHECK_EAX SEL_DATA0, "INT 0x40: handler SS is SS0 from the TSS"
    mov eax, [h_cs]
    CHECK_EAX SEL_CODE0, "INT 0x40: handler CS (CPL 0)"
    mov eax, [h_eip]
    CHECK_EAX .after_int40, "INT 0x40: pushed EIP is after the INT"
    mov eax, [h_pcs]
    CHECK_EAX SEL_CODE3 | 3, "INT 0x40: pushed CS"
    mov eax, [h_outer_ss]
    CHECK_EAX SEL_DATA3 | 3, "INT 0x40: pushed outer SS"
    mov eax, [h_outer_esp]
    sub eax, [r3_esp]
    CHECK_EAX 0, "INT 0x40: pushed outer ESP"
    mov eax, [h_efl]
    and eax, 0x3202
    CHECK_EAX 0x0002, "INT 0x40: pushed EFLAGS"
    mov eax, [h_ds]
    CHECK_EAX SEL_DATA3 | 3, "INT 0x40: DS is unchanged in the handler"
    ; a trap gate to the same handler
    mov [r3_esp], esp
    int 0x42
.after_int42:
    mov eax, [h_eip]
    CHECK_EAX .after_int42, "INT 0x42 (DPL-3 trap gate): pushed EIP"
    mov eax, [h_esp]
    CHECK_EAX ESP0 - 20, "INT 0x42: handler stack at ESP0"
    mov eax, [h_count]
    CHECK_EAX 2, "INT 0x42: handler ran"

    ; ---------------------------------------------------------- call gate
    mov [r3_esp], esp
    push dword 0x11111111
    push dword 0x22222222
    call S_CGATE | 3 : 0xDEADBEEF       ; the gate's offset is used, not this one
.after_cg:
    mov eax, esp
    sub eax, [r3_esp]
    CHECK_EAX 0, "call gate: RETF 8 popped the parameters from the ring-3 stack"
    mov eax, cs
    movzx eax, ax
    CHECK_EAX SEL_CODE3 | 3, "call gate: RETF returned to ring 3"
    mov eax, ss
    movzx eax, ax
    CHECK_EAX SEL_DATA3 | 3, "call gate: RETF restored the ring-3 SS"
    mov eax, [h_cs]
    CHECK_EAX SEL_CODE0, "call gate: target runs at CPL 0"
    mov eax, [h_esp]
    CHECK_EAX ESP0 - 24, "call gate: inner stack = ESP0 - (SS, ESP, 2 params, CS, EIP)"
    mov eax, [h_ss]
    CHECK_EAX SEL_DATA0, "call gate: inner SS is SS0"
    mov eax, [h_eip]
    CHECK_EAX .after_cg, "call gate: pushed return EIP"
    mov eax, [h_pcs]
    CHECK_EAX SEL_CODE3 | 3, "call gate: pushed return CS"
    mov eax, [h_p1]
    CHECK_EAX 0x11111111, "call gate: first parameter copied"
    mov eax, [h_p2]
    CHECK_EAX 0x22222222, "call gate: second parameter copied"
    mov eax, [r3_esp]
    sub eax, 8
    sub eax, [h_outer_esp]
    CHECK_EAX 0, "call gate: pushed outer ESP points at the parameters"
    mov eax, [h_outer_ss]
    CHECK_EAX SEL_DATA3 | 3, "call gate: pushed outer SS"

    ; ---------------------------------------------------------- conforming code
    xor eax, eax
    call S_CONF | 3 : conf_fn
    movzx eax, ax
    CHECK_EAX S_CONF | 3, "far call to DPL-0 conforming code keeps CPL 3 (CS.RPL = 3)"

    ; ---------------------------------------------------------- faults from ring 3
    TRY call SEL_CODE0 : conf_fn
    CHECK_FAULT 13, SEL_CODE0, "far call to DPL-0 non-conforming code raises #GP(sel)"
    TRY call S_CGATE0 | 3 : 0
    CHECK_FAULT 13, S_CGATE0, "call through a DPL-0 call gate raises #GP(gate)"
    TRY jmp S_CGJMP | 3 : 0
    CHECK_FAULT 13, SEL_CODE0, "JMP through a call gate to more privileged code raises #GP(code sel)"
    TRY int 0x41
    CHECK_FAULT 13, 0x41 * 8 + 2, "INT 0x41 through a DPL-0 gate raises #GP(0x41*8+2)"
    mov al, 0x7F
    add al, 1                           ; OF = 1
    TRY into
    CHECK_FAULT 13, 4 * 8 + 2, "INTO through a DPL-0 gate raises #GP(4*8+2)"
    TRY hlt
    CHECK_FAULT 13, 0, "HLT at CPL 3 raises #GP(0)"
    TRY cli
    CHECK_FAULT 13, 0, "CLI at CPL 3 with IOPL 0 raises #GP(0)"
    TRY sti
    CHECK_FAULT 13, 0, "STI at CPL 3 with IOPL 0 raises #GP(0)"
    mov dx, 0xE9
    TRY out dx, al
    CHECK_FAULT 13, 0, "OUT at CPL 3, IOPL 0, no I/O bitmap raises #GP(0)"
    TRY in al, 0x80
    CHECK_FAULT 13, 0, "IN at CPL 3, IOPL 0, no I/O bitmap raises #GP(0)"
    TRY mov eax, cr0
    CHECK_FAULT 13, 0, "MOV from CR0 at CPL 3 raises #GP(0)"
    TRY lgdt [scratch]
    CHECK_FAULT 13, 0, "LGDT at CPL 3 raises #GP(0)"
    mov ax, S_TSS
    TRY ltr ax
    CHECK_FAULT 13, 0, "LTR at CPL 3 raises #GP(0)"
    mov ax, SEL_DATA0
    TRY mov fs, ax
    CHECK_FAULT 13, SEL_DATA0, "MOV FS, DPL-0 data at CPL 3 raises #GP(sel)"
    mov ax, SEL_DATA0 | 3
    TRY mov fs, ax
    CHECK_FAULT 13, SEL_DATA0, "MOV FS, DPL-0 data with RPL 3 at CPL 3 raises #GP(sel)"
    ; IRET and RETF to an inner level
    push dword 0x00000002
    push dword SEL_CODE0
    push dword .never
    TRY iretd
    add esp, 12
    CHECK_FAULT 13, SEL_CODE0, "IRET at CPL 3 to a CPL-0 CS raises #GP(sel)"
    push dword SEL_CODE0
    push dword .never
    TRY retf
    add esp, 8
    CHECK_FAULT 13, SEL_CODE0, "RETF at CPL 3 to a CPL-0 CS raises #GP(sel)"

    ; exception frames from ring 3: #UD (no error code), #GP (error code)
    mov [r3_esp], esp
    TRYL .ud, ud2
    CHECK_FAULT 6, 0, "UD2 at CPL 3 raises #UD"
    mov eax, [exc_eip]
    CHECK_EAX .ud, "#UD from ring 3: pushed EIP is the UD2 (no error code in the frame)"
    mov eax, [exc_cs]
    CHECK_EAX SEL_CODE3 | 3, "#UD from ring 3: pushed CS"
    mov eax, [exc_esp]
    sub eax, [r3_esp]
    CHECK_EAX 0, "#UD from ring 3: pushed outer ESP"
    mov eax, [exc_ss]
    CHECK_EAX SEL_DATA3 | 3, "#UD from ring 3: pushed outer SS"
    mov eax, [exc_frame]
    CHECK_EAX ESP0 - 20, "#UD from ring 3: frame on the ring-0 stack at ESP0"
    TRYL .gp, hlt
    mov eax, [exc_eip]
    CHECK_EAX .gp, "#GP from ring 3: pushed EIP is the HLT"
    mov eax, [exc_frame]
    CHECK_EAX ESP0 - 20, "#GP from ring 3: error code below EIP at ESP0-24"
    mov eax, [exc_cs]
    CHECK_EAX SEL_CODE3 | 3, "#GP from ring 3: pushed CS"
    mov eax, [exc_ss]
    CHECK_EAX SEL_DATA3 | 3, "#GP from ring 3: pushed outer SS"
    ; INT3 through a DPL-3 gate (a trap: EIP after the instruction)
    TRYL .bp, int3
    CHECK_FAULT 3, 0, "INT3 through a DPL-3 gate reaches the handler"
    mov eax, [exc_eip]
    CHECK_EAX .bp + 1, "INT3: pushed EIP is after the INT3"
    mov eax, [exc_cs]
    CHECK_EAX SEL_CODE3 | 3, "INT3: pushed CS"
    mov eax, cs
    and eax, 3
    CHECK_EAX 3, "still at CPL 3 after the faults"

    ; ---------------------------------------------------------- back to ring 0
    call S_CGBACK | 3 : 0
.never:
    jmp .never

; ring 0, reached through the call gate S_CGBACK
back_to_ring0:
    mov ebx, cs
    mov ecx, esp
    mov edx, ss
    mov esp, STACK0
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    call flush_log                      ; the results logged at CPL 3
    movzx eax, bx
    CHECK_EAX SEL_CODE0, "call gate back to ring 0: CS"
    mov eax, ecx
    CHECK_EAX ESP0 - 16, "call gate back to ring 0: on the ESP0 stack (SS, ESP, CS, EIP)"
    movzx eax, dx
    CHECK_EAX SEL_DATA0, "call gate back to ring 0: SS is SS0"
    movzx eax, byte [GDT_BASE + S_TSS + 5]
    CHECK_EAX 0x8B, "the TSS is still busy"
    jmp finish

; INT 0x40 / 0x42 handler: record the frame and the handler state
int40_handler:
    mov [ss:h_esp], esp
    push eax
    mov eax, ss
    mov [ss:h_ss], eax
    mov eax, cs
    mov [ss:h_cs], eax
    mov eax, ds
    mov [ss:h_ds], eax
    mov eax, [esp + 4]
    mov [ss:h_eip], eax
    mov eax, [esp + 8]
    mov [ss:h_pcs], eax
    mov eax, [esp + 12]
    mov [ss:h_efl], eax
    mov eax, [esp + 16]
    mov [ss:h_outer_esp], eax
    mov eax, [esp + 20]
    mov [ss:h_outer_ss], eax
    inc dword [ss:h_count]
    pop eax
    iretd

; call gate target: frame is EIP, CS, param 2, param 1, ESP, SS
cg_handler:
    mov [ss:h_esp], esp
    push eax
    mov eax, ss
    mov [ss:h_ss], eax
    mov eax, cs
    mov [ss:h_cs], eax
    mov eax, [esp + 4]
    mov [ss:h_eip], eax
    mov eax, [esp + 8]
    mov [ss:h_pcs], eax
    mov eax, [esp + 12]
    mov [ss:h_p2], eax
    mov eax, [esp + 16]
    mov [ss:h_p1], eax
    mov eax, [esp + 20]
    mov [ss:h_outer_esp], eax
    mov eax, [esp + 24]
    mov [ss:h_outer_ss], eax
    pop eax
    retf 8

; conforming code: return CS in AX
conf_fn:
    mov ax, cs
    retf

    ROM_END
