; pm-debug.asm - debug exceptions: TF single-step and DR0-DR3 breakpoints
; (a -bios ROM for wasmvisor/QEMU; see pm-common.inc)
;
; A #DB handler logs up to 8 (EIP, DR6) pairs, clears DR6, sets EFLAGS.RF in
; the frame (so that an instruction breakpoint does not fire again on the
; return) and clears TF in the frame when EIP reaches a given stop address.
; Checked: DR6/DR7 fixed bits; single-step (#DB after each instruction, a
; trap: EIP of the next instruction, DR6.BS), the trap after the POPF that
; clears TF, MOV SS delaying the single-step trap by one instruction; DR0
; instruction breakpoint (a fault: EIP of the instruction, DR6.B0, the
; instruction runs once after IRET with RF=1); DR1 data write breakpoint (a
; trap after the write, reads do not hit, DR6.B1); DR2 read/write
; breakpoint hit by a read (DR6.B2); DR3 one-byte write breakpoint hit by a
; dword write covering it but not by a byte write next to it (DR6.B3); a
; breakpoint address with its L bit clear does not fire.

%include "pm-common.inc"

db_count    equ USERVARS + 0x00
db_stop     equ USERVARS + 0x04
db_eip      equ USERVARS + 0x10     ; 8 dwords
db_dr6      equ USERVARS + 0x30     ; 8 dwords
var1        equ USERVARS + 0x80
var2        equ USERVARS + 0x84
var3        equ USERVARS + 0x88

    align 8
gdt_template:
    dq 0
    DESC 0, 0xFFFFF, 0x9B, 0xC          ; 0x08 code, ring 0
    DESC 0, 0xFFFFF, 0x93, 0xC          ; 0x10 data, ring 0
gdt_template_end:

%macro DB_RESET 1
    mov dword [db_count], 0
    mov dword [db_stop], %1
    mov dword [db_eip], 0
    mov dword [db_dr6], 0
%endmacro

; the n-th #DB: EIP and DR6 & mask
%macro CHECK_DB 4
    mov eax, [db_eip + (%1) * 4]
    CHECK_EAX %2, {%4, ": EIP"}
    mov eax, [db_dr6 + (%1) * 4]
    and eax, 0xE00F
    CHECK_EAX %3, {%4, ": DR6 (BS/BD/BT, B3-B0)"}
%endmacro

tests:
    mov eax, 1
    mov ebx, db_handler
    mov ecx, 0x8E00
    call set_gate

    xor eax, eax
    mov dr7, eax
    mov dr6, eax
    mov eax, dr6
    CHECK_EAX 0xFFFF0FF0, "DR6 reads 0xFFFF0FF0 after writing 0"
    mov eax, dr7
    CHECK_EAX 0x400, "DR7 reads 0x400 after writing 0"

    ; ---------------------------------------------------------- single-step
    DB_RESET .sdone
    pushfd
    or dword [esp], 0x100
    popfd
.s1: nop
.s2: mov eax, 1
.s3: inc eax
.sdone:
    pushfd
    pop eax
    and eax, 0x100
    CHECK_EAX 0, "single-step: TF cleared by the handler at the stop"
    mov eax, [db_count]
    CHECK_EAX 3, "single-step: three #DB (after NOP, MOV, INC)"
    CHECK_DB 0, .s2, 0x4000, "single-step 1"
    CHECK_DB 1, .s3, 0x4000, "single-step 2"
    CHECK_DB 2, .sdone, 0x4000, "single-step 3"

    ; the POPF that clears TF is followed by one more trap
    DB_RESET 0
    pushfd
    pop ecx
    mov edx, ecx
    or edx, 0x100
    push ecx
    push edx
    popfd
.t1: nop
.t2: popfd
.t3: nop
    mov eax, [db_count]
    CHECK_EAX 2, "single-step: #DB after NOP and after the POPF clearing TF"
    CHECK_DB 0, .t2, 0x4000, "single-step before the clearing POPF"
    CHECK_DB 1, .t3, 0x4000, "single-step after the POPF clearing TF"

    ; MOV SS delays the trap by one instruction
    DB_RESET .m4
    mov ax, ss
    pushfd
    or dword [esp], 0x100
    popfd
.m1: mov ss, ax
.m2: nop
.m3: nop
.m4:
    mov eax, [db_count]
    CHECK_EAX 2, "single-step over MOV SS: no trap after MOV SS, one after the next instruction"
    CHECK_DB 0, .m3, 0x4000, "single-step over MOV SS; NOP"
    CHECK_DB 1, .m4, 0x4000, "single-step after that"

    ; ---------------------------------------------------------- DR0: execute
    DB_RESET 0
    mov eax, .bpx
    mov dr0, eax
    mov eax, dr0
    CHECK_EAX .bpx, "DR0 reads back"
    xor ecx, ecx
    mov eax, 0x00000001                 ; L0, R/W0=00 (execute), LEN0=00
    mov dr7, eax
    nop
.bpx:
    inc ecx
    nop
    xor eax, eax
    mov dr7, eax
    mov eax, [db_count]
    CHECK_EAX 1, "DR0 execute breakpoint: one #DB"
    CHECK_DB 0, .bpx, 0x0001, "DR0 execute breakpoint (a fault, B0)"
    mov eax, ecx
    CHECK_EAX 1, "DR0: the instruction ran once after IRET with RF=1"

    ; L0 clear: no breakpoint
    DB_RESET 0
    mov eax, .bpx3
    mov dr0, eax
    mov eax, 0x300                      ; LE GE, no L/G bits
    mov dr7, eax
    nop
.bpx3:
    nop
    xor eax, eax
    mov dr7, eax
    mov eax, [db_count]
    CHECK_EAX 0, "DR0 set but L0/G0 clear: no #DB"

    ; ---------------------------------------------------------- DR1: data write
    DB_RESET 0
    mov dword [var1], 0
    mov eax, var1
    mov dr1, eax
    mov eax, 0x00D00004 | 0x300         ; L1, R/W1=01 write, LEN1=11 (4 bytes)
    mov dr7, eax
.w0: mov eax, [var1]
.w1: mov dword [var1], 5
.w2: nop
    xor eax, eax
    mov dr7, eax
    mov eax, [db_count]
    CHECK_EAX 1, "DR1 write breakpoint: one #DB (the read does not hit)"
    CHECK_DB 0, .w2, 0x0002, "DR1 write breakpoint (a trap, B1)"
    mov eax, [var1]
    CHECK_EAX 5, "DR1: the write was done"

    ; ---------------------------------------------------------- DR2: read/write
    DB_RESET 0
    mov dword [var2], 0x22
    mov eax, var2
    mov dr2, eax
    mov eax, 0x0F000010 | 0x300         ; L2, R/W2=11 read/write, LEN2=11
    mov dr7, eax
.r1: mov eax, [var2]
.r2: nop
    xor ebx, ebx
    mov dr7, ebx
    CHECK_EAX 0x22, "DR2: the read returned the data"
    mov eax, [db_count]
    CHECK_EAX 1, "DR2 read/write breakpoint hit by a read: one #DB"
    CHECK_DB 0, .r2, 0x0004, "DR2 read/write breakpoint (B2)"

    ; ---------------------------------------------------------- DR3: 1 byte
    DB_RESET 0
    mov eax, var3 + 2
    mov dr3, eax
    mov eax, 0x10000040 | 0x300         ; L3, R/W3=01 write, LEN3=00 (1 byte)
    mov dr7, eax
.b1: mov byte [var3 + 1], 1
.b2: mov dword [var3], 0x33
.b3: nop
    xor eax, eax
    mov dr7, eax
    mov eax, [db_count]
    CHECK_EAX 1, "DR3 1-byte write breakpoint: byte write beside it misses, dword write hits"
    CHECK_DB 0, .b3, 0x0008, "DR3 1-byte write breakpoint (B3)"
    jmp finish

; #DB: log EIP and DR6, clear DR6, set RF, clear TF at db_stop
db_handler:
    push eax
    push ebx
    ; stack: ebx, eax, eip, cs, eflags
    mov ebx, [ss:db_count]
    cmp ebx, 8
    jae .skip
    mov eax, [ss:esp + 8]
    mov [ss:db_eip + ebx * 4], eax
    mov eax, dr6
    mov [ss:db_dr6 + ebx * 4], eax
.skip:
    inc dword [ss:db_count]
    xor eax, eax
    mov dr6, eax
    or dword [ss:esp + 16], 0x10000
    mov eax, [ss:esp + 8]
    cmp eax, [ss:db_stop]
    jne .r
    and dword [ss:esp + 16], ~0x100
.r: pop ebx
    pop eax
    iretd

    ROM_END
