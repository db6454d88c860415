; pm-v86.asm - virtual-8086 mode
; (a -bios ROM for wasmvisor/QEMU; see pm-common.inc)
;
; A 32-bit TSS (SS0:ESP0, and an I/O permission bitmap for all 65536 ports
; that allows only port 0x80) and a ring-0 V86 monitor: the #GP handler logs
; each #GP raised in V86 mode (error code, IP, opcode, pushed EFLAGS and SP)
; and skips the instruction; a HLT leaves V86 mode for good. V86 code runs
; from the ROM at F000:xxxx with DS=1000 ES=2000 FS=3000 GS=4000
; SS:SP=5000:FFF0 and writes its observations at 1000:0100, which ring 0
; checks afterwards. The 8259s are masked so that STI in V86 is harmless.
;  1. IOPL=3, entered by IRET with EFLAGS.VM=1: segment registers and
;     SS:SP from the IRET frame, real-mode addressing (selector << 4), INT
;     0x30 through a DPL-3 interrupt gate to ring 0 (stack SS0:ESP0, frame GS
;     FS DS ES SS ESP EFLAGS(VM=1) CS EIP, data segment registers zero in the
;     handler, IRET back restores them), CLI/STI/PUSHF work, POPF keeps
;     IOPL, INT 0x32 through a DPL-0 gate raises #GP(0x32*8+2), INT 0x31
;     through a DPL-3 gate leaves V86 mode for good (back to protected mode).
;  2. IOPL=0: CLI, STI, PUSHF, POPF, INT n and IRET each raise #GP(0) to the
;     monitor (nothing pushed or popped).
;  3. IOPL=3, I/O: IN/OUT in V86 mode are checked against the TSS I/O
;     permission bitmap whatever the IOPL (allowed port 0x80: no fault;
;     port 0x81 and a word access to 0x7F-0x80: #GP(0)). Kept last.

%include "pm-common.inc"

TSS_BASE    equ 0x8000          ; TSS + 8 KiB I/O bitmap + terminator
IOMAP       equ TSS_BASE + 0x68
ESP0        equ 0x70000

S_TSS       equ 0x28

V86_DS      equ 0x1000
V86_ES      equ 0x2000
V86_FS      equ 0x3000
V86_GS      equ 0x4000
V86_SS      equ 0x5000
V86_SP      equ 0xFFF0
RES         equ V86_DS * 16 + 0x100 ; V86 results (DS:0100)

EFL_VM      equ 0x20000
EFL_IOPL3   equ 0x3000

; variables
v86_r0_esp  equ USERVARS + 0x00
h_esp       equ USERVARS + 0x04
h_ds        equ USERVARS + 0x08
h_es        equ USERVARS + 0x0C
h_fs        equ USERVARS + 0x10
h_gs        equ USERVARS + 0x14
h_ss        equ USERVARS + 0x18
h_cs        equ USERVARS + 0x1C
x_efl       equ USERVARS + 0x20     ; EFLAGS pushed by INT 0x31
x_cs        equ USERVARS + 0x24
gp_count    equ USERVARS + 0x28
gp_ptr      equ USERVARS + 0x2C
h_frame     equ USERVARS + 0x40     ; 9 dwords
GP_LOG      equ USERVARS + 0x100    ; entries of 32 bytes
; log entry fields
G_ERR       equ 0
G_IP        equ 4
G_OP        equ 8
G_EFL       equ 12
G_SP        equ 16
G_CS        equ 20

    align 8
gdt_template:
    dq 0
    DESC 0, 0xFFFFF, 0x9B, 0xC          ; 0x08 code, ring 0
    DESC 0, 0xFFFFF, 0x93, 0xC          ; 0x10 data, ring 0
    DESC 0, 0xFFFFF, 0xFB, 0xC          ; 0x18 code, ring 3
    DESC 0, 0xFFFFF, 0xF3, 0xC          ; 0x20 data, ring 3
    DESC TSS_BASE, 0x68 + 0x2000, 0x89, 0x0 ; 0x28 TSS with a full I/O bitmap
gdt_template_end:

; the n-th logged #GP: error code, IP (label), opcode
%macro CHECK_GP 4
    mov eax, [GP_LOG + (%1) * 32 + G_ERR]
    and eax, 0xFFFF
    CHECK_EAX %2, {%4, ": #GP error code"}
    mov eax, [GP_LOG + (%1) * 32 + G_IP]
    CHECK_EAX (%3) - ROMBASE, {%4, ": pushed EIP is the instruction"}
%endmacro

%define IP(x) ((x) - ROMBASE)

tests:
    ; mask the 8259s
    mov al, 0xFF
    out 0x21, al
    out 0xA1, al
    ; TSS: SS0:ESP0; I/O bitmap denies all ports but 0x80
    mov edi, TSS_BASE
    mov ecx, 0x68 / 4
    xor eax, eax
    rep stosd
    mov dword [TSS_BASE + 4], ESP0
    mov dword [TSS_BASE + 8], SEL_DATA0
    mov word [TSS_BASE + 0x66], 0x68
    mov edi, IOMAP
    mov ecx, 0x2000 / 4 + 1
    mov eax, 0xFFFFFFFF
    rep stosd
    and byte [IOMAP + 0x80 / 8], ~(1 << (0x80 % 8))
    mov ax, S_TSS
    ltr ax
    ; gates
    mov eax, 13
    mov ebx, v86_gp
    mov ecx, 0x8E00
    call set_gate
    mov eax, 0x30
    mov ebx, int30_handler
    mov ecx, 0xEE00
    call set_gate
    mov eax, 0x31
    mov ebx, int31_handler
    mov ecx, 0xEE00
    call set_gate
    ; data for the V86 code
    mov word [0x23456], 0x5A5A
    mov dword [gp_ptr], GP_LOG

    ; ---------------------------------------------------------- 1. IOPL 3
    mov ebx, IP(v86_1)
    mov ecx, EFL_VM | EFL_IOPL3 | 2
    call enter_v86
    mov eax, cs
    movzx eax, ax
    CHECK_EAX SEL_CODE0, "INT 0x31 from V86 returned to protected mode, CPL 0"
    mov eax, [x_efl]
    and eax, EFL_VM
    CHECK_EAX EFL_VM, "INT 0x31: pushed EFLAGS has VM=1"
    mov eax, [x_cs]
    CHECK_EAX 0xF000, "INT 0x31: pushed CS is the V86 segment"
    movzx eax, word [RES + 0x00]
    CHECK_EAX 0xF000, "V86 entry: CS = F000 from the IRET frame"
    movzx eax, word [RES + 0x02]
    CHECK_EAX V86_DS, "V86 entry: DS from the IRET frame"
    movzx eax, word [RES + 0x04]
    CHECK_EAX V86_SS, "V86 entry: SS"
    movzx eax, word [RES + 0x06]
    CHECK_EAX V86_SP, "V86 entry: SP"
    movzx eax, word [RES + 0x08]
    CHECK_EAX V86_ES, "V86 entry: ES"
    movzx eax, word [RES + 0x0A]
    CHECK_EAX V86_FS, "V86 entry: FS"
    movzx eax, word [RES + 0x0C]
    CHECK_EAX V86_GS, "V86 entry: GS"
    movzx eax, word [RES + 0x0E]
    and eax, 0x3200
    CHECK_EAX 0x3000, "V86 PUSHF: IOPL 3, IF 0"
    ; INT 0x30 frame
    mov eax, [h_esp]
    CHECK_EAX ESP0 - 36, "INT 0x30 from V86: handler stack = ESP0 - 9 dwords"
    mov eax, [h_ss]
    CHECK_EAX SEL_DATA0, "INT 0x30 from V86: handler SS = SS0"
    mov eax, [h_cs]
    CHECK_EAX SEL_CODE0, "INT 0x30 from V86: handler CS"
    mov eax, [h_frame + 0]
    CHECK_EAX IP(v86_1.ret30), "INT 0x30 frame: EIP after the INT"
    mov eax, [h_frame + 4]
    and eax, 0xFFFF
    CHECK_EAX 0xF000, "INT 0x30 frame: CS"
    mov eax, [h_frame + 8]
    and eax, 0x23200
    CHECK_EAX EFL_VM | EFL_IOPL3, "INT 0x30 frame: EFLAGS with VM=1, IOPL 3, IF 0"
    mov eax, [h_frame + 12]
    CHECK_EAX V86_SP, "INT 0x30 frame: ESP"
    mov eax, [h_frame + 16]
    and eax, 0xFFFF
    CHECK_EAX V86_SS, "INT 0x30 frame: SS"
    mov eax, [h_frame + 20]
    and eax, 0xFFFF
    CHECK_EAX V86_ES, "INT 0x30 frame: ES"
    mov eax, [h_frame + 24]
    and eax, 0xFFFF
    CHECK_EAX V86_DS, "INT 0x30 frame: DS"
    mov eax, [h_frame + 28]
    and eax, 0xFFFF
    CHECK_EAX V86_FS, "INT 0x30 frame: FS"
    mov eax, [h_frame + 32]
    and eax, 0xFFFF
    CHECK_EAX V86_GS, "INT 0x30 frame: GS"
    mov eax, [h_ds]
    CHECK_EAX 0, "INT 0x30 handler: DS = 0"
    mov eax, [h_es]
    CHECK_EAX 0, "INT 0x30 handler: ES = 0"
    mov eax, [h_fs]
    CHECK_EAX 0, "INT 0x30 handler: FS = 0"
    mov eax, [h_gs]
    CHECK_EAX 0, "INT 0x30 handler: GS = 0"
    movzx eax, word [RES + 0x10]
    CHECK_EAX 0x600D, "after IRET to V86: AX set by the handler"
    movzx eax, word [RES + 0x12]
    CHECK_EAX V86_DS, "after IRET to V86: DS restored"
    movzx eax, word [RES + 0x14]
    CHECK_EAX V86_ES, "after IRET to V86: ES restored"
    movzx eax, word [RES + 0x16]
    CHECK_EAX V86_FS, "after IRET to V86: FS restored"
    movzx eax, word [RES + 0x18]
    CHECK_EAX V86_GS, "after IRET to V86: GS restored"
    movzx eax, word [RES + 0x1A]
    CHECK_EAX V86_SS, "after IRET to V86: SS restored"
    movzx eax, word [RES + 0x1C]
    CHECK_EAX V86_SP, "after IRET to V86: SP restored"
    movzx eax, word [RES + 0x1E]
    and eax, 0x200
    CHECK_EAX 0, "V86 IOPL 3: CLI clears IF"
    movzx eax, word [RES + 0x20]
    and eax, 0x200
    CHECK_EAX 0x200, "V86 IOPL 3: STI sets IF"
    movzx eax, word [RES + 0x22]
    and eax, 0x3000
    CHECK_EAX 0x3000, "V86: POPF does not change IOPL"
    movzx eax, word [0x12350]
    CHECK_EAX 0xBEEF, "V86: write to 1234:0010 lands at linear 0x12350"
    movzx eax, word [RES + 0x24]
    CHECK_EAX 0x5A5A, "V86: read of 2345:0006 comes from linear 0x23456"
    mov eax, [gp_count]
    CHECK_EAX 1, "V86 IOPL 3: one #GP (the INT through a DPL-0 gate)"
    CHECK_GP 0, 0x32 * 8 + 2, v86_1.int32, "INT 0x32 from V86 through a DPL-0 gate"
    movzx eax, word [RES + 0x26]
    CHECK_EAX 0x77, "V86 code continued after the skipped INT 0x32"

    ; ---------------------------------------------------------- 2. IOPL 0
    mov dword [gp_count], 0
    mov dword [gp_ptr], GP_LOG
    mov ebx, IP(v86_2)
    mov ecx, EFL_VM | 2
    call enter_v86
    mov eax, [gp_count]
    CHECK_EAX 7, "V86 IOPL 0: seven #GP (CLI STI PUSHF POPF INT IRET HLT)"
    CHECK_GP 0, 0, v86_2.cli, "V86 IOPL 0: CLI"
    CHECK_GP 1, 0, v86_2.sti, "V86 IOPL 0: STI"
    CHECK_GP 2, 0, v86_2.pushf, "V86 IOPL 0: PUSHF"
    CHECK_GP 3, 0, v86_2.popf, "V86 IOPL 0: POPF"
    CHECK_GP 4, 0, v86_2.int, "V86 IOPL 0: INT 0x30"
    CHECK_GP 5, 0, v86_2.iret, "V86 IOPL 0: IRET"
    mov eax, [GP_LOG + 6 * 32 + G_OP]
    CHECK_EAX 0xF4, "V86: HLT raises #GP to the monitor"
    mov eax, [GP_LOG + 3 * 32 + G_SP]
    CHECK_EAX V86_SP, "V86 IOPL 0: the faulting PUSHF pushed nothing"
    mov eax, [GP_LOG + 6 * 32 + G_SP]
    CHECK_EAX V86_SP, "V86 IOPL 0: SP unchanged at the HLT"
    mov eax, [GP_LOG + 4 * 32 + G_EFL]
    and eax, 0x23000
    CHECK_EAX EFL_VM, "V86 IOPL 0: #GP frame EFLAGS has VM=1, IOPL 0"
    mov eax, [GP_LOG + 4 * 32 + G_CS]
    and eax, 0xFFFF
    CHECK_EAX 0xF000, "V86 IOPL 0: #GP frame CS"
    movzx eax, word [RES + 0x30]
    CHECK_EAX 0x99, "V86 IOPL 0: code after the faulting instructions ran"

    ; ---------------------------------------------------------- 3. I/O bitmap
    mov dword [gp_count], 0
    mov dword [gp_ptr], GP_LOG
    mov ebx, IP(v86_3)
    mov ecx, EFL_VM | EFL_IOPL3 | 2
    call enter_v86
    mov eax, [GP_LOG + 0 * 32 + G_OP]
    CHECK_EAX 0xE4, "V86 I/O: IN AL, 0x80 (allowed) and OUT 0x80 do not fault, IN AL, 0x81 does"
    mov eax, [GP_LOG + 0 * 32 + G_IP]
    CHECK_EAX IP(v86_3.in81), "V86 I/O: #GP at IN AL, 0x81 (port denied, IOPL 3)"
    mov eax, [GP_LOG + 1 * 32 + G_IP]
    CHECK_EAX IP(v86_3.out81), "V86 I/O: #GP at OUT DX, AL (DX = 0x81)"
    mov eax, [GP_LOG + 2 * 32 + G_IP]
    CHECK_EAX IP(v86_3.in7f), "V86 I/O: #GP at IN AX, 0x7F (0x7F denied, 0x80 allowed)"
    mov eax, [GP_LOG + 2 * 32 + G_ERR]
    and eax, 0xFFFF
    CHECK_EAX 0, "V86 I/O: error code 0"
    mov eax, [gp_count]
    CHECK_EAX 4, "V86 I/O: four #GP (three I/O, HLT)"
    jmp finish

; enter_v86: ebx = IP, ecx = EFLAGS; returns when the V86 code leaves
enter_v86:
    mov [v86_r0_esp], esp
    push dword V86_GS
    push dword V86_FS
    push dword V86_DS
    push dword V86_ES
    push dword V86_SS
    push dword V86_SP
    push ecx
    push dword 0xF000
    push ebx
    iretd

v86_leave:
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov esp, [ss:v86_r0_esp]
    ret

; INT 0x30 from V86: record the state and the frame, AX = 0x600D, IRET
int30_handler:
    mov [ss:h_esp], esp
    push eax
    push ecx
    mov eax, ds
    mov [ss:h_ds], eax
    mov eax, es
    mov [ss:h_es], eax
    mov eax, fs
    mov [ss:h_fs], eax
    mov eax, gs
    mov [ss:h_gs], eax
    mov eax, ss
    mov [ss:h_ss], eax
    mov eax, cs
    mov [ss:h_cs], eax
    xor ecx, ecx
.l: mov eax, [ss:esp + 8 + ecx * 4]
    mov [ss:h_frame + ecx * 4], eax
    inc ecx
    cmp ecx, 9
    jb .l
    pop ecx
    pop eax
    mov ax, 0x600D
    iretd

; INT 0x31 from V86: back to protected mode for good
int31_handler:
    mov eax, [ss:esp + 8]
    mov [ss:x_efl], eax
    mov eax, [ss:esp + 4]
    and eax, 0xFFFF
    mov [ss:x_cs], eax
    jmp v86_leave

; #GP: from V86 log and skip the instruction (HLT: leave); else the harness
v86_gp:
    test dword [ss:esp + 12], EFL_VM
    jnz .v86
    jmp exc_stubs + 13 * 16
.v86:
    push eax
    push ebx
    ; stack: ebx, eax, err, eip, cs, eflags, esp, ss, es, ds, fs, gs
    mov ebx, [ss:gp_ptr]
    mov eax, [ss:esp + 8]
    mov [ss:ebx + G_ERR], eax
    mov eax, [ss:esp + 12]
    mov [ss:ebx + G_IP], eax
    mov eax, [ss:esp + 16]
    mov [ss:ebx + G_CS], eax
    mov eax, [ss:esp + 20]
    mov [ss:ebx + G_EFL], eax
    mov eax, [ss:esp + 24]
    mov [ss:ebx + G_SP], eax
    movzx eax, word [ss:esp + 16]
    shl eax, 4
    add eax, [ss:esp + 12]
    movzx eax, byte [ss:eax]
    mov [ss:ebx + G_OP], eax
    add dword [ss:gp_ptr], 32
    inc dword [ss:gp_count]
    cmp al, 0xF4
    je v86_leave
    mov ebx, 1
    cmp al, 0xCD
    je .two
    cmp al, 0xE4
    jb .skip
    cmp al, 0xE7
    ja .skip
.two:
    mov ebx, 2
.skip:
    add [ss:esp + 12], ebx
    pop ebx
    pop eax
    add esp, 4
    iretd

; ---------------------------------------------------------------- V86 code
    bits 16
v86_1:
    mov [0x100], cs
    mov [0x102], ds
    mov [0x104], ss
    mov [0x106], sp
    mov [0x108], es
    mov [0x10A], fs
    mov [0x10C], gs
    cli
    pushf
    pop word [0x10E]
    mov ax, 0x1234
    int 0x30
.ret30:
    mov [0x110], ax
    mov [0x112], ds
    mov [0x114], es
    mov [0x116], fs
    mov [0x118], gs
    mov [0x11A], ss
    mov [0x11C], sp
    cli
    pushf
    pop word [0x11E]
    sti
    pushf
    pop word [0x120]
    cli
    pushf
    pop ax
    and ax, 0xCFFF
    push ax
    popf
    pushf
    pop word [0x122]
    mov ax, 0x1234
    mov es, ax
    mov word [es:0x10], 0xBEEF
    mov ax, 0x2345
    mov es, ax
    mov ax, [es:6]
    mov [0x124], ax
.int32:
    int 0x32
    mov word [0x126], 0x77
    int 0x31
.never:
    jmp .never

v86_2:
    mov word [0x130], 0
.cli:
    cli
.sti:
    sti
.pushf:
    pushf
.popf:
    popf
.int:
    int 0x30
.iret:
    iret
    mov word [0x130], 0x99
    hlt
.never:
    jmp .never

v86_3:
    in al, 0x80
    out 0x80, al
.in81:
    in al, 0x81
    mov dx, 0x81
.out81:
    out dx, al
.in7f:
    in ax, 0x7F
    hlt
.never:
    jmp .never
    bits 32

    ROM_END
