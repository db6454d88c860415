; pm-paging.asm - paging: #PF with retry, error codes, CR2, A/D bits, TLB
; (a -bios ROM for wasmvisor/QEMU; see pm-common.inc)
;
; 2-level (32-bit) paging with 4 KiB pages and CR4.PSE 4 MiB pages, then PAE
; paging with EFER.NXE. A #PF handler records CR2, the error code and the
; pushed EIP; when a test armed it, it writes one paging-structure entry
; (maps the missing page / grants the right), INVLPGs CR2 and IRETs back to
; the faulting instruction, which then completes. Otherwise it hands the fault
; to the harness, which resumes after the instruction (TRY).
;
; Checked: not-present read/write/instruction fetch (PTE and PDE level), a
; dword access straddling into a not-present page (CR2 = start of that page),
; supervisor writes to read-only pages with CR0.WP=1 (fault) and WP=0 (no
; fault), read-only PDE, accessed and dirty bits (a read sets A only, a write
; sets D, also on a TLB-cached clean entry, a faulting write leaves D clear, A
; in the PDE, A/D in a 4 MiB PDE), INVLPG after a PTE change, MOV CR3 flushing
; non-global entries, INVLPG and clearing CR4.PGE flushing global ones, user
; accesses from ring 3 (supervisor page, read-only page, user-RO PDE,
; supervisor PDE, not present) with their error codes, PAE 4 KiB and 2 MiB
; pages, NX on a PTE and on a 2 MiB PDE (fetch: #PF with I/D = bit 4; data
; reads of an NX page work), I/D on a not-present fetch, reserved bits.
;
; Stale TLB entries: after a PTE is changed without INVLPG, and for a global
; page (CR4.PGE, G=1) after MOV CR3, the SDM lets the processor use either the
; old translation (if it is cached) or the new one (a TLB entry may be dropped
; at any time), so these two checks accept either value; only the flushes the
; SDM guarantees (INVLPG, MOV CR3 for non-global pages, CR4.PGE toggled) are
; checked strictly.

%include "pm-common.inc"

TSS_BASE    equ 0x2000
ESP0        equ 0x70000
R3_STACK    equ 0x60000

S_TSS       equ 0x28
S_CGBACK    equ 0x30            ; call gate DPL 3 -> back_to_ring0

; 2-level paging structures
PD          equ 0x20000
PT0         equ 0x21000         ; 0-4 MiB identity, U/S=1 R/W=1
PT1         equ 0x22000         ; 0x400000-0x7FFFFF test pages
PT2         equ 0x24000         ; for PDE 2 (0x800000), installed by a #PF
PT4         equ 0x25000         ; PDE 4 (0x1000000): U=1, R/W=0
PT5         equ 0x26000         ; PDE 5 (0x1400000): U=0, R/W=1
; PAE paging structures
PDPT        equ 0x30000
PAE_PD      equ 0x31000
PAE_PT0     equ 0x32000         ; 0-2 MiB identity
PAE_PT1     equ 0x33000         ; 0x200000-0x3FFFFF test pages

; linear test page n at 0x400000 + n * 0x1000 (PT1 entry n)
%define LIN(n) (0x400000 + (n) * 0x1000)
%define PHYS(n) (0x100000 + (n) * 0x1000)
%define PTE1(n) (PT1 + (n) * 4)

; variables of the #PF handler
pf_cr2      equ USERVARS + 0x00
pf_err      equ USERVARS + 0x04
pf_eip      equ USERVARS + 0x08
pf_count    equ USERVARS + 0x0C
pf_fix_addr equ USERVARS + 0x10     ; entry to write (0: no fix, hand to the harness)
pf_fix_val  equ USERVARS + 0x14

    align 8
gdt_template:
    dq 0
    DESC 0, 0xFFFFF, 0x9B, 0xC          ; 0x08 code, ring 0
    DESC 0, 0xFFFFF, 0x93, 0xC          ; 0x10 data, ring 0
    DESC 0, 0xFFFFF, 0xFB, 0xC          ; 0x18 code, ring 3
    DESC 0, 0xFFFFF, 0xF3, 0xC          ; 0x20 data, ring 3
    DESC TSS_BASE, 0x67, 0x89, 0x0      ; 0x28 32-bit TSS
    GATE SEL_CODE0, ABS(back_to_ring0), 0xEC, 0 ; 0x30
gdt_template_end:

; arm the #PF handler: next #PF writes val to the entry at addr and retries
%macro PF_FIX 2
    mov dword [ss:pf_count], 0
    mov dword [ss:pf_cr2], 0
    mov dword [ss:pf_err], 0xFFFF
    mov dword [ss:pf_eip], 0
    mov dword [ss:pf_fix_val], %2
    mov dword [ss:pf_fix_addr], %1
%endmacro

; no fix: the next #PF goes to the harness (TRY resumes after the insn)
%macro PF_NOFIX 0
    PF_FIX 0, 0
%endmacro

; after a retried #PF: count, error code, CR2, pushed EIP
%macro CHECK_PF 4
    mov eax, [ss:pf_count]
    CHECK_EAX 1, {%4, ": one #PF"}
    mov eax, [ss:pf_err]
    CHECK_EAX %1, {%4, ": error code"}
    mov eax, [ss:pf_cr2]
    CHECK_EAX %2, {%4, ": CR2"}
    mov eax, [ss:pf_eip]
    CHECK_EAX %3, {%4, ": pushed EIP is the faulting instruction"}
%endmacro

; after TRY without a fix: #PF(err) and CR2
%macro CHECK_PFX 3
    mov eax, [ss:exc_vec]
    shl eax, 16
    mov ax, [ss:exc_err]
    CHECK_EAX (14 << 16) | (%1), {%3, ": #PF error code"}
    mov eax, [ss:pf_cr2]
    CHECK_EAX %2, {%3, ": CR2"}
%endmacro

; eax is a or b (a stale or a fresh translation): pass
%macro CHECK_EITHER 3
    cmp eax, %1
    je %%yes
    cmp eax, %2
    jne %%no
%%yes:
    mov eax, 1
%%no:
    CHECK_EAX 1, %3
%endmacro

tests:
    mov eax, 14
    mov ebx, pf_handler
    mov ecx, 0x8E00
    call set_gate

    ; the TSS for ring 3
    mov edi, TSS_BASE
    mov ecx, 0x68 / 4
    xor eax, eax
    rep stosd
    mov dword [TSS_BASE + 4], ESP0
    mov dword [TSS_BASE + 8], SEL_DATA0
    mov word [TSS_BASE + 0x66], 0x68
    mov ax, S_TSS
    ltr ax

    ; ---------------------------------------------------------- tables
    mov edi, PD
    mov ecx, 0x7000 / 4
    xor eax, eax
    rep stosd
    mov edi, PT0
    mov eax, 7
    mov ecx, 1024
.pt0:
    stosd
    add eax, 0x1000
    loop .pt0
    mov dword [PD + 0 * 4], PT0 | 7
    mov dword [PD + 1 * 4], PT1 | 7
    mov dword [PD + 3 * 4], 0x1000000 | 0x83      ; 4 MiB page, supervisor RW, A=D=0
    mov dword [PD + 4 * 4], PT4 | 5               ; user, read-only
    mov dword [PD + 5 * 4], PT5 | 3               ; supervisor, RW
    mov dword [PT2 + 0], PHYS(0x12) | 7
    mov dword [PT4 + 0], PHYS(0x13) | 7
    mov dword [PT5 + 0], PHYS(0x14) | 7
    mov dword [PTE1(2)], PHYS(2) | 5              ; user read-only
    mov dword [PTE1(3)], PHYS(3) | 3              ; supervisor RW
    mov dword [PTE1(4)], PHYS(4) | 7
    mov dword [PTE1(5)], PHYS(5) | 7
    mov dword [PTE1(6)], PHYS(6) | 7
    mov dword [PTE1(8)], PHYS(8) | 7
    mov dword [PTE1(10)], PHYS(10) | 0x107        ; global
    mov dword [PTE1(12)], PHYS(12) | 0x107        ; global
    mov dword [PTE1(15)], PHYS(15) | 5            ; read-only
    mov dword [PTE1(16)], PHYS(16) | 7
    ; data in the physical pages
    mov dword [PHYS(0)], 0x11110000
    mov dword [PHYS(2)], 0x22220002
    mov dword [PHYS(3)], 0x33330003
    mov dword [PHYS(6)], 0xAAAA0006
    mov dword [PHYS(7)], 0xBBBB0007
    mov dword [PHYS(8)], 0xAAAA0008
    mov dword [PHYS(9)], 0xBBBB0009
    mov dword [PHYS(10)], 0xAAAA000A
    mov dword [PHYS(11)], 0xBBBB000B
    mov dword [PHYS(12)], 0xAAAA000C
    mov dword [PHYS(13)], 0xBBBB000D
    mov dword [PHYS(15)], 0x0F0F0F0F
    mov word [PHYS(16) + 0xFFE], 0x3344
    mov word [PHYS(17)], 0x1122
    mov dword [PHYS(0x12) + 0x10], 0x12121212
    mov dword [PHYS(0x13)], 0x13131313
    mov dword [PHYS(0x14)], 0x14141414
    mov dword [0x1001234], 0x4D4D4D4D
    mov dword [0x13FFFFC], 0x4E4E4E4E
    mov dword [0x1400010], 0x5E5E5E5E
    ; code: mov eax, 0x5A5A5A5A; ret
    mov esi, code_blob
    mov edi, PHYS(14)
    mov ecx, code_blob_end - code_blob
    rep movsb
    mov esi, code_blob
    mov edi, 0x1600000
    mov ecx, code_blob_end - code_blob
    rep movsb

    ; ---------------------------------------------------------- paging on
    mov eax, PD
    mov cr3, eax
    mov eax, cr4
    or eax, 0x10                        ; PSE
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80010000                  ; PG, WP
    mov cr0, eax
    jmp .pg_on
.pg_on:
    mov eax, cr0
    and eax, 0x80010001
    CHECK_EAX 0x80010001, "CR0.PG, WP, PE set; identity-mapped code keeps running"
    mov eax, cr3
    CHECK_EAX PD, "CR3 reads back"

    ; ---------------------------------------------------------- not present, retried
    PF_FIX PTE1(0), PHYS(0) | 7
    xor eax, eax
    TRYL .nr, mov eax, [LIN(0)]
    CHECK_EAX 0x11110000, "not-present read: the retried MOV reads the mapped page"
    CHECK_PF 0, LIN(0), .nr, "not-present read"

    PF_FIX PTE1(1), PHYS(1) | 7
    TRYL .nw, mov dword [LIN(1) + 4], 0xC0FFEE01
    mov eax, [PHYS(1) + 4]
    CHECK_EAX 0xC0FFEE01, "not-present write: the retried MOV wrote the mapped page"
    CHECK_PF 2, LIN(1) + 4, .nw, "not-present write"

    PF_FIX PTE1(17), PHYS(17) | 7
    xor eax, eax
    TRYL .sp, mov eax, [LIN(16) + 0xFFE]
    CHECK_EAX 0x11223344, "dword read across into a not-present page: retried read"
    CHECK_PF 0, LIN(17), .sp, "read across into a not-present page (CR2 = start of that page)"

    PF_FIX PD + 2 * 4, PT2 | 7
    xor eax, eax
    TRYL .pde, mov eax, [0x800010]
    CHECK_EAX 0x12121212, "not-present PDE: retried read through the installed page table"
    CHECK_PF 0, 0x800010, .pde, "not-present PDE"
    mov eax, [PD + 2 * 4]
    and eax, 0x20
    CHECK_EAX 0x20, "the installed PDE has A set after the access"

    PF_FIX PTE1(14), PHYS(14) | 7
    xor eax, eax
    TRY call LIN(14)
    CHECK_EAX 0x5A5A5A5A, "instruction fetch from a not-present page: retried, the code ran"
    CHECK_PF 0, LIN(14), LIN(14), "fetch from a not-present page (no I/D bit without PAE+NXE)"

    ; ---------------------------------------------------------- write protect
    PF_NOFIX
    and dword [PTE1(2)], ~0x60
    invlpg [LIN(2)]
    TRY mov dword [LIN(2)], 0xDEAD0002
    CHECK_PFX 3, LIN(2), "CR0.WP=1: supervisor write to a read-only page"
    mov eax, [PHYS(2)]
    CHECK_EAX 0x22220002, "CR0.WP=1: the faulting write did not change memory"
    mov eax, [PTE1(2)]
    and eax, 0x40
    CHECK_EAX 0, "the faulting write left the PTE's D bit clear"
    TRY mov dword [0x1000000], 0xDEAD0013
    CHECK_PFX 3, 0x1000000, "CR0.WP=1: supervisor write through a read-only PDE"
    mov eax, cr0
    and eax, ~0x10000
    mov cr0, eax
    TRY mov dword [LIN(2) + 4], 0x600D0002
    CHECK_FAULT NOFAULT, 0, "CR0.WP=0: supervisor write to a read-only page does not fault"
    mov eax, [PHYS(2) + 4]
    CHECK_EAX 0x600D0002, "CR0.WP=0: the write reached memory"
    mov eax, cr0
    or eax, 0x10000
    mov cr0, eax
    PF_FIX PTE1(15), PHYS(15) | 7
    TRYL .wp, mov dword [LIN(15)], 0x600D000F
    mov eax, [PHYS(15)]
    CHECK_EAX 0x600D000F, "WP=1 write to a read-only page, handler sets R/W: retried write done"
    CHECK_PF 3, LIN(15), .wp, "WP=1 write to a read-only page"

    ; ---------------------------------------------------------- accessed / dirty
    and dword [PD + 1 * 4], ~0x60
    and dword [PTE1(4)], ~0x60
    and dword [PTE1(5)], ~0x60
    invlpg [LIN(4)]
    invlpg [LIN(5)]
    mov eax, [PTE1(4)]
    and eax, 0x60
    CHECK_EAX 0, "A and D clear before the access"
    mov eax, [LIN(4)]
    mov eax, [PTE1(4)]
    and eax, 0x60
    CHECK_EAX 0x20, "a read sets A only in the PTE"
    mov eax, [PD + 1 * 4]
    and eax, 0x20
    CHECK_EAX 0x20, "the read sets A in the PDE"
    mov dword [LIN(4) + 8], 1
    mov eax, [PTE1(4)]
    and eax, 0x60
    CHECK_EAX 0x60, "a later write (clean entry cached) sets D"
    mov dword [LIN(5) + 8], 1
    mov eax, [PTE1(5)]
    and eax, 0x60
    CHECK_EAX 0x60, "a first write sets A and D"

    ; ---------------------------------------------------------- 4 MiB pages
    mov eax, [0xC01234]
    CHECK_EAX 0x4D4D4D4D, "PSE 4 MiB page: read at offset 0x1234"
    mov eax, [0xFFFFFC]
    CHECK_EAX 0x4E4E4E4E, "PSE 4 MiB page: read at offset 0x3FFFFC"
    mov eax, [PD + 3 * 4]
    and eax, 0x60
    CHECK_EAX 0x20, "PSE 4 MiB page: a read sets A only in the PDE"
    mov dword [0xC00000], 0x4D4D0000
    mov eax, [PD + 3 * 4]
    and eax, 0x60
    CHECK_EAX 0x60, "PSE 4 MiB page: a write sets D in the PDE"

    ; ---------------------------------------------------------- INVLPG
    mov eax, [LIN(6)]
    CHECK_EAX 0xAAAA0006, "INVLPG test page reads its first frame"
    mov dword [PTE1(6)], PHYS(7) | 7
    mov eax, [LIN(6)]
    CHECK_EITHER 0xAAAA0006, 0xBBBB0007, "PTE changed without INVLPG: old or new frame (either allowed)"
    invlpg [LIN(6)]
    mov eax, [LIN(6)]
    CHECK_EAX 0xBBBB0007, "after INVLPG the new PTE is used"

    ; ---------------------------------------------------------- CR3 reload, global pages
    mov eax, cr4
    or eax, 0x80                        ; PGE
    mov cr4, eax
    mov eax, cr4
    and eax, 0x90
    CHECK_EAX 0x90, "CR4.PGE and PSE set"
    mov eax, [LIN(8)]
    CHECK_EAX 0xAAAA0008, "non-global page reads its first frame"
    mov eax, [LIN(10)]
    CHECK_EAX 0xAAAA000A, "global page 1 reads its first frame"
    mov eax, [LIN(12)]
    CHECK_EAX 0xAAAA000C, "global page 2 reads its first frame"
    mov dword [PTE1(8)], PHYS(9) | 7
    mov dword [PTE1(10)], PHYS(11) | 0x107
    mov dword [PTE1(12)], PHYS(13) | 0x107
    mov eax, cr3
    mov cr3, eax
    mov eax, [LIN(8)]
    CHECK_EAX 0xBBBB0009, "MOV CR3 flushes a non-global translation"
    mov eax, [LIN(10)]
    CHECK_EITHER 0xAAAA000A, 0xBBBB000B, "MOV CR3 need not flush a global page: old or new (either allowed)"
    invlpg [LIN(10)]
    mov eax, [LIN(10)]
    CHECK_EAX 0xBBBB000B, "INVLPG flushes a global translation"
    mov eax, cr4
    and eax, ~0x80
    mov cr4, eax
    mov eax, [LIN(12)]
    CHECK_EAX 0xBBBB000D, "clearing CR4.PGE flushes global translations"

    ; ---------------------------------------------------------- ring 3
    mov eax, cr0
    and eax, ~0x10000                   ; WP=0: user checks do not depend on it
    mov cr0, eax
    PF_NOFIX
    push dword SEL_DATA3 | 3
    push dword R3_STACK
    push dword 0x00000002
    push dword SEL_CODE3 | 3
    push dword ring3_entry
    iretd

ring3_entry:
    mov ax, SEL_DATA3 | 3
    mov ds, ax
    mov es, ax
    mov eax, cs
    and eax, 3
    CHECK_EAX 3, "ring 3 reached with paging on"
    TRY mov eax, [LIN(2)]
    CHECK_FAULT NOFAULT, 0, "ring 3: read of a user read-only page works"
    CHECK_EAX 0x22220002, "ring 3: the read returns the page's data"
    TRY mov dword [LIN(2)], 0xBAD
    CHECK_PFX 7, LIN(2), "ring 3: write to a user read-only page (WP=0)"
    TRY mov eax, [LIN(3) + 8]
    CHECK_PFX 5, LIN(3) + 8, "ring 3: read of a supervisor page"
    TRY mov dword [LIN(3)], 0xBAD
    CHECK_PFX 7, LIN(3), "ring 3: write to a supervisor page"
    TRY mov eax, [LIN(18) + 4]
    CHECK_PFX 4, LIN(18) + 4, "ring 3: read of a not-present page"
    TRY mov dword [LIN(18)], 0xBAD
    CHECK_PFX 6, LIN(18), "ring 3: write to a not-present page"
    TRY mov eax, [0x1000000]
    CHECK_FAULT NOFAULT, 0, "ring 3: read through a user read-only PDE works"
    CHECK_EAX 0x13131313, "ring 3: the read returns the page's data"
    TRY mov dword [0x1000004], 0xBAD
    CHECK_PFX 7, 0x1000004, "ring 3: write through a read-only PDE (PTE R/W=1)"
    TRY mov eax, [0x1400000]
    CHECK_PFX 5, 0x1400000, "ring 3: read through a supervisor PDE (PTE U/S=1)"
    call S_CGBACK | 3 : 0
.never:
    jmp .never

back_to_ring0:
    mov esp, STACK0
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    call flush_log
    mov eax, [PHYS(2)]
    CHECK_EAX 0x22220002, "the faulting ring-3 writes did not change memory"
    mov eax, cr0
    or eax, 0x10000
    mov cr0, eax

    ; ---------------------------------------------------------- PAE + NX
    mov eax, cr0
    and eax, 0x7FFFFFFF
    mov cr0, eax
    jmp .pg_off
.pg_off:
    mov eax, [0x1000000]
    CHECK_EAX 0x4D4D0000, "paging off: the write through the 4 MiB page reached physical 16 MiB"
    mov edi, PDPT
    mov ecx, 0x4000 / 4
    xor eax, eax
    rep stosd
    mov dword [PDPT], PAE_PD | 1
    mov dword [PAE_PD + 0 * 8], PAE_PT0 | 7
    mov dword [PAE_PD + 1 * 8], PAE_PT1 | 7
    mov dword [PAE_PD + 2 * 8], 0x1400000 | 0x87  ; 2 MiB page
    mov dword [PAE_PD + 3 * 8], 0x1600000 | 0x87  ; 2 MiB page, NX
    mov dword [PAE_PD + 3 * 8 + 4], 0x80000000
    mov edi, PAE_PT0
    mov eax, 7
    mov ecx, 512
.ptp:
    mov [edi], eax
    add edi, 8
    add eax, 0x1000
    loop .ptp
    mov dword [PAE_PT1 + 0 * 8], PHYS(14) | 7     ; code page, NX
    mov dword [PAE_PT1 + 0 * 8 + 4], 0x80000000
    mov dword [PAE_PT1 + 3 * 8], PHYS(0x17) | 7
    mov dword [PAE_PT1 + 2 * 8], PHYS(0x16) | 7   ; reserved bit 62
    mov dword [PAE_PT1 + 2 * 8 + 4], 0x40000000
    mov dword [PAE_PT1 + 5 * 8], PHYS(0x15) | 7   ; bit 63 (reserved if NXE=0)
    mov dword [PAE_PT1 + 5 * 8 + 4], 0x80000000
    mov dword [PHYS(0x17)], 0x17171717
    mov ecx, 0xC0000080
    rdmsr
    or eax, 0x800
    wrmsr
    mov eax, PDPT
    mov cr3, eax
    mov eax, cr4
    or eax, 0x20                        ; PAE
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp .pae_on
.pae_on:
    mov eax, cr4
    and eax, 0x20
    CHECK_EAX 0x20, "PAE paging on: CR4.PAE set, code keeps running"
    mov ecx, 0xC0000080
    rdmsr
    and eax, 0x800
    CHECK_EAX 0x800, "EFER.NXE reads back 1"
    mov eax, [0x400010]
    CHECK_EAX 0x5E5E5E5E, "PAE 2 MiB page: read"
    PF_NOFIX
    TRY mov eax, [0x200000]
    CHECK_FAULT NOFAULT, 0, "PAE: data read from an NX page does not fault"
    CHECK_EAX 0x5A5A5AB8, "PAE: data read from an NX page returns its data"

    PF_FIX PAE_PT1 + 0 * 8 + 4, 0
    xor eax, eax
    TRY call 0x200000
    CHECK_EAX 0x5A5A5A5A, "PAE: fetch from an NX page, handler clears XD: retried, code ran"
    CHECK_PF 0x11, 0x200000, 0x200000, "PAE: fetch from an NX page (P | I/D)"

    PF_FIX PAE_PT1 + 1 * 8, PHYS(14) | 7
    xor eax, eax
    TRY call 0x201000
    CHECK_EAX 0x5A5A5A5A, "PAE: fetch from a not-present page: retried, code ran"
    CHECK_PF 0x10, 0x201000, 0x201000, "PAE+NXE: fetch from a not-present page (I/D)"

    PF_FIX PAE_PD + 3 * 8 + 4, 0
    xor eax, eax
    TRY call 0x600000
    CHECK_EAX 0x5A5A5A5A, "PAE: fetch from an NX 2 MiB page, handler clears XD: code ran"
    CHECK_PF 0x11, 0x600000, 0x600000, "PAE: fetch from an NX 2 MiB page"

    PF_FIX PAE_PT1 + 4 * 8, PHYS(0x17) | 7
    xor eax, eax
    TRYL .pnr, mov eax, [0x204000]
    CHECK_EAX 0x17171717, "PAE: not-present read: retried read"
    CHECK_PF 0, 0x204000, .pnr, "PAE: not-present read"
    mov eax, [0x203000]
    CHECK_EAX 0x17171717, "PAE: read of a present 4 KiB page"

    ; ---------------------------------------------------------- reserved bits
    PF_NOFIX
    TRY mov eax, [0x202000]
    CHECK_PFX 9, 0x202000, "PAE: PTE with reserved bit 62 set (P | RSVD)"
    mov ecx, 0xC0000080
    rdmsr
    and eax, ~0x800
    wrmsr
    TRY mov eax, [0x205000]
    CHECK_PFX 9, 0x205000, "PAE, EFER.NXE=0: PTE bit 63 is reserved (P | RSVD)"

    jmp finish

; #PF: stack = error code, EIP, CS, EFLAGS [, ESP, SS]
pf_handler:
    push eax
    mov eax, cr2
    mov [ss:pf_cr2], eax
    mov eax, [esp + 4]
    mov [ss:pf_err], eax
    mov eax, [esp + 8]
    mov [ss:pf_eip], eax
    inc dword [ss:pf_count]
    mov eax, [ss:pf_fix_addr]
    test eax, eax
    jz .chain
    push ebx
    mov ebx, [ss:pf_fix_val]
    mov [ss:eax], ebx
    mov dword [ss:pf_fix_addr], 0       ; once: a second #PF goes to the harness
    mov eax, [ss:pf_cr2]
    invlpg [eax]
    pop ebx
    pop eax
    add esp, 4
    iretd
.chain:
    pop eax
    jmp exc_stubs + 14 * 16

code_blob:
    mov eax, 0x5A5A5A5A
    ret
code_blob_end:

    ROM_END
