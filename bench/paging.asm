; wasmvisor paging benchmark ROM ("paging")
;
; A paging-heavy workload: many pages touched, CR3 switched often. A 64 KiB
; -bios ROM for a machine with 32 MiB of RAM. It enters 32-bit protected mode
; (flat GDT copied to RAM), builds four address spaces and enables paging:
;
;   linear 0x000000-0x3FFFFF   identity (one page table shared by all spaces:
;                              ROM, stack, GDT, IDT, page tables, variables)
;   linear 0x400000-0x13FFFFF  16 MiB in 4096 pages of 4 KiB; in space s,
;                              linear page v maps to the physical page
;                              0x1000000 + ((A[s]*v + B[s]) & 4095) * 4096
;                              (four permutations of the physical pool
;                              0x1000000-0x1FFFFFF)
;
; Before paging is enabled every physical pool page p is filled with the
; dword (p+1) * 0x9E3779B1. The outer loop runs N iterations; N is the
; little-endian dword at file offset 0xFFE0 (physical 0xFFFE0), so a harness
; can patch it without reassembling. Iteration i (0-based), with s = i & 3,
; t = (s+1) & 3, v0 = (i*0x9E3) & 4095, stride = ((i*0x2F6) | 1) & 4095,
; off = (i*0x1C4) & 0xFFC:
;
;   1. CR3 = space s. 1024 pages v = v0, v0+stride, ... (mod 4096): read the
;      dword at linear page v + off, x ^= c (c counts 1024 down to 1),
;      acc = rol(acc + x, 3), write acc back to the same dword.
;   2. CR3 = space t. The next 1024 pages of the same sequence, the same way.
;   3. Still in space t: rep movsd of 2048 dwords (8 KiB, crossing three
;      linear pages each, misaligned) from linear page sp = (i*37) & 2043,
;      offset (i*0x155) & 0xFFF, to page dp = 2048 + ((i*53) & 2043), offset
;      (i*0x2A3) & 0xFFF. Then 16 dwords of the destination (at j*512 + 2,
;      unaligned) are folded into acc: acc = rol(acc + x, 3).
;   4. CR3 = space s. v1 = v0, v2 = v0 + stride: fold the dwords at v1+off and
;      v2+off, swap the two PTEs in space s's page table, INVLPG both pages,
;      fold the same two dwords again (now through the swapped mappings).
;
; so that every wrong translation (stale TLB entry after a CR3 load or an
; INVLPG, a wrong page-table walk, a wrong split of a page-crossing access)
; changes the checksum. At the end it prints on port 0xE9
; "paging: N=<n> checksum=<8 hex digits>", then cli; hlt.
; An unexpected exception prints "paging: exception <vector>" and halts.
;
; bench/expected-paging.py recomputes the checksum for any N.

bits 16
cpu 686

%ifndef DEFAULT_N
DEFAULT_N   equ 3200
%endif

ROMBASE     equ 0xF0000
org ROMBASE

GDT_BASE    equ 0x01000
IDT_BASE    equ 0x00800
VARS        equ 0x02000
STACK_TOP   equ 0x90000
IDPT        equ 0x100000            ; identity page table (0-4 MiB)
PD_BASE     equ 0x101000            ; 4 page directories, 4 KiB each
PT_BASE     equ 0x110000            ; 4 x 16 KiB of page tables (PTE v at +v*4)
POOL_PHYS   equ 0x1000000
POOL_LIN    equ 0x400000
NPAGES      equ 4096

SEL_CODE    equ 0x08
SEL_DATA    equ 0x10

V_I         equ VARS+0x00
V_N         equ VARS+0x04
V_ACC       equ VARS+0x08
V_V0        equ VARS+0x0C
V_STRIDE    equ VARS+0x10
V_OFF       equ VARS+0x14
V_S         equ VARS+0x18
V_T         equ VARS+0x1C

%macro DESC 4
    dw (%2) & 0xFFFF
    dw (%1) & 0xFFFF
    db ((%1) >> 16) & 0xFF
    db (%3)
    db (((%2) >> 16) & 0x0F) | ((%4) << 4)
    db ((%1) >> 24) & 0xFF
%endmacro

%macro PUTS 1+
    jmp %%over
%%str: db %1, 0
%%over:
    push esi
    mov esi, %%str
    call puts
    pop esi
%endmacro

; fold eax into the checksum in esi: esi = rol(esi + eax, 3)
%macro FOLD 0
    add esi, eax
    rol esi, 3
%endmacro

start:
    cli
    cld
    o32 lgdt [cs:gdtr_rom - $$]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword SEL_CODE:pm_entry

    align 8
gdt:
    dq 0
    DESC 0, 0xFFFFF, 0x9B, 0xC          ; 0x08 flat code
    DESC 0, 0xFFFFF, 0x93, 0xC          ; 0x10 flat data
gdt_end:
gdtr_rom:
    dw gdt_end - gdt - 1
    dd gdt
gdtr_ram:
    dw gdt_end - gdt - 1
    dd GDT_BASE
idtr_ram:
    dw 32 * 8 - 1
    dd IDT_BASE

    bits 32
pm_entry:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov esp, STACK_TOP
    ; the GDT, in RAM
    mov esi, gdt
    mov edi, GDT_BASE
    mov ecx, gdt_end - gdt
    rep movsb
    lgdt [gdtr_ram]
    jmp SEL_CODE:.reload
.reload:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    ; an IDT for the 32 exceptions: report and halt
    xor eax, eax
.idt:
    mov ebx, eax
    shl ebx, 4
    add ebx, exc_stubs
    mov edx, ebx
    and edx, 0xFFFF
    or edx, SEL_CODE << 16
    mov [IDT_BASE + eax * 8], edx
    and ebx, 0xFFFF0000
    or ebx, 0x8E00
    mov [IDT_BASE + eax * 8 + 4], ebx
    inc eax
    cmp eax, 32
    jb .idt
    lidt [idtr_ram]

    ; fill the physical pool: page p = (p+1) * 0x9E3779B1 in every dword
    mov edi, POOL_PHYS
    xor ebx, ebx
.fill:
    lea eax, [ebx + 1]
    imul eax, eax, 0x9E3779B1
    mov ecx, 1024
    rep stosd
    inc ebx
    cmp ebx, NPAGES
    jb .fill

    ; identity page table for 0-4 MiB
    mov edi, IDPT
    mov eax, 0x003
    mov ecx, 1024
.id:
    stosd
    add eax, 0x1000
    loop .id

    ; page directories and the permuted page tables
    xor ebp, ebp                        ; space s
.space:
    mov edi, ebp
    shl edi, 12
    add edi, PD_BASE                    ; PD of s
    push edi
    xor eax, eax
    mov ecx, 1024
    rep stosd                           ; clear it
    pop edi
    mov dword [edi], IDPT | 3
    mov eax, ebp
    shl eax, 14
    add eax, PT_BASE | 3
    mov ecx, 4
    add edi, (POOL_LIN >> 22) * 4
.pde:
    stosd
    add eax, 0x1000
    loop .pde
    ; PTEs: PTE v = POOL_PHYS + ((A*v + B) & 4095) * 4096 | 3
    mov edi, ebp
    shl edi, 14
    add edi, PT_BASE
    mov ebx, [perm_a + ebp * 4]         ; A
    mov edx, [perm_b + ebp * 4]         ; B (running A*v + B)
    xor ecx, ecx
.pte:
    mov eax, edx
    and eax, NPAGES - 1
    shl eax, 12
    add eax, POOL_PHYS | 3
    stosd
    add edx, ebx
    inc ecx
    cmp ecx, NPAGES
    jb .pte
    inc ebp
    cmp ebp, 4
    jb .space

    ; paging on, space 0
    mov eax, PD_BASE
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp .pg
.pg:

    mov eax, [iterations]
    mov [V_N], eax
    mov dword [V_I], 0
    xor esi, esi                        ; acc, kept in esi throughout

outer:
    mov eax, [V_I]
    cmp eax, [V_N]
    jae finish
    ; per-iteration parameters
    mov ebx, eax
    and ebx, 3
    mov [V_S], ebx
    inc ebx
    and ebx, 3
    mov [V_T], ebx
    imul ebx, eax, 0x9E3
    and ebx, NPAGES - 1
    mov [V_V0], ebx
    imul ebp, eax, 0x2F6
    or ebp, 1
    and ebp, NPAGES - 1
    mov [V_STRIDE], ebp
    imul edi, eax, 0x1C4
    and edi, 0xFFC
    mov [V_OFF], edi
    add edi, POOL_LIN

    ; 1. space s, 1024 pages
    mov eax, [V_S]
    shl eax, 12
    add eax, PD_BASE
    mov cr3, eax
    call touch
    ; 2. space t, the next 1024 pages
    mov eax, [V_T]
    shl eax, 12
    add eax, PD_BASE
    mov cr3, eax
    call touch

    ; 3. copy 8 KiB across pages, then sample the destination
    push esi
    mov eax, [V_I]
    imul esi, eax, 37
    and esi, 2043
    shl esi, 12
    imul edx, eax, 0x155
    and edx, 0xFFF
    lea esi, [esi + edx + POOL_LIN]
    imul edi, eax, 53
    and edi, 2043
    add edi, 2048
    shl edi, 12
    imul edx, eax, 0x2A3
    and edx, 0xFFF
    lea edi, [edi + edx + POOL_LIN]
    mov ecx, 2048
    push edi
    rep movsd
    pop edi
    pop esi
    mov ecx, 16
    add edi, 2
.sample:
    mov eax, [edi]
    FOLD
    add edi, 512
    dec ecx
    jnz .sample

    ; 4. space s: read two pages, swap their PTEs, INVLPG, read again
    mov eax, [V_S]
    mov ebp, eax
    shl eax, 12
    add eax, PD_BASE
    mov cr3, eax
    shl ebp, 14
    add ebp, PT_BASE                    ; page table of s
    mov ebx, [V_V0]                     ; v1
    mov ecx, ebx
    add ecx, [V_STRIDE]
    and ecx, NPAGES - 1                 ; v2
    mov edi, [V_OFF]
    add edi, POOL_LIN
    mov edx, ebx
    shl edx, 12
    mov eax, [edi + edx]
    FOLD
    mov edx, ecx
    shl edx, 12
    mov eax, [edi + edx]
    FOLD
    mov eax, [ebp + ebx * 4]
    mov edx, [ebp + ecx * 4]
    mov [ebp + ebx * 4], edx
    mov [ebp + ecx * 4], eax
    mov edx, ebx
    shl edx, 12
    invlpg [edx + POOL_LIN]
    mov eax, [edi + edx]
    FOLD
    mov edx, ecx
    shl edx, 12
    invlpg [edx + POOL_LIN]
    mov eax, [edi + edx]
    FOLD

    inc dword [V_I]
    jmp outer

; touch 1024 pages: ebx = page index (updated), ebp = stride,
; edi = POOL_LIN + offset, esi = acc (updated)
touch:
    mov ecx, 1024
.l:
    mov edx, ebx
    shl edx, 12
    mov eax, [edx + edi]
    xor eax, ecx
    add esi, eax
    rol esi, 3
    mov [edx + edi], esi
    add ebx, ebp
    and ebx, NPAGES - 1
    dec ecx
    jnz .l
    ret

finish:
    mov [V_ACC], esi
    PUTS "paging: N="
    mov eax, [V_N]
    call print_dec
    PUTS " checksum="
    mov eax, [V_ACC]
    call print_hex
    mov al, 10
    out 0xE9, al
halt:
    cli
.h: hlt
    jmp .h

; ---------------------------------------------------------------- exceptions

    align 16
exc_stubs:
%assign v 0
%rep 32
    times (exc_stubs + v * 16) - $ db 0x90
    push dword v
    jmp exc_common
%assign v v + 1
%endrep

exc_common:
    mov ax, SEL_DATA
    mov ds, ax
    PUTS "paging: exception "
    pop eax
    call print_dec
    mov al, 10
    out 0xE9, al
    jmp halt

; ---------------------------------------------------------------- output

puts:                                   ; esi -> NUL-terminated string
    push eax
    push esi
.l: mov al, [esi]
    test al, al
    jz .e
    out 0xE9, al
    inc esi
    jmp .l
.e: pop esi
    pop eax
    ret

print_dec:                              ; eax unsigned
    pushad
    mov ebx, 10
    xor ecx, ecx
.l: xor edx, edx
    div ebx
    push edx
    inc ecx
    test eax, eax
    jnz .l
.p: pop eax
    add al, '0'
    out 0xE9, al
    loop .p
    popad
    ret

print_hex:                              ; eax as 8 hex digits
    pushad
    mov edx, eax
    mov ecx, 8
.l: rol edx, 4
    mov al, dl
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .d
    add al, 'A' - '0' - 10
.d: out 0xE9, al
    loop .l
    popad
    ret

    align 4
perm_a: dd 1, 1021, 2053, 3001          ; odd: v -> A*v + B is a permutation mod 4096
perm_b: dd 0, 0x5A5, 0x123, 0xABC

; ---------------------------------------------------------------- parameters

%if ($ - $$) > 0xFFE0
  %error "code too large"
%endif
    times 0xFFE0 - ($ - $$) db 0xFF
iterations:
    dd DEFAULT_N                        ; F000:FFE0: number of iterations
    times 0xFFF0 - ($ - $$) db 0xFF
    bits 16
reset:
    jmp 0xF000:(start - $$)
    times 0x10000 - ($ - $$) db 0xFF
