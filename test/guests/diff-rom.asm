; diff-rom: a real-mode ROM for the lockstep comparison with QEMU (test/diff-rom.test.ts).
;
; About 1.2 million instructions with the timer interrupt on: it programs the 8259A pair
; (base 08h/70h, only IRQ 0 unmasked; the masks are written with OUTSB and read back with INSB,
; string I/O to the in-core PIC) and the 8254 (channel 0, mode 2, ~1 kHz), then computes with
; interrupts enabled, twice: an LCG fill of 32 KiB, REP MOVSW / REP CMPSB / REP STOSB over it (a
; timer interrupt can land between two iterations), a bitwise CRC-32 of 8 KiB, and waits for the timer with
; STI; HLT. The IRQ 0 handler counts, latches and reads channel 0's count (a value that depends
; on when the interrupt came), reads the PIC's in-service register and sends EOI.
; It prints `diff-rom crc=XXXXXXXX pit=XXXX isr=XX` on the debug port 0xE9 and halts with
; CLI; HLT. The crc is deterministic; pit is not (it sums timer reads), except that in the
; lockstep diff wasmvisor is given QEMU's reads, so both consoles print the same line.
;
;   nasm -f bin -o diff-rom.bin diff-rom.asm        (test/guests/build.sh)

bits 16
cpu 386
org 0

TICKS   equ 0x500               ; word: timer interrupts taken
PITSUM  equ 0x502               ; word: sum of the counts read in the handler
ISRSEEN equ 0x504               ; byte: OR of the in-service register read in the handler
IMRBUF  equ 0x508               ; 2 bytes: the masks read back with INSB
CRCV    equ 0x50C               ; dword
BUFSEG  equ 0x1000              ; 32 KiB data at 1000:0000
COPYSEG equ 0x2000              ; its copy
NBYTES  equ 32768
CRCLEN  equ 8192
ROUNDS  equ 2

start:
        cli
        cld
        xor     ax, ax
        mov     ss, ax
        mov     sp, 0x8000
        mov     ds, ax
        mov     es, ax
        mov     word [TICKS], 0
        mov     word [PITSUM], 0
        mov     byte [ISRSEEN], 0
        mov     dword [CRCV], 0
        mov     word [8 * 4], timer     ; IRQ 0 at vector 08h
        mov     word [8 * 4 + 2], 0xF000
        ; 8259A pair: ICW1 (edge, cascade, ICW4), ICW2 bases 08h/70h, ICW3, ICW4 (8086 mode)
        mov     al, 0x11
        out     0x20, al
        out     0xA0, al
        mov     al, 0x08
        out     0x21, al
        mov     al, 0x70
        out     0xA1, al
        mov     al, 0x04
        out     0x21, al
        mov     al, 0x02
        out     0xA1, al
        mov     al, 0x01
        out     0x21, al
        out     0xA1, al
        ; OCW1 with OUTSB from the ROM: master FEh (IRQ 0 only), slave FFh
        push    ds
        push    cs
        pop     ds
        mov     si, masks
        mov     dx, 0x21
        outsb
        mov     dx, 0xA1
        outsb
        pop     ds
        ; and read back with INSB into RAM
        mov     di, IMRBUF
        mov     dx, 0x21
        insb
        mov     dx, 0xA1
        insb
        ; 8254 channel 0: mode 2 (rate generator), lo/hi, 1193 (~1 kHz)
        mov     al, 0x34
        out     0x43, al
        mov     ax, 1193
        out     0x40, al
        mov     al, ah
        out     0x40, al
        sti

        mov     cx, ROUNDS
.round: push    cx
        call    fill
        call    copy
        call    crc32
        call    waits
        pop     cx
        loop    .round

        cli
        ; the report
        mov     si, msg1
        call    puts
        mov     eax, [CRCV]
        mov     cl, 8
        call    hex
        mov     si, msg2
        call    puts
        mov     ax, [PITSUM]
        mov     cl, 4
        call    hex
        mov     si, msg3
        call    puts
        mov     al, [ISRSEEN]
        mov     cl, 2
        call    hex
        mov     al, 10
        out     0xE9, al
.halt:  hlt
        jmp     .halt

; fill 1000:0000 with NBYTES bytes of a linear congruential generator (EBX state)
fill:
        push    es
        mov     ax, BUFSEG
        mov     es, ax
        mov     ebx, 12345
        xor     di, di
        mov     cx, NBYTES
.f:     imul    ebx, ebx, 1103515245
        add     ebx, 12345
        mov     eax, ebx
        shr     eax, 16
        stosb
        loop    .f
        pop     es
        ret

; REP MOVSW to 2000:0000, REP CMPSB back (must match), REP STOSB of a tail, MOVSB back
copy:
        push    ds
        push    es
        mov     ax, BUFSEG
        mov     ds, ax
        mov     ax, COPYSEG
        mov     es, ax
        xor     si, si
        xor     di, di
        mov     cx, NBYTES / 2
        rep movsw
        xor     si, si
        xor     di, di
        mov     cx, NBYTES
        repe cmpsb
        jne     .bad
        mov     di, NBYTES - 4096
        mov     al, 0x5A
        mov     cx, 4096
        rep stosb
        jmp     .out
.bad:   mov     al, '!'
        out     0xE9, al
.out:   pop     es
        pop     ds
        ret

; CRC-32 (bitwise, reflected, polynomial EDB88320) of the first CRCLEN bytes of the copy,
; added to CRCV
crc32:
        push    ds
        mov     ax, COPYSEG
        mov     ds, ax
        mov     eax, 0xFFFFFFFF
        xor     si, si
        mov     cx, CRCLEN
.byte:  xor     al, [si]
        inc     si
        mov     dx, 8
.bit:   shr     eax, 1
        jnc     .nx
        xor     eax, 0xEDB88320
.nx:    dec     dx
        jnz     .bit
        loop    .byte
        not     eax
        pop     ds
        add     [CRCV], eax
        ret

; wait for the timer four times (STI; HLT: the interrupt ends the HLT)
waits:
        mov     cx, 4
.w:     sti
        hlt
        loop    .w
        ret

; IRQ 0: count, latch and read channel 0, read the in-service register, EOI
timer:
        push    ax
        inc     word [ss:TICKS]
        mov     al, 0x00                ; counter latch, channel 0
        out     0x43, al
        in      al, 0x40
        mov     ah, al
        in      al, 0x40
        xchg    al, ah
        add     [ss:PITSUM], ax
        mov     al, 0x0B                ; OCW3: read ISR
        out     0x20, al
        in      al, 0x20
        or      [ss:ISRSEEN], al
        mov     al, 0x0A                ; OCW3: back to IRR
        out     0x20, al
        mov     al, 0x20                ; non-specific EOI
        out     0x20, al
        pop     ax
        iret

; print the NUL-terminated string at CS:SI
puts:
        mov     al, [cs:si]
        inc     si
        test    al, al
        jz      .e
        out     0xE9, al
        jmp     puts
.e:     ret

; print the low CL hex digits of EAX
hex:
        push    ebx
        mov     ebx, eax
        movzx   cx, cl
        mov     ax, 8
        sub     ax, cx
        shl     ax, 2
        xchg    ax, cx
        rol     ebx, cl                 ; skip the unprinted high digits
        mov     cx, ax
.d:     rol     ebx, 4
        mov     al, bl
        and     al, 0x0F
        add     al, '0'
        cmp     al, '9'
        jbe     .o
        add     al, 'a' - '9' - 1
.o:     out     0xE9, al
        loop    .d
        pop     ebx
        ret

masks:  db      0xFE, 0xFF
msg1:   db      'diff-rom crc=', 0
msg2:   db      ' pit=', 0
msg3:   db      ' isr=', 0

        times   0xFFF0 - ($ - $$) db 0xFF
reset:  jmp     0xF000:start
        times   0x10000 - ($ - $$) db 0xFF
