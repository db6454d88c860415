; wasmvisor demo ROM
;
; A 64 KiB real-mode "BIOS" image that computes a few things and prints
; them on the debug console (port 0xE9), then halts with cli; hlt.
;
;   nasm -f bin -o demo.bin demo.asm          (normal build)
;   nasm -f bin -DDUMP -o demo-dump.bin demo.asm
;       (also prints every value recorded by the instruction tests, one per
;        line, to compare with `python3 expected-demo.py --dump`)
;
; The image is loaded so that its last byte is at physical 0xFFFFF: file
; offset X is at F000:X.  Execution starts at F000:FFF0 (the last 16 bytes).
;
; Memory map (all RAM, nothing assumed initialised):
;   0000:0000-03FF  interrupt vector table (we install a few vectors)
;   0000:0500-05FF  variables
;   0000:0700-07FF  code stubs copied from ROM and executed from RAM
;   0000:1000-1FFF  result buffer of the instruction tests (dwords)
;   0000:2000-7FFF  stack (SS:SP = 0000:8000)
;   1000:0000       sieve (10000 bytes)
;   2000:0000       sort array (1000 words)
;   3000:0000       CRC-32 table (256 dwords)
;   4000:0000       scratch area of the instruction tests

bits 16
cpu 386
org 0

SIEVE_LIMIT equ 10000
SORT_N      equ 1000
SORT_SEED   equ 20240601
SIEVESEG    equ 0x1000
SORTSEG     equ 0x2000
CRCSEG      equ 0x3000
SCRSEG      equ 0x4000

; variables (segment 0)
RESPTR      equ 0x500       ; word: next free slot in RESBUF
GRPSTART    equ 0x502       ; word: first slot of the current group
SAVESP      equ 0x504
TMP1        equ 0x506
TMP2        equ 0x508
LAST_IP     equ 0x510       ; written by interrupt handlers
LAST_CS     equ 0x512
LAST_FL     equ 0x514
LAST_INFL   equ 0x516
CNT60       equ 0x518
CNT0        equ 0x51A
CNT3        equ 0x51C
CNT4        equ 0x51E
TMPD        equ 0x520       ; dword
SORTSUM     equ 0x524
RAMSTUB     equ 0x700
RESBUF      equ 0x1000

FLAGS_ARITH equ 0x08D5      ; OF SF ZF AF PF CF
FLAGS_NOAF  equ 0x08C5      ; OF SF ZF PF CF
FLAGS_SZPC  equ 0x00C5      ; SF ZF PF CF
FLAGS_OC    equ 0x0801      ; OF CF
FLAGS_ALL   equ 0x0FD5      ; OF DF IF TF SF ZF AF PF CF

; ---------------------------------------------------------------- macros

%macro PUTS 1+
        jmp     %%over
%%str:  db      %1, 0
%%over:
        push    si
        mov     si, %%str
        call    puts
        pop     si
%endmacro

%macro NEWLINE 0
        push    ax
        mov     al, 10
        out     0xE9, al
        pop     ax
%endmacro

; record a 32-bit value (register, immediate or dword memory operand)
%macro REC 1
        push    eax
        mov     eax, %1
        call    record
        pop     eax
%endmacro

; record a 16-bit value, zero-extended
%macro RECW 1
        push    eax
        movzx   eax, %1
        call    record
        pop     eax
%endmacro

; record an 8-bit value, zero-extended
%macro RECB 1
        push    eax
        movzx   eax, %1
        call    record
        pop     eax
%endmacro

; record FLAGS & mask; preserves all registers and flags
%macro RECF 1
        pushf
        push    eax
        pushf
        pop     ax
        and     eax, %1
        call    record
        pop     eax
        popf
%endmacro

; compare AX with DX, set bit %2 of DI if the jump %1 is NOT taken
%macro JTEST 2
        cmp     ax, dx
        %1      %%t
        or      di, %2
%%t:
%endmacro

; load FLAGS with an immediate image
%macro SETFLAGS 1
        push    word %1
        popf
%endmacro

; ---------------------------------------------------------------- main

start:
        cli
        cld
        xor     ax, ax
        mov     ss, ax
        mov     esp, 0x8000
        mov     ds, ax
        mov     es, ax

        PUTS    "wasmvisor demo ROM", 10

        call    sieve_demo
        call    crc_demo
        call    sort_demo
        call    ops_demo

        PUTS    "done", 10
        cli
.halt:  hlt
        jmp     .halt

; ---------------------------------------------------------------- output

; print the NUL-terminated string at CS:SI
puts:
        push    ax
        push    si
.l:     mov     al, [cs:si]
        test    al, al
        jz      .e
        out     0xE9, al
        inc     si
        jmp     .l
.e:     pop     si
        pop     ax
        ret

; print EAX as unsigned decimal
print_u32:
        pushad
        mov     ecx, 10
        xor     bx, bx
.d:     xor     edx, edx
        div     ecx
        push    dx
        inc     bx
        test    eax, eax
        jnz     .d
.p:     pop     ax
        add     al, '0'
        out     0xE9, al
        dec     bx
        jnz     .p
        popad
        ret

; print EAX as 8 upper-case hex digits
print_hex32:
        pushad
        mov     cx, 8
.l:     rol     eax, 4
        mov     bl, al
        and     bl, 0x0F
        add     bl, '0'
        cmp     bl, '9'
        jbe     .o
        add     bl, 'A' - '0' - 10
.o:     push    ax
        mov     al, bl
        out     0xE9, al
        pop     ax
        loop    .l
        popad
        ret

; ---------------------------------------------------------------- (b) sieve

sieve_demo:
        push    es
        push    word SIEVESEG
        pop     es
        xor     di, di
        mov     cx, SIEVE_LIMIT
        mov     al, 1
        rep     stosb
        mov     word [es:0], 0          ; 0 and 1 are not prime
        mov     si, 2
.outer: mov     ax, si
        mul     si                      ; dx:ax = i*i
        cmp     ax, SIEVE_LIMIT
        jae     .count
        cmp     byte [es:si], 0
        je      .next
        mov     di, ax
.mark:  mov     byte [es:di], 0
        add     di, si
        cmp     di, SIEVE_LIMIT
        jb      .mark
.next:  inc     si
        jmp     .outer

.count: xor     si, si
        xor     ecx, ecx                ; number of primes
        xor     ebx, ebx                ; sum of primes
        xor     dx, dx                  ; largest prime
.c:     cmp     byte [es:si], 0
        je      .nc
        inc     cx
        movzx   eax, si
        add     ebx, eax
        mov     dx, si
.nc:    inc     si
        cmp     si, SIEVE_LIMIT
        jb      .c

        PUTS    "sieve: "
        mov     eax, ecx
        call    print_u32
        PUTS    " primes below "
        mov     eax, SIEVE_LIMIT
        call    print_u32
        PUTS    ", largest "
        movzx   eax, dx
        call    print_u32
        PUTS    ", sum "
        mov     eax, ebx
        call    print_u32
        NEWLINE
        pop     es
        ret

; ---------------------------------------------------------------- (c) CRC-32

; build the 256-entry table for the reflected polynomial 0xEDB88320
crc_build_table:
        pushad
        push    es
        push    word CRCSEG
        pop     es
        xor     di, di
        xor     ebx, ebx
.n:     mov     eax, ebx
        mov     cx, 8
.k:     shr     eax, 1
        jnc     .s
        xor     eax, 0xEDB88320
.s:     loop    .k
        stosd
        inc     bx
        cmp     bx, 256
        jb      .n
        pop     es
        popad
        ret

; EAX = running CRC state, DS:SI = data, CX = length (0 = nothing)
; returns the new state in EAX; preserves every other register
crc_update:
        push    es
        push    bx
        push    cx
        push    si
        push    word CRCSEG
        pop     es
        jcxz    .done
.l:     mov     bl, [si]
        xor     bl, al
        xor     bh, bh
        shl     bx, 2
        shr     eax, 8
        xor     eax, [es:bx]
        inc     si
        loop    .l
.done:  pop     si
        pop     cx
        pop     bx
        pop     es
        ret

crc_demo:
        call    crc_build_table
        push    ds
        push    word 0xF000
        pop     ds
        xor     si, si
        mov     cx, 0x8000
        mov     eax, 0xFFFFFFFF
        call    crc_update
        not     eax
        pop     ds
        PUTS    "crc32 of ROM F000:0000-7FFF: "
        call    print_hex32
        NEWLINE
        ret

; ---------------------------------------------------------------- (d) sort

; sift the element at byte offset SI down a max-heap of CX bytes (ES = array)
siftdown:
.loop:  mov     di, si
        shl     di, 1
        add     di, 2                   ; left child
        cmp     di, cx
        jae     .ret
        lea     bx, [di+2]              ; right child
        cmp     bx, cx
        jae     .one
        mov     ax, [es:di]
        cmp     ax, [es:di+2]
        jae     .one
        mov     di, bx
.one:   mov     ax, [es:si]
        mov     dx, [es:di]
        cmp     ax, dx
        jae     .ret
        mov     [es:si], dx
        mov     [es:di], ax
        mov     si, di
        jmp     .loop
.ret:   ret

sort_demo:
        push    es
        push    word SORTSEG
        pop     es

        ; fill with an LCG: x = x*1664525 + 1013904223, value = x >> 16
        mov     ebx, SORT_SEED
        xor     di, di
        mov     cx, SORT_N
        xor     bp, bp                  ; sum before sorting
.gen:   imul    ebx, ebx, 1664525
        add     ebx, 1013904223
        mov     eax, ebx
        shr     eax, 16
        stosw
        add     bp, ax
        loop    .gen
        mov     [SORTSUM], bp

        ; heap sort, ascending, unsigned
        mov     cx, SORT_N*2
        mov     bp, (SORT_N/2-1)*2
.build: push    bp
        mov     si, bp
        call    siftdown
        pop     bp
        sub     bp, 2
        jns     .build
        mov     bp, (SORT_N-1)*2
.ext:   mov     ax, [es:0]
        xchg    ax, [es:bp]
        mov     [es:0], ax
        push    bp
        mov     cx, bp
        xor     si, si
        call    siftdown
        pop     bp
        sub     bp, 2
        jnz     .ext

        ; verify
        xor     si, si
        xor     dx, dx                  ; sum after sorting
        xor     bx, bx                  ; out-of-order neighbours
        mov     cx, SORT_N
.v:     mov     ax, [es:si]
        add     dx, ax
        cmp     cx, 1
        je      .vn
        cmp     ax, [es:si+2]
        jbe     .vn
        inc     bx
.vn:    add     si, 2
        loop    .v

        PUTS    "sort: "
        mov     eax, SORT_N
        call    print_u32
        PUTS    " numbers, min "
        movzx   eax, word [es:0]
        call    print_u32
        PUTS    ", max "
        movzx   eax, word [es:(SORT_N-1)*2]
        call    print_u32
        PUTS    ", sum mod 65536 = "
        movzx   eax, dx
        call    print_u32
        cmp     dx, [SORTSUM]
        je      .sumok
        PUTS    ", SUM CHANGED"
.sumok: test    bx, bx
        jnz     .bad
        PUTS    ", sorted ok", 10
        jmp     .out
.bad:   PUTS    ", NOT SORTED: "
        movzx   eax, bx
        call    print_u32
        PUTS    " inversions", 10
.out:   pop     es
        ret

; ---------------------------------------------------------------- (e) ops

; append EAX to the result buffer; preserves all registers and flags
record:
        push    ds
        push    di
        push    word 0
        pop     ds
        mov     di, [RESPTR]
        mov     [di], eax
        lea     di, [di+4]
        mov     [RESPTR], di
%ifdef DUMP
        pushf
        push    ax
        mov     al, '#'
        out     0xE9, al
        mov     al, ' '
        out     0xE9, al
        pop     ax
        call    print_hex32
        NEWLINE
        popf
%endif
        pop     di
        pop     ds
        ret

group_begin:
        push    ax
        push    ds
        push    word 0
        pop     ds
        mov     ax, [RESPTR]
        mov     [GRPSTART], ax
        pop     ds
        pop     ax
        ret

; print "<name at CS:SI><count> results, crc32 <crc>" for the current group
group_end:
        pushad
        push    ds
        push    word 0
        pop     ds
        call    puts
        mov     si, [GRPSTART]
        mov     cx, [RESPTR]
        sub     cx, si
        movzx   eax, cx
        shr     eax, 2
        call    print_u32
        PUTS    " results, crc32 "
        mov     eax, 0xFFFFFFFF
        call    crc_update
        not     eax
        call    print_hex32
        NEWLINE
        pop     ds
        popad
        ret

%macro GROUP 2
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        cld
        call    group_begin
        call    %1
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        cld
        mov     si, %%name
        call    group_end
        jmp     %%over
%%name: db      %2, 0
%%over:
%endmacro

ops_demo:
        mov     word [RESPTR], RESBUF
        GROUP   t_string, "ops string : "
        GROUP   t_muldiv, "ops muldiv : "
        GROUP   t_alu,    "ops alu    : "
        GROUP   t_shift,  "ops shift  : "
        GROUP   t_bcd,    "ops bcd    : "
        GROUP   t_stack,  "ops stack  : "
        GROUP   t_int,    "ops int    : "
        mov     word [GRPSTART], RESBUF
        mov     si, .total
        call    group_end
        ret
.total: db      "ops total  : ", 0

; ---------------------------------------------------------------- string ops

t_string:
        push    word SCRSEG
        pop     ds
        push    word SCRSEG
        pop     es

        xor     di, di                  ; clear 0x000-0x5FF
        xor     eax, eax
        mov     cx, 0x600/4
        rep     stosd
        RECW    di
        RECW    cx

        xor     di, di                  ; pattern: byte i = 7*i+3
        mov     al, 3
        mov     cx, 256
.pat:   stosb
        add     al, 7
        loop    .pat

        xor     si, si                  ; copy 0x000-0x0FF to 0x100-0x1FF
        mov     di, 0x100
        mov     cx, 256
        rep     movsb
        RECW    si
        RECW    di
        RECW    cx

        std                             ; copy 0x080-0x0FF to 0x380-0x3FF backwards
        mov     si, 0xFE
        mov     di, 0x3FE
        mov     cx, 64
        rep     movsw
        cld
        RECW    si
        RECW    di

        mov     di, 0x400               ; 100 x 0xBEEF at 0x400
        mov     ax, 0xBEEF
        mov     cx, 100
        rep     stosw
        RECW    di

        xor     si, si                  ; copy 16 dwords 0x000 -> 0x500
        mov     di, 0x500
        mov     cx, 16
        rep     movsd
        RECW    si
        RECW    di

        mov     byte [0x100+77], 0      ; repe cmpsb stops at the 78th byte
        xor     si, si
        mov     di, 0x100
        mov     cx, 256
        repe    cmpsb
        RECF    FLAGS_ARITH
        RECW    cx
        RECW    si
        RECW    di

        mov     si, 0x80                ; equal all the way
        mov     di, 0x380
        mov     cx, 64
        repe    cmpsw
        RECF    FLAGS_ARITH
        RECW    cx

        xor     di, di                  ; find 0x42 in the pattern
        mov     cx, 256
        mov     al, 0x42
        repne   scasb
        RECF    FLAGS_ARITH
        RECW    cx
        RECW    di

        mov     di, 0x400               ; not found
        mov     cx, 200
        repne   scasb
        RECF    FLAGS_ARITH
        RECW    cx
        RECW    di

        xor     si, si                  ; lodsw sum
        mov     cx, 128
        xor     dx, dx
.sum:   lodsw
        add     dx, ax
        loop    .sum
        RECW    dx

        xor     cx, cx                  ; rep with CX=0 does nothing
        mov     di, 0x5F0
        mov     al, 0x77
        rep     stosb
        RECW    di

        std                             ; backwards search for a zero word
        mov     di, 0x4C6
        xor     ax, ax
        mov     cx, 300
        repne   scasw
        cld
        RECF    FLAGS_ARITH
        RECW    cx
        RECW    di

        xor     si, si                  ; CRC of the whole scratch area
        mov     cx, 0x600
        mov     eax, 0xFFFFFFFF
        call    crc_update
        not     eax
        REC     eax
        ret

; ---------------------------------------------------------------- mul/div

t_muldiv:
        mov     al, 200
        mov     bl, 3
        mul     bl
        RECW    ax
        RECF    FLAGS_OC

        mov     al, 20
        mov     bl, 12
        mul     bl
        RECW    ax
        RECF    FLAGS_OC

        mov     ax, 0xFFFF
        mov     bx, 0xFFFF
        mul     bx
        RECW    ax
        RECW    dx
        RECF    FLAGS_OC

        mov     eax, 0x12345678
        mov     ebx, 0x9ABCDEF0
        mul     ebx
        REC     eax
        REC     edx
        RECF    FLAGS_OC

        mov     al, -100
        mov     bl, 3
        imul    bl
        RECW    ax
        RECF    FLAGS_OC

        mov     al, -10
        mov     bl, 12
        imul    bl
        RECW    ax
        RECF    FLAGS_OC

        mov     ax, -1234
        mov     bx, 5678
        imul    bx
        RECW    ax
        RECW    dx
        RECF    FLAGS_OC

        mov     eax, -123456789
        mov     ebx, 987654
        imul    ebx
        REC     eax
        REC     edx
        RECF    FLAGS_OC

        mov     bx, 300
        imul    cx, bx, -7
        RECW    cx
        RECF    FLAGS_OC

        mov     bx, 30000
        imul    cx, bx, 3
        RECW    cx
        RECF    FLAGS_OC

        mov     eax, 0x10001
        mov     ebx, 0x10001
        imul    eax, ebx
        REC     eax
        RECF    FLAGS_OC

        mov     ax, 1000
        mov     bl, 7
        div     bl
        RECW    ax

        mov     dx, 0x0012
        mov     ax, 0x3456
        mov     bx, 0x1234
        div     bx
        RECW    ax
        RECW    dx

        mov     edx, 1
        mov     eax, 0x23456789
        mov     ecx, 0x10000
        div     ecx
        REC     eax
        REC     edx

        mov     edx, 0x12345
        mov     eax, 0x6789ABCD
        mov     ecx, 0xFEDCBA98
        div     ecx
        REC     eax
        REC     edx

        mov     ax, -500
        mov     bl, 7
        idiv    bl
        RECW    ax

        mov     ax, 500
        mov     bl, -7
        idiv    bl
        RECW    ax

        mov     ax, (-100000) & 0xFFFF
        mov     dx, ((-100000) >> 16) & 0xFFFF
        mov     bx, 333
        idiv    bx
        RECW    ax
        RECW    dx

        mov     eax, (-1000000000000) & 0xFFFFFFFF
        mov     edx, ((-1000000000000) >> 32) & 0xFFFFFFFF
        mov     ecx, 12345
        idiv    ecx
        REC     eax
        REC     edx

        mov     al, 0x85
        cbw
        RECW    ax
        mov     ax, 0x8001
        cwd
        RECW    dx
        mov     ax, 0x7FFF
        cwde
        REC     eax
        mov     eax, 0x80000000
        cdq
        REC     edx

        ; 32-bit x 32-bit -> 64-bit by 16-bit pieces, checked against mul
        mov     eax, 0xDEADBEEF
        mov     ebx, 0xCAFEF00D
        mul     ebx
        mov     [TMPD], edx
        mov     esi, eax
        mov     eax, 0xDEADBEEF
        xor     edi, edi
        mov     ecx, eax
        shr     ecx, 16                 ; a_hi
        movzx   eax, ax                 ; a_lo
        mov     edx, ebx
        shr     edx, 16                 ; b_hi
        movzx   ebx, bx                 ; b_lo
        push    eax
        imul    eax, ebx                ; lo*lo (fits in 32 bits)
        mov     ebp, eax
        pop     eax
        imul    eax, edx                ; lo*hi
        push    edx
        mov     edx, eax
        shl     edx, 16
        shr     eax, 16
        add     ebp, edx
        adc     edi, eax
        pop     edx
        mov     eax, ecx
        imul    eax, ebx                ; hi*lo
        mov     ebx, eax
        shl     ebx, 16
        shr     eax, 16
        add     ebp, ebx
        adc     edi, eax
        imul    ecx, edx                ; hi*hi
        add     edi, ecx
        REC     ebp
        REC     edi
        xor     ebp, esi
        xor     edi, [TMPD]
        or      ebp, edi
        REC     ebp                     ; 0 if both agree
        ret

; ---------------------------------------------------------------- ALU misc

t_alu:
        mov     al, 0x7F
        add     al, 1
        RECB    al
        RECF    FLAGS_ARITH

        mov     al, 0xFF
        add     al, 1
        RECB    al
        RECF    FLAGS_ARITH

        SETFLAGS 0x0003
        mov     ax, 0xFFFF
        adc     ax, 0
        RECW    ax
        RECF    FLAGS_ARITH

        mov     ax, 0x8000
        sub     ax, 1
        RECW    ax
        RECF    FLAGS_ARITH

        SETFLAGS 0x0003
        mov     eax, 0
        sbb     eax, 0
        REC     eax
        RECF    FLAGS_ARITH

        mov     bl, 0x10
        cmp     bl, 0x20
        RECF    FLAGS_ARITH

        mov     edx, 0x7FFFFFFF
        add     edx, 0x12345678
        REC     edx
        RECF    FLAGS_ARITH

        mov     bx, 5
        neg     bx
        RECW    bx
        RECF    FLAGS_ARITH

        xor     bx, bx
        neg     bx
        RECF    FLAGS_ARITH

        mov     ax, 0xF0F0
        and     ax, 0x0FF0
        RECW    ax
        RECF    FLAGS_NOAF

        mov     ax, 0xF0F0
        or      ax, 0x0F0F
        RECW    ax
        RECF    FLAGS_NOAF

        mov     eax, 0x5555AAAA
        xor     eax, 0x5555AAAA
        RECF    FLAGS_NOAF

        mov     al, 0x81
        test    al, 0x80
        RECF    FLAGS_NOAF

        SETFLAGS 0x0001
        mov     ax, 0x1234
        not     ax
        RECW    ax
        RECF    FLAGS_ARITH

        SETFLAGS 0x0001
        mov     al, 0xFF
        inc     al
        RECB    al
        RECF    FLAGS_ARITH

        SETFLAGS 0x0000
        mov     al, 0x80
        dec     al
        RECB    al
        RECF    FLAGS_ARITH

        mov     eax, 0xFFFFFFF0         ; 64-bit add and subtract
        mov     edx, 1
        add     eax, 0x20
        adc     edx, 0
        REC     eax
        REC     edx
        sub     eax, 0x21
        sbb     edx, 0
        REC     eax
        REC     edx
        RECF    FLAGS_ARITH

        SETFLAGS 0x0002                 ; sahf / lahf / cmc
        mov     ax, 0xD555
        sahf
        mov     ah, 0
        lahf
        RECW    ax
        cmc
        RECF    FLAGS_ARITH

        mov     bx, hex_digits          ; xlat with a CS override
        mov     al, 11
        cs xlatb
        RECB    al

        mov     ax, 0x1234              ; xchg
        mov     dx, 0x5678
        xchg    ax, dx
        xchg    dh, dl
        RECW    ax
        RECW    dx

        mov     ax, 5                   ; setcc
        cmp     ax, 7
        setl    bl
        setb    bh
        setg    cl
        setz    ch
        setnz   dl
        setae   dh
        RECW    bx
        RECW    cx
        RECW    dx
        mov     ax, -5
        cmp     ax, 7
        setl    bl
        seta    bh
        sets    cl
        seto    ch
        setp    dl
        setle   dh
        RECW    bx
        RECW    cx
        RECW    dx

        ; conditional jumps: for each pair, set a bit per branch NOT taken
        mov     si, cmp_pairs
        xor     ebx, ebx
.pair:  mov     ax, [cs:si]
        mov     dx, [cs:si+2]
        xor     di, di
        JTEST   jl, 0x0001
        JTEST   jg, 0x0002
        JTEST   jb, 0x0004
        JTEST   ja, 0x0008
        JTEST   je, 0x0010
        JTEST   jo, 0x0020
        JTEST   js, 0x0040
        JTEST   jp, 0x0080
        JTEST   jle, 0x0100
        JTEST   jge, 0x0200
        JTEST   jbe, 0x0400
        JTEST   jae, 0x0800
        JTEST   jno, 0x1000
        JTEST   jns, 0x2000
        JTEST   jnp, 0x4000
        JTEST   jne, 0x8000
        imul    ebx, ebx, 31
        movzx   edi, di
        add     ebx, edi
        add     si, 4
        cmp     si, cmp_pairs_end
        jb      .pair
        REC     ebx

        mov     eax, 0x12345678         ; bt family
        bt      eax, 3
        RECF    0x0001
        bt      eax, 31
        RECF    0x0001
        mov     cx, 17
        mov     ax, 0
        bts     ax, cx                  ; register operand: bit 17 mod 16 = 1
        RECW    ax
        RECF    0x0001
        mov     ax, 0xFFFF
        btr     ax, 15
        RECW    ax
        RECF    0x0001
        mov     edx, 0x0000FFFF
        mov     ecx, 16
        btc     edx, ecx
        REC     edx
        RECF    0x0001

        push    word SCRSEG             ; bt on memory: bit strings
        pop     ds
        xor     eax, eax
        mov     [0x10], eax
        mov     [0x14], eax
        mov     ax, 35
        bts     word [0x10], ax         ; bit 35 -> word at 0x14, bit 3
        RECF    0x0001
        mov     ax, -1
        bts     word [0x14], ax         ; bit -1 -> word at 0x12, bit 15
        RECF    0x0001
        REC     dword [0x10]
        REC     dword [0x14]
        mov     ax, 35
        btr     word [0x10], ax
        RECF    0x0001
        REC     dword [0x14]
        xor     ax, ax
        mov     ds, ax

        mov     ax, 0x0120              ; bsf / bsr
        bsf     cx, ax
        RECW    cx
        RECF    0x0040
        mov     eax, 0x00F00000
        bsr     ecx, eax
        REC     ecx
        RECF    0x0040
        xor     ax, ax
        bsf     cx, ax
        RECF    0x0040

        mov     bl, 0x80                ; movzx / movsx
        movsx   eax, bl
        REC     eax
        movzx   ecx, bl
        REC     ecx
        movsx   ax, bl
        RECW    ax
        mov     bx, 0x8001
        movsx   edx, bx
        REC     edx

        mov     ebx, 0x1000             ; lea, 16- and 32-bit addressing
        mov     ecx, 0x30
        lea     eax, [ebx+ecx*4+0x10]
        REC     eax
        mov     bx, 0x9000
        mov     si, 0x8000
        lea     ax, [bx+si+0x7FFF]
        RECW    ax
        push    word SCRSEG
        pop     ds
        mov     ebx, 0x20
        mov     ecx, 3
        mov     dword [ebx+ecx*4], 0xCAFEBABE
        REC     dword [0x2C]
        mov     word [0x32], SCRSEG     ; far pointer 4000:0020 for les
        mov     word [0x30], 0x0020
        les     di, [0x30]
        mov     eax, [es:di+12]
        REC     eax
        mov     dx, es
        RECW    dx
        xor     ax, ax
        mov     ds, ax
        mov     es, ax

        mov     cx, 10                  ; loop family
        xor     ax, ax
.l1:    inc     ax
        loop    .l1
        RECW    ax
        mov     cx, 10
        xor     ax, ax
.l2:    inc     ax
        cmp     ax, 4
        loopnz  .l2
        RECW    ax
        RECW    cx
        mov     cx, 10
        xor     ax, ax
.l3:    inc     ax
        cmp     ax, 1
        loopz   .l3
        RECW    ax
        RECW    cx
        xor     cx, cx
        mov     ax, 1
        jcxz    .l4
        mov     ax, 2
.l4:    RECW    ax
        mov     ecx, 0x10000
        mov     ax, 1
        jecxz   .l5
        mov     ax, 2
.l5:    RECW    ax
        ret

; ---------------------------------------------------------------- shifts

t_shift:
        mov     al, 0x81
        shl     al, 1
        RECB    al
        RECF    FLAGS_NOAF
        mov     al, 0x81
        shr     al, 1
        RECB    al
        RECF    FLAGS_NOAF
        mov     al, 0x81
        sar     al, 1
        RECB    al
        RECF    FLAGS_NOAF

        mov     cl, 5
        mov     ax, 0x8421
        shl     ax, cl
        RECW    ax
        RECF    FLAGS_SZPC
        mov     ax, 0x8421
        shr     ax, cl
        RECW    ax
        RECF    FLAGS_SZPC
        mov     ax, 0x8421
        sar     ax, cl
        RECW    ax
        RECF    FLAGS_SZPC

        mov     eax, 0x87654321
        shl     eax, 12
        REC     eax
        RECF    FLAGS_SZPC
        mov     eax, 0x87654321
        shr     eax, 20
        REC     eax
        RECF    FLAGS_SZPC
        mov     eax, 0x87654321
        sar     eax, 7
        REC     eax
        RECF    FLAGS_SZPC

        mov     ax, 0x4321              ; count 0x21 is masked to 1
        mov     cl, 0x21
        shl     ax, cl
        RECW    ax
        RECF    FLAGS_NOAF

        SETFLAGS 0x0045                 ; count 32 is masked to 0: no change
        mov     ax, 0x1234
        mov     cl, 32
        shl     ax, cl
        RECW    ax
        RECF    FLAGS_NOAF

        mov     al, 0x81                ; counts >= operand size
        mov     cl, 9
        shl     al, cl
        RECB    al
        mov     al, 0x81
        shr     al, cl
        RECB    al
        mov     al, 0x81
        mov     cl, 12
        sar     al, cl
        RECB    al

        mov     al, 0x81                ; rotates
        rol     al, 1
        RECB    al
        RECF    FLAGS_OC
        mov     al, 0x81
        ror     al, 1
        RECB    al
        RECF    FLAGS_OC
        mov     cl, 4
        mov     ax, 0x1234
        rol     ax, cl
        RECW    ax
        RECF    0x0001
        mov     ax, 0x1234
        ror     ax, cl
        RECW    ax
        RECF    0x0001
        mov     eax, 0x12345678
        rol     eax, 8
        REC     eax
        RECF    0x0001
        mov     eax, 0x12345678
        mov     cl, 36
        ror     eax, cl
        REC     eax
        RECF    0x0001
        mov     al, 0x96
        mov     cl, 9
        rol     al, cl
        RECB    al
        RECF    0x0001

        stc                             ; rotates through carry
        mov     al, 0x80
        rcl     al, 1
        RECB    al
        RECF    FLAGS_OC
        clc
        mov     al, 0x01
        rcr     al, 1
        RECB    al
        RECF    FLAGS_OC
        stc
        mov     al, 0x01
        rcr     al, 1
        RECB    al
        RECF    FLAGS_OC
        stc
        mov     ax, 0x1234
        mov     cl, 3
        rcl     ax, cl
        RECW    ax
        RECF    0x0001
        stc
        mov     ax, 0x1234
        rcr     ax, cl
        RECW    ax
        RECF    0x0001
        clc
        mov     al, 0xC3
        mov     cl, 10
        rcl     al, cl
        RECB    al
        RECF    0x0001
        stc
        mov     eax, 0x80000001
        mov     cl, 33
        rcl     eax, cl
        REC     eax
        RECF    0x0001
        clc
        mov     eax, 0x12345678
        rcr     eax, 5
        REC     eax
        RECF    0x0001

        mov     edx, 0x01234567         ; 64-bit shift left by 5 with shl/rcl
        mov     eax, 0x89ABCDEF
        mov     cx, 5
.sh64:  shl     eax, 1
        rcl     edx, 1
        loop    .sh64
        REC     eax
        REC     edx
        mov     cx, 7                   ; and 64-bit arithmetic shift right by 7
.sr64:  sar     edx, 1
        rcr     eax, 1
        loop    .sr64
        REC     eax
        REC     edx

        mov     eax, 0x12345678         ; double shifts
        mov     edx, 0x9ABCDEF0
        shld    eax, edx, 12
        REC     eax
        RECF    FLAGS_SZPC
        mov     eax, 0x12345678
        mov     cl, 8
        shrd    eax, edx, cl
        REC     eax
        RECF    FLAGS_SZPC
        mov     ax, 0x1234
        mov     dx, 0xABCD
        shld    ax, dx, 4
        RECW    ax
        RECF    FLAGS_SZPC
        mov     ax, 0x1234
        mov     cl, 7
        shrd    ax, dx, cl
        RECW    ax
        RECF    FLAGS_SZPC
        mov     eax, 0x80000000
        mov     edx, 0xFFFFFFFF
        shld    eax, edx, 1
        REC     eax
        RECF    FLAGS_NOAF
        mov     eax, 0x0000FFFF
        mov     edx, 0x12345678
        mov     cl, 40                  ; masked to 8
        shrd    eax, edx, cl
        REC     eax
        RECF    FLAGS_SZPC
        ret

; ---------------------------------------------------------------- BCD

t_bcd:
        mov     al, 0x79
        add     al, 0x35
        daa
        RECB    al
        RECF    0x00D5
        mov     al, 0x35
        sub     al, 0x47
        das
        RECB    al
        RECF    0x00D5
        mov     ax, 0x0008
        add     al, 5
        aaa
        RECW    ax
        RECF    0x0011
        mov     ax, 0x0038              ; ASCII '8' + '9'
        add     al, 0x39
        aaa
        or      al, 0x30
        RECW    ax
        mov     ax, 0x0102
        sub     al, 5
        aas
        RECW    ax
        RECF    0x0011
        mov     al, 79
        aam
        RECW    ax
        RECF    0x00C4
        mov     al, 0xAB
        aam     16
        RECW    ax
        mov     ax, 0x0709
        aad
        RECW    ax
        RECF    0x00C4
        mov     ax, 0x0A0B
        aad     16
        RECW    ax

        push    word SCRSEG             ; packed BCD, 8 digits
        pop     ds
        mov     dword [0x40], 0x12345678
        mov     dword [0x44], 0x87654329
        mov     si, 0x40
        mov     cx, 4
        clc
.add:   mov     al, [si]
        adc     al, [si+4]
        daa
        mov     [si+8], al
        inc     si
        loop    .add
        RECF    0x0001
        REC     dword [0x48]
        mov     dword [0x40], 0x50000000
        mov     dword [0x44], 0x12345678
        mov     si, 0x40
        mov     cx, 4
        clc
.sub:   mov     al, [si]
        sbb     al, [si+4]
        das
        mov     [si+8], al
        inc     si
        loop    .sub
        RECF    0x0001
        REC     dword [0x48]
        xor     ax, ax
        mov     ds, ax

        mov     cx, 16                  ; cmp/sbb/das hex digit trick
        xor     ebx, ebx
        xor     dl, dl
.hex:   mov     al, dl
        cmp     al, 10
        sbb     al, 0x69
        das
        shl     ebx, 4
        xor     bl, al
        rol     ebx, 3
        inc     dl
        loop    .hex
        REC     ebx

        ; DAA and DAS on every AL with every CF/AF combination
        xor     ebx, ebx
        xor     cx, cx
.daa:   mov     ax, cx
        shr     ax, 8                   ; bit 8 -> CF, bit 9 -> AF
        mov     dx, ax
        and     ax, 1
        and     dx, 2
        shl     dx, 3
        or      ax, dx
        or      ax, 2
        push    ax
        mov     al, cl
        popf
        daa
        pushf
        pop     dx
        and     dx, 0x00D5
        shl     dx, 8
        mov     dl, al
        imul    ebx, ebx, 31
        movzx   edx, dx
        add     ebx, edx
        inc     cx
        cmp     cx, 1024
        jb      .daa
        REC     ebx

        xor     ebx, ebx
        xor     cx, cx
.das:   mov     ax, cx
        shr     ax, 8
        mov     dx, ax
        and     ax, 1
        and     dx, 2
        shl     dx, 3
        or      ax, dx
        or      ax, 2
        push    ax
        mov     al, cl
        popf
        das
        pushf
        pop     dx
        and     dx, 0x00D5
        shl     dx, 8
        mov     dl, al
        imul    ebx, ebx, 31
        movzx   edx, dx
        add     ebx, edx
        inc     cx
        cmp     cx, 1024
        jb      .das
        REC     ebx
        ret

; ---------------------------------------------------------------- stack, calls

t_stack:
        mov     ax, 1
        mov     bx, 2
        mov     cx, 3
        push    ax
        push    bx
        push    cx
        pop     ax
        pop     bx
        pop     cx
        RECW    ax
        RECW    bx
        RECW    cx

        push    word 0x1234
        push    dword 0x89ABCDEF
        pop     eax
        pop     bx
        REC     eax
        RECW    bx

        mov     bp, sp                  ; push sp pushes the old value (286+)
        push    sp
        pop     ax
        sub     ax, bp
        RECW    ax

        push    dword [cs:const_dword]  ; push/pop memory
        pop     dword [TMPD]
        REC     dword [TMPD]

        mov     [SAVESP], sp            ; pusha / popa
        mov     ax, 0x1111
        mov     cx, 0x2222
        mov     dx, 0x3333
        mov     bx, 0x4444
        mov     bp, 0x6666
        mov     si, 0x7777
        mov     di, 0x8888
        pusha
        mov     bp, sp
        mov     ax, [bp+6]              ; saved SP
        sub     ax, [SAVESP]
        mov     [TMP1], ax
        mov     ax, [SAVESP]
        sub     ax, bp
        mov     [TMP2], ax              ; bytes pushed
        mov     word [bp+8], 0xB0B0     ; saved BX
        mov     word [bp+6], 0          ; saved SP, ignored by popa
        xor     ax, ax
        mov     bx, ax
        mov     cx, ax
        mov     dx, ax
        mov     si, ax
        mov     di, ax
        popa
        RECW    ax
        RECW    cx
        RECW    dx
        RECW    bx
        RECW    bp
        RECW    si
        RECW    di
        mov     ax, sp
        sub     ax, [SAVESP]
        RECW    ax
        RECW    word [TMP1]
        RECW    word [TMP2]

        mov     eax, 0x11111111         ; pushad / popad
        mov     ecx, 0x22222222
        mov     edx, 0x33333333
        mov     ebx, 0x44444444
        mov     ebp, 0x66666666
        mov     esi, 0x77777777
        mov     edi, 0x88888888
        pushad
        mov     bp, sp
        mov     dword [bp+0], 0xD1D1D1D1 ; saved EDI
        mov     eax, [bp+28]            ; saved EAX
        add     [bp+24], eax            ; saved ECX += EAX
        xor     eax, eax
        mov     ecx, eax
        mov     edi, eax
        popad
        REC     eax
        REC     ecx
        REC     edi
        REC     ebp
        mov     ax, sp
        sub     ax, [SAVESP]
        RECW    ax

        std                             ; pushf / popf restore DF
        pushf
        cld
        popf
        pushf
        pop     ax
        cld
        and     ax, 0x0400
        RECW    ax

        mov     [SAVESP], sp            ; enter / leave, nested procedures
        push    word 7
        call    proc_outer
        RECW    ax
        mov     ax, sp
        sub     ax, [SAVESP]
        RECW    ax

        push    word 16                 ; recursion
        call    fib
        RECW    ax
        mov     ax, sp
        sub     ax, [SAVESP]
        RECW    ax

        mov     ax, 10                  ; indirect near calls through a table
        xor     bx, bx
.tab:   mov     si, bx
        shl     si, 1
        call    [cs:fn_table+si]
        inc     bx
        cmp     bx, 4
        jb      .tab
        RECW    ax
        mov     ax, 9
        mov     bx, fn_square
        call    bx
        RECW    ax

        mov     ax, 1000                ; far calls
        mov     bx, 234
        call    0xF000:far_add
        RECW    ax
        call    far [cs:far_add_ptr]
        RECW    ax
        push    word 5
        push    word 7
        call    0xF000:far_mul_args     ; retf 4
        RECW    ax
        mov     ax, sp
        sub     ax, [SAVESP]
        RECW    ax

        mov     ax, 1                   ; far jumps
        jmp     0xF000:.fj1
.fjbad: mov     ax, 0xBAD
.fj1:   shl     ax, 1
        jmp     far [cs:.fjptr]
        mov     ax, 0xBAD
.fjptr: dw      .fj2, 0xF000
.fj2:   shl     ax, 1
        RECW    ax
        ret

proc_outer:                             ; arg x: returns 3*x + 5 + 0x5A5A
        enter   4, 1
        mov     ax, [bp+4]
        imul    ax, ax, 3
        mov     [bp-4], ax
        mov     word [bp-6], 0x5A5A
        push    word 5
        call    proc_inner
        leave
        ret     2

proc_inner:                             ; arg y; reads outer's locals via display
        enter   2, 2
        mov     bx, [bp-2]              ; outer frame pointer
        mov     ax, [ss:bx-4]
        add     ax, [bp+4]
        add     ax, [ss:bx-6]
        mov     dx, bx
        sub     dx, bp
        RECW    dx
        mov     cx, [bp-4]
        sub     cx, bp
        RECW    cx
        leave
        ret     2

fib:                                    ; fib(n), n on the stack
        push    bp
        mov     bp, sp
        push    bx
        mov     ax, [bp+4]
        cmp     ax, 2
        jb      .base
        dec     ax
        push    ax
        call    fib
        mov     bx, ax
        mov     ax, [bp+4]
        sub     ax, 2
        push    ax
        call    fib
        add     ax, bx
.base:  pop     bx
        pop     bp
        ret     2

fn_inc:     inc     ax
            ret
fn_double:  shl     ax, 1
            ret
fn_square:  imul    ax, ax
            ret
fn_neg:     neg     ax
            ret

far_add:    add     ax, bx
            retf
far_mul_args:
            push    bp
            mov     bp, sp
            mov     ax, [bp+6]
            imul    ax, [bp+8]
            pop     bp
            retf    4

; ---------------------------------------------------------------- interrupts

t_int:
        mov     word [0x00*4], de_handler
        mov     word [0x00*4+2], 0xF000
        mov     word [0x03*4], int3_handler
        mov     word [0x03*4+2], 0xF000
        mov     word [0x04*4], into_handler
        mov     word [0x04*4+2], 0xF000
        mov     word [0x60*4], int60_handler
        mov     word [0x60*4+2], 0xF000
        mov     word [0x61*4], int61_handler
        mov     word [0x61*4+2], 0xF000
        mov     word [0x62*4], RAMSTUB
        mov     word [0x62*4+2], 0
        xor     ax, ax
        mov     [CNT60], ax
        mov     [CNT0], ax
        mov     [CNT3], ax
        mov     [CNT4], ax

        SETFLAGS 0x08C3                 ; int / iret
        mov     ax, 100
        mov     dx, .r1
        int     0x60
.r1:    RECF    FLAGS_ALL
        RECW    ax
        mov     cx, [LAST_IP]
        sub     cx, dx
        RECW    cx
        RECW    word [LAST_CS]
        RECW    word [LAST_FL]
        RECW    word [LAST_INFL]

        SETFLAGS 0x0006                 ; chained handler: pushf + call far
        mov     ax, 7
        int     0x61
        RECF    FLAGS_ALL
        RECW    ax
        mov     cx, [LAST_IP]
        sub     cx, int61_handler.back
        RECW    cx
        RECW    word [LAST_FL]
        RECW    word [CNT60]

        SETFLAGS 0x0002                 ; simulated int: pushf + call far [ivt]
        mov     ax, 1
        pushf
        call    far [0x60*4]
.r2:    RECW    ax
        mov     cx, [LAST_IP]
        sub     cx, .r2
        RECW    cx

        mov     dx, .r3                 ; int3 (0xCC) and int 3 (0xCD 0x03)
        int3
.r3:    mov     cx, [LAST_IP]
        sub     cx, dx
        RECW    cx
        mov     dx, .r4
        int     3
.r4:    mov     cx, [LAST_IP]
        sub     cx, dx
        RECW    cx
        RECW    word [CNT3]

        SETFLAGS 0x0802                 ; into: taken with OF=1 only
        mov     dx, .r5
        into
.r5:    mov     cx, [LAST_IP]
        sub     cx, dx
        RECW    cx
        SETFLAGS 0x0002
        into
        RECW    word [CNT4]

        mov     ax, 1000                ; #DE: quotient too large
        mov     bl, 2
        mov     dx, .d1
.d1:    div     bl
        RECW    ax
        mov     cx, [LAST_IP]
        sub     cx, dx
        RECW    cx
        mov     ax, 0x1234              ; #DE: division by zero
        xor     bl, bl
        mov     dx, .d2
.d2:    div     bl
        RECW    ax
        mov     ax, 0x8000              ; #DE: -32768 / -1
        mov     bl, -1
        mov     dx, .d3
.d3:    idiv    bl
        RECW    ax
        mov     ax, 0x8000              ; no fault: 16-bit -32768 / 2
        cwd
        mov     bx, 2
        idiv    bx
        RECW    ax
        RECW    dx
        RECW    word [CNT0]

        ; code in RAM: copy stubs to 0000:0700, call them, patch one, call again
        push    ds
        push    cs
        pop     ds
        mov     si, ram_stubs
        mov     di, RAMSTUB
        mov     cx, ram_stubs_end - ram_stubs
        rep     movsb
        pop     ds
        mov     ax, 40
        mov     bx, 2
        int     0x62
        RECW    ax
        call    0:(RAMSTUB + ram_stub2 - ram_stubs)
        RECW    ax
        mov     word [RAMSTUB + ram_stub2 - ram_stubs + 1], 0x2222
        call    0:(RAMSTUB + ram_stub2 - ram_stubs)
        RECW    ax
        ret

int60_handler:                          ; AX = 3*AX + 1, toggles ZF and CF of caller
        push    bp
        mov     bp, sp
        pushf
        push    ax
        inc     word [ss:CNT60]
        mov     ax, [bp+2]
        mov     [ss:LAST_IP], ax
        mov     ax, [bp+4]
        mov     [ss:LAST_CS], ax
        mov     ax, [bp+6]
        and     ax, FLAGS_ALL
        mov     [ss:LAST_FL], ax
        mov     ax, [bp-2]
        and     ax, FLAGS_ALL
        mov     [ss:LAST_INFL], ax
        xor     word [bp+6], 0x0041
        pop     ax
        imul    ax, ax, 3
        inc     ax
        add     sp, 2
        pop     bp
        iret

int61_handler:                          ; chains to int 0x60, then adds 1000
        pushf
        call    far [ss:0x60*4]
.back:  add     ax, 1000
        iret

int3_handler:
        push    bp
        mov     bp, sp
        push    ax
        inc     word [ss:CNT3]
        mov     ax, [bp+2]
        mov     [ss:LAST_IP], ax
        pop     ax
        pop     bp
        iret

into_handler:
        push    bp
        mov     bp, sp
        push    ax
        inc     word [ss:CNT4]
        mov     ax, [bp+2]
        mov     [ss:LAST_IP], ax
        pop     ax
        pop     bp
        iret

de_handler:                             ; records the pushed IP and skips
        push    bp                      ; the 2-byte div if it points at it
        mov     bp, sp
        push    ax
        inc     word [ss:CNT0]
        mov     ax, [bp+2]
        mov     [ss:LAST_IP], ax
        cmp     ax, dx
        jne     .out
        add     word [bp+2], 2
.out:   pop     ax
        pop     bp
        iret

; position independent stubs, copied to RAM
ram_stubs:
        add     ax, bx                  ; int 0x62 handler
        iret
ram_stub2:
        mov     ax, 0x1111
        retf
ram_stubs_end:

; ---------------------------------------------------------------- data

hex_digits:     db      "0123456789ABCDEF"
const_dword:    dd      0x0BADF00D
fn_table:       dw      fn_inc, fn_double, fn_square, fn_neg
far_add_ptr:    dw      far_add, 0xF000
cmp_pairs:      dw      5, 7
                dw      7, 5
                dw      5, 5
                dw      -5, 7
                dw      7, -5
                dw      0x8000, 1
                dw      0x7FFF, -1
                dw      0, 0x8000
                dw      0xFFFF, 0xFFFF
                dw      0x1234, 0x1233
cmp_pairs_end:

; ---------------------------------------------------------------- reset vector

%if ($ - $$) > 0xFFF0
  %error "code too large"
%endif
        times   0xFFF0 - ($ - $$) db 0xFF
reset:  jmp     0xF000:start
        times   0x10000 - ($ - $$) db 0xFF
