; wasmvisor integer benchmark ROM ("intloop")
;
; A fixed real-mode integer workload for speed measurement.  The outer loop
; runs N iterations; N is the little-endian 16-bit word at file offset 0xFFE0
; (physical 0xFFFE0, F000:FFE0), so a harness can patch it without
; reassembling.  Each iteration i (0-based) does:
;
;   1. sieve of Eratosthenes below L = 1536 + (i & 511); count = primes < L
;   2. xorshift32 / rotate / add pass over a 512-byte buffer (128 dwords)
;   3. table-driven CRC-32 of that buffer
;   4. string ops: rep movsd the buffer to a second one, flip one byte,
;      repe cmpsb to find it again (pos)
;   5. Collatz steps from (crc & 0x3FF) + 1, one near call per step
;   6. recursive fib(10) (near calls with stack arguments)
;
; and folds everything into a 32-bit checksum, printed at the end on port
; 0xE9 as "intloop: N=<n> checksum=<8 hex digits>".  Then cli; hlt.
;
; bench/expected-intloop.py recomputes the checksum for any N.
;
; Build with -DCOUNT to get a variant that runs COUNT_N iterations with the
; trap flag set and counts the single-step traps (instructions executed by
; the workload) through its own #DB handler; it prints the counts as well.

bits 16
cpu 386
org 0

%ifndef DEFAULT_N
DEFAULT_N   equ 7500
%endif
%ifndef COUNT_N
COUNT_N     equ 16
%endif

SIEVESEG    equ 0x1000
BUFSEG      equ 0x2000          ; buffer at 2000:0000, copy at 2000:1000
CRCSEG      equ 0x3000
BUF2        equ 0x1000
BUFLEN      equ 512

; variables in segment 0
V_ITER      equ 0x500           ; word  i
V_N         equ 0x502           ; word  N
V_ACC       equ 0x504           ; dword checksum
V_X         equ 0x508           ; dword xorshift state
V_COUNT     equ 0x50C           ; word  primes found this iteration
V_CRC       equ 0x510           ; dword
V_POS       equ 0x514           ; word
V_STEPS     equ 0x516           ; word
V_FIB       equ 0x518           ; word
V_TRAPS     equ 0x520           ; dword single-step traps
V_SAME      equ 0x524           ; dword traps at the same IP as the previous one
V_LASTIP    equ 0x528           ; word

%macro PUTS 1+
        jmp     %%over
%%str:  db      %1, 0
%%over:
        push    si
        mov     si, %%str
        call    puts
        pop     si
%endmacro

start:
        cli
        cld
        xor     ax, ax
        mov     ss, ax
        mov     esp, 0x8000
        mov     ds, ax
        mov     es, ax

        call    crc_build_table

        ; initial buffer: byte k = 13*k + 7
        push    word BUFSEG
        pop     es
        xor     di, di
        mov     al, 7
        mov     cx, BUFLEN
.init:  stosb
        add     al, 13
        loop    .init
        xor     ax, ax
        mov     es, ax

        mov     dword [V_ACC], 0
        mov     dword [V_X], 2463534242
        mov     word [V_ITER], 0
%ifdef COUNT
        mov     word [V_N], COUNT_N
        mov     dword [V_TRAPS], 0
        mov     dword [V_SAME], 0
        mov     word [V_LASTIP], 0xFFFF
        mov     word [1*4], db_handler
        mov     word [1*4+2], 0xF000
        pushf
        pop     ax
        or      ax, 0x0100              ; TF
        push    ax
        popf
%else
        mov     ax, [cs:iterations]
        mov     [V_N], ax
%endif

outer:
        mov     ax, [V_ITER]
        cmp     ax, [V_N]
        jae     finish
        call    do_sieve
        call    do_alu
        call    do_crc
        call    do_string
        call    do_collatz
        push    word 10
        call    fib
        mov     [V_FIB], ax

        ; acc = (rol(acc,5) ^ count) + crc; acc ^= pos << 16; acc += steps; acc ^= fib
        mov     eax, [V_ACC]
        rol     eax, 5
        movzx   edx, word [V_COUNT]
        xor     eax, edx
        add     eax, [V_CRC]
        movzx   edx, word [V_POS]
        shl     edx, 16
        xor     eax, edx
        movzx   edx, word [V_STEPS]
        add     eax, edx
        movzx   edx, word [V_FIB]
        xor     eax, edx
        mov     [V_ACC], eax

        inc     word [V_ITER]
        jmp     outer

finish:
%ifdef COUNT
        pushf
        pop     ax
        and     ax, ~0x0100
        push    ax
        popf
%endif
        PUTS    "intloop: N="
        movzx   eax, word [V_N]
        call    print_u32
        PUTS    " checksum="
        mov     eax, [V_ACC]
        call    print_hex32
        mov     al, 10
        out     0xE9, al
%ifdef COUNT
        PUTS    "single-step traps: "
        mov     eax, [V_TRAPS]
        call    print_u32
        PUTS    " (rep iterations counted separately), "
        mov     eax, [V_TRAPS]
        sub     eax, [V_SAME]
        call    print_u32
        PUTS    " (each rep instruction counted once)", 10
%endif
        cli
.halt:  hlt
        jmp     .halt

%ifdef COUNT
db_handler:
        push    bp
        mov     bp, sp
        push    ax
        push    ds
        xor     ax, ax
        mov     ds, ax
        add     dword [V_TRAPS], 1
        mov     ax, [bp+2]
        cmp     ax, [V_LASTIP]
        jne     .new
        add     dword [V_SAME], 1
.new:   mov     [V_LASTIP], ax
        pop     ds
        pop     ax
        pop     bp
        iret
%endif

; ---------------------------------------------------------------- 1. sieve

do_sieve:
        push    es
        push    word SIEVESEG
        pop     es
        mov     bx, [V_ITER]
        and     bx, 511
        add     bx, 1536                ; L
        xor     di, di
        mov     cx, bx
        mov     al, 1
        rep     stosb
        mov     word [es:0], 0
        mov     si, 2
.outer: mov     ax, si
        mul     si
        cmp     ax, bx
        jae     .count
        cmp     byte [es:si], 0
        je      .next
        mov     di, ax
.mark:  mov     byte [es:di], 0
        add     di, si
        cmp     di, bx
        jb      .mark
.next:  inc     si
        jmp     .outer
.count: push    ds
        push    es
        pop     ds
        xor     si, si
        mov     cx, bx
        xor     dx, dx
        xor     ah, ah
.c:     lodsb
        add     dx, ax
        loop    .c
        pop     ds
        mov     [V_COUNT], dx
        pop     es
        ret

; ---------------------------------------------------------------- 2. ALU pass

; for j in 0..127: x = xorshift32(x); buf[j] = (rol(buf[j], 3) ^ x) + j
do_alu:
        push    es
        push    word BUFSEG
        pop     es
        mov     edx, [V_X]
        xor     bx, bx
        xor     ecx, ecx
.l:     mov     eax, edx
        shl     eax, 13
        xor     edx, eax
        mov     eax, edx
        shr     eax, 17
        xor     edx, eax
        mov     eax, edx
        shl     eax, 5
        xor     edx, eax
        mov     eax, [es:bx]
        rol     eax, 3
        xor     eax, edx
        add     eax, ecx
        mov     [es:bx], eax
        add     bx, 4
        inc     cx
        cmp     cx, BUFLEN/4
        jb      .l
        mov     [V_X], edx
        pop     es
        ret

; ---------------------------------------------------------------- 3. CRC

crc_build_table:
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
        ret

do_crc:
        push    ds
        push    es
        push    word BUFSEG
        pop     ds
        push    word CRCSEG
        pop     es
        xor     si, si
        mov     cx, BUFLEN
        mov     eax, 0xFFFFFFFF
.l:     mov     bl, [si]
        xor     bl, al
        xor     bh, bh
        shl     bx, 2
        shr     eax, 8
        xor     eax, [es:bx]
        inc     si
        loop    .l
        not     eax
        pop     es
        pop     ds
        mov     [V_CRC], eax
        ret

; ---------------------------------------------------------------- 4. strings

do_string:
        push    ds
        push    es
        mov     dx, [V_ITER]
        imul    dx, dx, 7
        and     dx, BUFLEN-1            ; byte to flip
        push    word BUFSEG
        pop     ds
        push    word BUFSEG
        pop     es
        xor     si, si
        mov     di, BUF2
        mov     cx, BUFLEN/4
        rep     movsd
        mov     bx, dx
        xor     byte [bx+BUF2], 0x5A
        xor     si, si
        mov     di, BUF2
        mov     cx, BUFLEN
        repe    cmpsb
        dec     si                      ; index of the first difference
        pop     es
        pop     ds
        mov     [V_POS], si
        ret

; ---------------------------------------------------------------- 5. Collatz

collatz_step:                           ; EAX = next(EAX)
        test    al, 1
        jnz     .odd
        shr     eax, 1
        ret
.odd:   lea     eax, [eax+eax*2+1]
        ret

do_collatz:
        mov     eax, [V_CRC]
        and     eax, 0x3FF
        inc     eax
        xor     cx, cx
.l:     cmp     eax, 1
        je      .done
        call    collatz_step
        inc     cx
        jmp     .l
.done:  mov     [V_STEPS], cx
        ret

; ---------------------------------------------------------------- 6. fib

fib:                                    ; fib(n), n on the stack, result in AX
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

; ---------------------------------------------------------------- output

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

; ---------------------------------------------------------------- parameters

%if ($ - $$) > 0xFFE0
  %error "code too large"
%endif
        times   0xFFE0 - ($ - $$) db 0xFF
iterations:
        dw      DEFAULT_N               ; F000:FFE0: number of iterations
        times   0xFFF0 - ($ - $$) db 0xFF
reset:  jmp     0xF000:start
        times   0x10000 - ($ - $$) db 0xFF
