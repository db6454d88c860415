; pm-exc.asm - the exceptions of 32-bit protected mode: vector, error code
; (pushed or not, and its value) and saved EIP (fault: the faulting
; instruction; trap: the next one)
; (a -bios ROM for wasmvisor/QEMU; see pm-common.inc)
;
; Checked: #DE (DIV by 0, 8-bit DIV quotient overflow, IDIV overflow, AAM 0);
; #DB (INT1 = F1 is a trap; the TF single-step trap after the instruction
; following the POPF that set TF); #BP (INT3, a trap); #OF (INTO with OF=1
; through a DPL-0 gate at CPL 0 and a DPL-3 gate at CPL 3, a trap; no #OF
; with OF=0); #BR (BOUND out of range, a fault; in range: no fault); #UD
; (UD2, UD0 = 0F FF, 0F 04, LOCK NOP, LOCK ADD reg,reg); #NM (x87 with
; CR0.EM=1, WAIT with MP=1 and TS=1, x87 with TS=1; WAIT with EM=1 MP=0 and
; with MP=0 TS=1 does not fault); #TS(sel) (JMP to a TSS with limit 0x60);
; #NP(sel) (MOV DS, not-present segment), #NP(vector*8+2) (INT n through a
; not-present gate), #NP(vector*8+2+EXT) (#UD through a not-present gate);
; #SS(0) (SS-relative access beyond the SS limit), #SS(sel) (MOV SS,
; not-present writable segment); #GP(0) (far JMP to a null selector, MOV SS
; with a null selector), #GP(sel) (selector beyond the GDT limit),
; #GP(vector*8+2) (INT n through a gate of an invalid type),
; #GP(vector*8+2+EXT) (#UD, a hardware exception, through that gate); #DF
; (a #GP whose gate points at a not-present code segment: #NP during its
; delivery, hence #DF with error code 0 through an interrupt gate; ESP
; unchanged by the aborted deliveries); #PF (4 MiB pages: not-present
; read/write/fetch, supervisor write to a read-only page with CR0.WP=1, user
; read of a supervisor page, user write to a read-only page, user read of a
; not-present page; error codes, CR2 at CPL 0, saved EIP); #AC (CR0.AM=1,
; EFLAGS.AC=1, misaligned dword and word accesses at CPL 3: error code 0, a
; fault; aligned and byte accesses, and AC=0, do not fault).
;
; Not covered here: #MF (vector 16), which test/x87-unit.test.ts checks with
; the x87 FPU (CR0.NE = 1, and FERR#/IRQ 13 with CR0.NE = 0);
; NMI (vector 2) cannot be raised by the guest itself (no NMI source is
; modelled that the guest could trigger); #DB from debug registers is in
; pm-debug.
;
; Where QEMU 7.2 (TCG, qemu32) disagrees with the SDM: pm-exc.expected is
; the SDM's answer, checked with Bochs 2.7 (all ok); pm-exc.qemu is what
; QEMU prints (11 "not ok"):
;  * INT1 (F1) raises #UD instead of #DB (QEMU decodes ICEBP only when built
;    with WANT_ICEBP);
;  * the EXT bit (bit 0) is not set in the error code of a #NP or #GP raised
;    while delivering a hardware exception (#UD through a not-present or
;    invalid gate: 0x32 instead of 0x33);
;  * data accesses beyond the SS limit do not raise #SS(0) (no limit checks on
;    data accesses, as in pm-limits);
;  * #AC is not implemented (misaligned accesses at CPL 3 with AM=1, AC=1 do
;    not fault).

%include "pm-common.inc"

TSS_BASE    equ 0x2000
TSS_SMALL   equ 0x2100
ESP0        equ 0x70000
R3_STACK    equ 0x60000
PD          equ 0x20000

S_TSS       equ 0x28
S_TSSSMALL  equ 0x30            ; 32-bit TSS, limit 0x60
S_NPDATA    equ 0x38            ; writable data, DPL 0, not present
S_NPCODE    equ 0x40            ; code, DPL 0, not present
S_SSLIM     equ 0x48            ; writable data, base 0, limit 0xFFFFF bytes
S_CGBACK    equ 0x50            ; call gate DPL 3 -> back_to_ring0

db_count    equ USERVARS + 0x00
db_eip      equ USERVARS + 0x04
bnds        equ USERVARS + 0x10     ; BOUND pair: 0x100, 0x200
saved_esp   equ USERVARS + 0x18
acvar       equ USERVARS + 0x20     ; 16 bytes for the #AC checks

    align 8
gdt_template:
    dq 0
    DESC 0, 0xFFFFF, 0x9B, 0xC          ; 0x08 code, ring 0
    DESC 0, 0xFFFFF, 0x93, 0xC          ; 0x10 data, ring 0
    DESC 0, 0xFFFFF, 0xFB, 0xC          ; 0x18 code, ring 3
    DESC 0, 0xFFFFF, 0xF3, 0xC          ; 0x20 data, ring 3
    DESC TSS_BASE, 0x67, 0x89, 0x0      ; 0x28 32-bit TSS
    DESC TSS_SMALL, 0x60, 0x89, 0x0     ; 0x30 32-bit TSS, limit too small
    DESC 0, 0xFFFFF, 0x13, 0xC          ; 0x38 data, P=0
    DESC 0, 0xFFFFF, 0x1B, 0xC          ; 0x40 code, P=0
    DESC 0, 0xFFFFF, 0x93, 0x4          ; 0x48 data, limit 1 MiB - 1 (byte granular)
    GATE SEL_CODE0, ABS(back_to_ring0), 0xEC, 0 ; 0x50
gdt_template_end:

; restore a harness gate (DPL-0 interrupt gate to the recording stub)
%macro STUB_GATE 1
    mov eax, %1
    mov ebx, exc_stubs + (%1) * 16
    mov ecx, 0x8E00
    call set_gate
%endmacro

; raw IDT entry: vector, low dword, high dword
%macro RAW_GATE 3
    mov dword [IDT_BASE + (%1) * 8], %2
    mov dword [IDT_BASE + (%1) * 8 + 4], %3
%endmacro

; after a TRYL label: check the saved EIP
%macro CHECK_EIP 2
    mov eax, [ss:exc_eip]
    CHECK_EAX %1, %2
%endmacro

tests:
    ; the TSS for ring 3 (SS0:ESP0), and the small TSS
    mov edi, TSS_BASE
    mov ecx, 0x200 / 4
    xor eax, eax
    rep stosd
    mov dword [TSS_BASE + 4], ESP0
    mov dword [TSS_BASE + 8], SEL_DATA0
    mov word [TSS_BASE + 0x66], 0x68
    mov ax, S_TSS
    ltr ax

    ; ---------------------------------------------------------- #DE
    xor ecx, ecx
    xor edx, edx
    mov eax, 1
    TRYL .de1, div ecx
    CHECK_FAULT 0, 0, "DIV by 0 raises #DE (no error code)"
    CHECK_EIP .de1, "DIV by 0: saved EIP is the DIV (fault)"
    mov ax, 0x1000
    mov bl, 1
    TRYL .de2, div bl
    CHECK_FAULT 0, 0, "8-bit DIV with a quotient > 0xFF raises #DE"
    CHECK_EIP .de2, "8-bit DIV overflow: saved EIP is the DIV"
    mov eax, 0x80000000
    mov edx, 0xFFFFFFFF
    mov ecx, -1
    TRYL .de3, idiv ecx
    CHECK_FAULT 0, 0, "IDIV 0x80000000 / -1 raises #DE"
    CHECK_EIP .de3, "IDIV overflow: saved EIP is the IDIV"
    TRYL .de4, db 0xD4, 0x00            ; AAM 0
    CHECK_FAULT 0, 0, "AAM 0 raises #DE"
    CHECK_EIP .de4, "AAM 0: saved EIP is the AAM"
    mov eax, 100
    xor edx, edx
    mov ecx, 7
    TRY div ecx
    CHECK_FAULT NOFAULT, 0, "DIV 100 / 7 does not fault"

    ; ---------------------------------------------------------- #DB
    TRYL .db1, db 0xF1                  ; INT1 / ICEBP
    CHECK_FAULT 1, 0, "INT1 (F1) raises #DB (no error code)"
    CHECK_EIP .db1 + 1, "INT1: saved EIP is after the F1 (trap)"
    mov eax, 1
    mov ebx, db_handler
    mov ecx, 0x8E00
    call set_gate
    mov dword [db_count], 0
    mov dword [db_eip], 0
    pushfd
    or dword [esp], 0x100
    popfd
    nop
.db2:
    nop
    mov eax, [db_count]
    CHECK_EAX 1, "TF single-step: one #DB (TF cleared by the handler)"
    mov eax, [db_eip]
    CHECK_EAX .db2, "TF single-step: saved EIP is after the instruction following POPF (trap)"
    STUB_GATE 1

    ; ---------------------------------------------------------- #BP
    TRYL .bp1, int3
    CHECK_FAULT 3, 0, "INT3 raises #BP (no error code)"
    CHECK_EIP .bp1 + 1, "INT3: saved EIP is after the INT3 (trap)"
    TRYL .bp2, int 3
    CHECK_FAULT 3, 0, "INT 3 (CD 03) raises #BP"
    CHECK_EIP .bp2 + 2, "INT 3: saved EIP is after the INT 3"

    ; ---------------------------------------------------------- #OF
    mov al, 0x7F
    add al, 1                           ; OF = 1
    TRYL .of1, into
    CHECK_FAULT 4, 0, "INTO with OF=1 at CPL 0 raises #OF (no error code)"
    CHECK_EIP .of1 + 1, "INTO: saved EIP is after the INTO (trap)"
    mov al, 1
    add al, 1                           ; OF = 0
    TRY into
    CHECK_FAULT NOFAULT, 0, "INTO with OF=0 does not fault"

    ; ---------------------------------------------------------- #BR
    mov dword [bnds], 0x100
    mov dword [bnds + 4], 0x200
    mov eax, 0x180
    TRY bound eax, [bnds]
    CHECK_FAULT NOFAULT, 0, "BOUND in range does not fault"
    mov eax, 0x200
    TRY bound eax, [bnds]
    CHECK_FAULT NOFAULT, 0, "BOUND at the upper bound (inclusive) does not fault"
    mov eax, 0x201
    TRYL .br1, bound eax, [bnds]
    CHECK_FAULT 5, 0, "BOUND above the upper bound raises #BR (no error code)"
    CHECK_EIP .br1, "BOUND: saved EIP is the BOUND (fault)"
    mov eax, 0xFF
    TRYL .br2, bound eax, [bnds]
    CHECK_FAULT 5, 0, "BOUND below the lower bound raises #BR"
    CHECK_EIP .br2, "BOUND below: saved EIP is the BOUND"

    ; ---------------------------------------------------------- #UD
    TRYL .ud1, ud2
    CHECK_FAULT 6, 0, "UD2 raises #UD (no error code)"
    CHECK_EIP .ud1, "UD2: saved EIP is the UD2 (fault)"
    TRYL .ud2, db 0x0F, 0xFF, 0xC0      ; UD0
    CHECK_FAULT 6, 0, "0F FF (UD0) raises #UD"
    CHECK_EIP .ud2, "0F FF: saved EIP is the instruction"
    TRYL .ud3, db 0x0F, 0x04            ; undefined
    CHECK_FAULT 6, 0, "0F 04 (undefined) raises #UD"
    CHECK_EIP .ud3, "0F 04: saved EIP is the instruction"
    TRYL .ud4, db 0xF0, 0x90            ; LOCK NOP
    CHECK_FAULT 6, 0, "LOCK NOP raises #UD"
    CHECK_EIP .ud4, "LOCK NOP: saved EIP is the LOCK prefix"
    TRYL .ud5, db 0xF0, 0x01, 0xD8      ; LOCK ADD EAX, EBX
    CHECK_FAULT 6, 0, "LOCK ADD reg, reg raises #UD"
    CHECK_EIP .ud5, "LOCK ADD reg, reg: saved EIP is the LOCK prefix"
    mov dword [scratch], 1
    TRY lock add dword [scratch], 1
    CHECK_FAULT NOFAULT, 0, "LOCK ADD mem, imm does not fault"
    mov eax, [scratch]
    CHECK_EAX 2, "LOCK ADD mem, imm adds"

    ; ---------------------------------------------------------- #NM
    mov eax, cr0
    and eax, ~0xE
    or eax, 4                           ; EM=1, MP=0, TS=0
    mov cr0, eax
    TRYL .nm1, fld1
    CHECK_FAULT 7, 0, "CR0.EM=1: FLD1 raises #NM (no error code)"
    CHECK_EIP .nm1, "CR0.EM=1: saved EIP is the FLD1 (fault)"
    TRYL .nm2, fnop
    CHECK_FAULT 7, 0, "CR0.EM=1: FNOP raises #NM"
    CHECK_EIP .nm2, "CR0.EM=1: saved EIP is the FNOP"
    TRY wait
    CHECK_FAULT NOFAULT, 0, "CR0.EM=1, MP=0, TS=0: WAIT does not fault"
    mov eax, cr0
    and eax, ~0xE
    or eax, 0xA                         ; EM=0, MP=1, TS=1
    mov cr0, eax
    TRYL .nm3, wait
    CHECK_FAULT 7, 0, "CR0.MP=1, TS=1: WAIT raises #NM"
    CHECK_EIP .nm3, "WAIT: saved EIP is the WAIT"
    TRYL .nm4, fnop
    CHECK_FAULT 7, 0, "CR0.TS=1: FNOP raises #NM"
    CHECK_EIP .nm4, "CR0.TS=1: saved EIP is the FNOP"
    mov eax, cr0
    and eax, ~0xE
    or eax, 0x8                         ; MP=0, TS=1
    mov cr0, eax
    TRY wait
    CHECK_FAULT NOFAULT, 0, "CR0.MP=0, TS=1: WAIT does not fault"
    mov eax, cr0
    and eax, ~0xE
    or eax, 0xE                         ; EM=1, MP=1, TS=1
    mov cr0, eax
    TRY wait
    CHECK_FAULT 7, 0, "CR0.EM=1, MP=1, TS=1: WAIT raises #NM"
    mov eax, cr0
    and eax, ~0xE
    mov cr0, eax

    ; ---------------------------------------------------------- #TS
    TRYL .ts1, jmp S_TSSSMALL:0
    CHECK_FAULT 10, S_TSSSMALL, "JMP to a TSS with limit 0x60 raises #TS(sel)"
    CHECK_EIP .ts1, "#TS: saved EIP is the JMP (fault)"
    str ax
    movzx eax, ax
    CHECK_EAX S_TSS, "#TS: TR unchanged"

    ; ---------------------------------------------------------- #NP
    mov ax, S_NPDATA
    TRYL .np1, mov ds, ax
    CHECK_FAULT 11, S_NPDATA, "MOV DS, not-present segment raises #NP(sel)"
    CHECK_EIP .np1, "#NP: saved EIP is the MOV (fault)"
    mov eax, ds
    movzx eax, ax
    CHECK_EAX SEL_DATA0, "#NP: DS unchanged"
    RAW_GATE 0x60, (SEL_CODE0 << 16) | (ABS(exc_stubs) & 0xFFFF), (ABS(exc_stubs) & 0xFFFF0000) | 0x0E00
    TRYL .np2, int 0x60
    CHECK_FAULT 11, 0x60 * 8 + 2, "INT 0x60 through a not-present gate raises #NP(0x60*8+2)"
    CHECK_EIP .np2, "#NP (gate): saved EIP is the INT (fault)"
    RAW_GATE 6, (SEL_CODE0 << 16) | (ABS(exc_stubs) & 0xFFFF), (ABS(exc_stubs) & 0xFFFF0000) | 0x0E00
    TRYL .np3, ud2
    CHECK_FAULT 11, 6 * 8 + 3, "#UD through a not-present gate raises #NP(6*8+2+EXT)"
    CHECK_EIP .np3, "#NP (#UD gate): saved EIP is the UD2"
    STUB_GATE 6
    STUB_GATE 0x60

    ; ---------------------------------------------------------- #SS
    mov ax, S_NPDATA
    TRYL .ss1, mov ss, ax
    CHECK_FAULT 12, S_NPDATA, "MOV SS, not-present writable segment raises #SS(sel)"
    CHECK_EIP .ss1, "#SS(sel): saved EIP is the MOV SS (fault)"
    mov eax, ss
    movzx eax, ax
    CHECK_EAX SEL_DATA0, "#SS(sel): SS unchanged"
    mov ax, S_SSLIM
    mov ss, ax                          ; limit 0xFFFFF, ESP below 0x80000
    mov ebp, 0xFFFFC
    TRY mov eax, [ebp]
    CHECK_FAULT NOFAULT, 0, "SS limit 0xFFFFF: dword at 0xFFFFC does not fault"
    mov ebp, 0x100000
    TRYL .ss2, mov eax, [ebp]
    CHECK_FAULT 12, 0, "SS-relative read beyond the SS limit raises #SS(0)"
    CHECK_EIP .ss2, "#SS(0): saved EIP is the MOV (fault)"
    mov ebp, 0xFFFFE
    TRY mov [ebp], eax
    CHECK_FAULT 12, 0, "SS-relative dword write straddling the SS limit raises #SS(0)"
    TRY mov eax, [esp + 0x100000]
    CHECK_FAULT 12, 0, "ESP-based read beyond the SS limit raises #SS(0)"
    mov ax, SEL_DATA0
    mov ss, ax

    ; ---------------------------------------------------------- #GP
    TRYL .gp1, jmp 0:0
    CHECK_FAULT 13, 0, "far JMP to a null selector raises #GP(0)"
    CHECK_EIP .gp1, "#GP(0): saved EIP is the JMP (fault)"
    xor eax, eax
    TRY mov ss, ax
    CHECK_FAULT 13, 0, "MOV SS, null selector at CPL 0 raises #GP(0)"
    mov ax, 0xFFF8
    TRYL .gp2, mov fs, ax
    CHECK_FAULT 13, 0xFFF8, "MOV FS, selector beyond the GDT limit raises #GP(sel)"
    CHECK_EIP .gp2, "#GP(sel): saved EIP is the MOV"
    mov ax, SEL_CODE3 | 3               ; readable code: loadable, but not into SS
    TRY mov ss, ax
    CHECK_FAULT 13, SEL_CODE3, "MOV SS, code segment raises #GP(sel)"
    RAW_GATE 0x61, (SEL_CODE0 << 16) | (ABS(exc_stubs) & 0xFFFF), (ABS(exc_stubs) & 0xFFFF0000) | 0x8000
    TRYL .gp3, int 0x61
    CHECK_FAULT 13, 0x61 * 8 + 2, "INT 0x61 through a gate of type 0 raises #GP(0x61*8+2)"
    CHECK_EIP .gp3, "#GP (bad gate): saved EIP is the INT"
    RAW_GATE 6, (SEL_CODE0 << 16) | (ABS(exc_stubs) & 0xFFFF), (ABS(exc_stubs) & 0xFFFF0000) | 0x8000
    TRYL .gp4, ud2
    CHECK_FAULT 13, 6 * 8 + 3, "#UD through a gate of type 0 raises #GP(6*8+2+EXT)"
    CHECK_EIP .gp4, "#GP (#UD gate): saved EIP is the UD2"
    RAW_GATE 0x62, (SEL_CODE0 << 16) | (ABS(exc_stubs) & 0xFFFF), (ABS(exc_stubs) & 0xFFFF0000) | 0x8E00
    mov word [IDT_BASE + 0x62 * 8 + 2], SEL_DATA0
    TRY int 0x62
    CHECK_FAULT 13, SEL_DATA0, "INT 0x62 through a gate to a data segment raises #GP(sel)"
    STUB_GATE 6
    STUB_GATE 0x61
    STUB_GATE 0x62

    ; ---------------------------------------------------------- #DF
    ; #GP's gate -> not-present code segment: #NP during the delivery of a
    ; #GP (both contributory) -> #DF(0), through the harness's interrupt gate
    RAW_GATE 13, (S_NPCODE << 16) | (ABS(exc_stubs + 13 * 16) & 0xFFFF), (ABS(exc_stubs + 13 * 16) & 0xFFFF0000) | 0x8E00
    mov [saved_esp], esp
    mov dword [exc_count], 0
    mov ax, 0xFFF8
    TRY mov fs, ax
    mov eax, esp
    mov esp, [saved_esp]                ; in case
    sub eax, [saved_esp]
    CHECK_EAX 0, "#DF: ESP unchanged after the handler's IRET"
    STUB_GATE 13
    CHECK_FAULT 8, 0, "#GP with a not-present handler CS raises #DF(0)"
    mov eax, [exc_count]
    CHECK_EAX 1, "#DF: only the #DF handler ran"
    mov eax, [exc_cs]
    CHECK_EAX SEL_CODE0, "#DF: pushed CS"
    mov eax, [exc_frame]
    add eax, 12
    sub eax, [saved_esp]
    CHECK_EAX 0, "#DF: frame (error code, EIP, CS, EFLAGS) pushed at the faulting ESP"

    ; ---------------------------------------------------------- #PF (CPL 0)
    ; 4 MiB pages: 0-4 MiB user RW, 4-8 MiB not present, 8-12 MiB
    ; supervisor RW, 12-16 MiB user read-only
    mov edi, PD
    mov ecx, 1024
    xor eax, eax
    rep stosd
    mov dword [PD + 0 * 4], 0x000000 | 0x87
    mov dword [PD + 2 * 4], 0x800000 | 0x83
    mov dword [PD + 3 * 4], 0xC00000 | 0x85
    mov eax, PD
    mov cr3, eax
    mov eax, cr4
    or eax, 0x10                        ; PSE
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80010000                  ; PG, WP
    mov cr0, eax
    jmp .pg
.pg:
    mov dword [0x800000], 0x88888888
    TRYL .pf1, mov eax, [0x400010]
    CHECK_FAULT 14, 0, "read of a not-present page raises #PF(0)"
    CHECK_EIP .pf1, "#PF read: saved EIP is the MOV (fault)"
    mov eax, cr2
    CHECK_EAX 0x400010, "#PF read: CR2"
    TRYL .pf2, mov dword [0x400020], 1
    CHECK_FAULT 14, 2, "write to a not-present page raises #PF(W)"
    CHECK_EIP .pf2, "#PF write: saved EIP is the MOV"
    mov eax, cr2
    CHECK_EAX 0x400020, "#PF write: CR2"
    TRYL .pf3, mov dword [0xC00004], 1
    CHECK_FAULT 14, 3, "CR0.WP=1: supervisor write to a read-only page raises #PF(P|W)"
    CHECK_EIP .pf3, "#PF WP: saved EIP is the MOV"
    mov eax, cr2
    CHECK_EAX 0xC00004, "#PF WP: CR2"
    mov ebx, 0x3FFFFE
    TRYL .pf4, mov eax, [ebx]
    CHECK_FAULT 14, 0, "dword read straddling into a not-present page raises #PF(0)"
    CHECK_EIP .pf4, "#PF straddling: saved EIP is the MOV"
    mov eax, cr2
    CHECK_EAX 0x400000, "#PF straddling (from 0x3FFFFE up): CR2 = start of the missing page"
    TRYL .pf5, jmp 0x400100
    CHECK_FAULT 14, 0, "jump to a not-present page: #PF(0) on the fetch (no I/D bit without PAE/NX)"
    CHECK_EIP 0x400100, "#PF fetch: saved EIP is the target"
    mov eax, cr2
    CHECK_EAX 0x400100, "#PF fetch: CR2"
    TRY mov eax, [0x800000]
    CHECK_FAULT NOFAULT, 0, "supervisor read of a supervisor page does not fault"
    CHECK_EAX 0x88888888, "supervisor read of a supervisor page"

    ; ---------------------------------------------------------- ring 3: #PF, #OF, #AC
    mov eax, 4
    mov ebx, exc_stubs + 4 * 16
    mov ecx, 0xEE00                     ; #OF gate DPL 3
    call set_gate
    mov eax, cr0
    or eax, 0x40000                     ; AM
    mov cr0, eax
    push dword SEL_DATA3 | 3            ; SS
    push dword R3_STACK                 ; ESP
    push dword 0x00000002               ; EFLAGS
    push dword SEL_CODE3 | 3            ; CS
    push dword ring3_entry              ; EIP
    iretd

ring3_entry:
    mov ax, SEL_DATA3 | 3
    mov ds, ax
    mov es, ax
    mov eax, cs
    and eax, 3
    CHECK_EAX 3, "ring 3: CPL 3"
    TRYL .pf6, mov eax, [0x800000]
    CHECK_FAULT 14, 5, "user read of a supervisor page raises #PF(P|U)"
    CHECK_EIP .pf6, "#PF user: saved EIP is the MOV"
    TRY mov eax, [0xC00000]
    CHECK_FAULT NOFAULT, 0, "user read of a user read-only page does not fault"
    TRYL .pf7, mov dword [0xC00008], 1
    CHECK_FAULT 14, 7, "user write to a read-only page raises #PF(P|W|U)"
    TRY mov eax, [0x400000]
    CHECK_FAULT 14, 4, "user read of a not-present page raises #PF(U)"
    ; #OF through a DPL-3 gate
    mov al, 0x7F
    add al, 1
    TRYL .of2, into
    CHECK_FAULT 4, 0, "INTO with OF=1 at CPL 3 through a DPL-3 gate raises #OF"
    CHECK_EIP .of2 + 1, "INTO at CPL 3: saved EIP is after the INTO (trap)"
    ; #AC: CR0.AM=1 (set at CPL 0); EFLAGS.AC=0 first
    mov ebx, acvar + 1
    TRY mov eax, [ebx]
    CHECK_FAULT NOFAULT, 0, "CR0.AM=1, EFLAGS.AC=0: misaligned dword read does not fault"
    pushfd
    or dword [esp], 0x40000
    popfd
    pushfd
    pop eax
    and eax, 0x40000
    CHECK_EAX 0x40000, "POPF at CPL 3 sets EFLAGS.AC"
    mov ebx, acvar + 1
    TRYL .ac1, mov eax, [ebx]
    CHECK_FAULT 17, 0, "AM=1, AC=1, CPL 3: misaligned dword read raises #AC(0)"
    CHECK_EIP .ac1, "#AC: saved EIP is the MOV (fault)"
    mov eax, [exc_cs]
    CHECK_EAX SEL_CODE3 | 3, "#AC: pushed CS is the ring-3 CS"
    mov ebx, acvar + 3
    TRYL .ac2, mov word [ebx], 1
    CHECK_FAULT 17, 0, "misaligned word write at CPL 3 raises #AC(0)"
    mov ebx, acvar + 4
    TRY mov eax, [ebx]
    CHECK_FAULT NOFAULT, 0, "aligned dword read with AC=1 does not fault"
    mov ebx, acvar + 2
    TRY mov ax, [ebx]
    CHECK_FAULT NOFAULT, 0, "aligned word read with AC=1 does not fault"
    mov ebx, acvar + 3
    TRY mov al, [ebx]
    CHECK_FAULT NOFAULT, 0, "byte read at an odd address with AC=1 does not fault"
    pushfd
    and dword [esp], ~0x40000
    popfd
    call S_CGBACK | 3 : 0
.never:
    jmp .never

; ring 0, reached through the call gate S_CGBACK
back_to_ring0:
    mov esp, STACK0
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    call flush_log                      ; the results logged at CPL 3
    mov eax, cr0
    and eax, ~0x80050000                ; PG, AM, WP off
    mov cr0, eax
    jmp finish

; #DB handler for the TF check: count, record EIP, clear TF in the frame
db_handler:
    push eax
    mov eax, [esp + 4]
    mov [ss:db_eip], eax
    inc dword [ss:db_count]
    and dword [esp + 12], ~0x100
    pop eax
    iretd

    ROM_END
