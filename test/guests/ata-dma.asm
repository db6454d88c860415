; ata-dma.asm: a 64 KiB -bios ROM that drives the primary ATA channel by bus-master DMA (the
; PIIX3's Bus Master IDE registers, BMIBA = BAR4 of PCI 00:01.1) and prints what it sees, each
; character to port E9h and to COM1 (CR LF there, LF on E9h), as ata-read.asm does for PIO:
;   bmiba     BAR4 and PCICMD after programming them (BMIBA D000h, I/O + bus master), BMIDTP
;   identify  word 49 bit 8 (DMA supported)
;   set udma2 SET FEATURES 03h/42h: Status, then the selected modes (high bytes of words 63, 88)
;   read dma  READ DMA of 128 sectors (64 KiB) from 100 through a two-entry PRD table into
;             10000h-1FFFFh, waiting for IRQ 14 in a counting loop: Status and BMISTA as the
;             handler read them, the interrupt count, the word sum of the 64 KiB
;   overlap   the loop's iterations while the transfer was in flight (3 instructions each):
;             depends on timing, so not compared with QEMU
;   write dma WRITE DMA of 2 sectors at 500 from 20000h, read back by PIO and compared
;   read ext  READ DMA EXT of one sector at 3000 (0BB8h)
;   pio       the same 128 sectors as "read dma" by PIO (READ SECTORS, polling): their sum
;   repeat    16 more READ DMA of the 64 KiB (sleeping in hlt) then 16 PIO reads of it, between
;             marks written to port EAh (1/2 around the DMA ones, 3/4 around the PIO ones) for
;             test/ata-dma-guest.test.ts's throughput figures
; then "done" and cli; hlt.
bits 16
org 0

%include "ata-common.inc"

BMIBA equ 0xd000
BMCOM equ BMIBA
BMSTA equ BMIBA + 2
BMDTP equ BMIBA + 4
PRD   equ 0x600                 ; the PRD table (physical, segment 0)
IRQS  equ 0x500                 ; interrupt count
IRQST equ 0x502                 ; Status and BMISTA read by the last interrupt
IRQBM equ 0x503
BUF   equ 0x1000                ; a sector buffer (segment 0)
MARK  equ 0xea

main:

  ; ---- BMIBA and PCICMD of 00:01.1 ----
  mov eax, 0x80000920
  mov ebx, BMIBA | 1
  call pci_write
  mov eax, 0x80000904
  mov ebx, 0x0005               ; I/O space, bus master
  call pci_write
  mov dword [es:PRD], 0x10000   ; 32 KiB at 10000h, 32 KiB at 18000h (EOT)
  mov dword [es:PRD + 4], 0x8000
  mov dword [es:PRD + 8], 0x18000
  mov dword [es:PRD + 12], 0x80008000
  mov dx, BMDTP
  mov eax, PRD
  out dx, eax
  mov si, s_bmiba
  call puts
  mov eax, 0x80000920
  call pci_read
  call hex16
  mov si, s_command
  call puts
  mov eax, 0x80000904
  call pci_read
  call hex16
  mov si, s_dtp
  call puts
  mov dx, BMDTP
  in eax, dx
  call hex32
  call newline

  ; ---- IDENTIFY, SET FEATURES UDMA 2, IDENTIFY ----
  mov si, s_identify
  call puts
  call identify
  mov al, [es:BUF + 99]         ; word 49 bit 8
  and al, 1
  call hex8
  call newline
  mov dx, 0x1f1
  mov al, 0x03                  ; set transfer mode
  out dx, al
  inc dx
  mov al, 0x42                  ; UDMA mode 2
  out dx, al
  mov dx, 0x1f7
  mov al, 0xef
  out dx, al
  call wait_idle
  push ax
  mov si, s_setf
  call puts
  pop ax
  call hex8
  mov si, s_selected
  call puts
  call identify
  mov al, [es:BUF + 127]        ; word 63 high byte
  call hex8
  mov si, s_udma
  call puts
  mov al, [es:BUF + 177]        ; word 88 high byte
  call hex8
  call newline

  ; ---- interrupts: IRQ 14 through the slave 8259A (vector 76h) ----
  call irq14_setup
  mov dx, 0x3f6
  xor al, al                    ; nIEN clear
  out dx, al

  ; ---- READ DMA, 128 sectors from 100, counting while it is in flight ----
  mov si, s_readdma
  call puts
  mov ax, 100
  mov cl, 128
  mov ch, 0xc8
  mov bl, 0x08                  ; the bus master writes memory
  call dma_start
  xor ecx, ecx
  sti
.inflight:
  inc ecx
  cmp word [ss:IRQS], 1
  jb .inflight
  cli
  push ecx
  call dma_report
  mov si, s_irqs
  call puts
  mov ax, [es:IRQS]
  call hex16
  call sum64k
  call newline
  mov si, s_overlap
  call puts
  pop eax
  call hex32
  call newline

  ; ---- WRITE DMA, 2 sectors at 500 from 20000h, read back by PIO ----
  push es
  mov ax, 0x2000
  mov es, ax
  xor di, di
  xor bx, bx
.fill:
  mov ax, bx
  xor ax, 0x5a3c
  stosw
  inc bx
  cmp bx, 512
  jb .fill
  pop es
  mov dword [es:PRD + 16], 0x20000
  mov dword [es:PRD + 20], 0x80000400
  mov dx, BMDTP
  mov eax, PRD + 16
  out dx, eax
  mov si, s_writedma
  call puts
  mov ax, 500
  mov cl, 2
  mov ch, 0xca
  mov bl, 0x00                  ; the bus master reads memory
  call dma_start
  mov bx, 2
  call wait_irq
  call dma_report
  mov dx, 0x3f6
  mov al, 0x02                  ; nIEN: poll the read-back
  out dx, al
  mov ax, 500
  mov cl, 2
  call set_lba28
  mov dx, 0x1f7
  mov al, 0x20
  out dx, al
  mov di, BUF
  call read_sector
  mov di, BUF + 512
  call read_sector
  mov si, s_readback
  call puts
  mov si, BUF
  mov cx, 512
  call sum_words
  call hex16
  push ds
  mov ax, 0x2000
  mov ds, ax
  xor si, si
  mov di, BUF
  mov cx, 512
  repe cmpsw
  pop ds
  call same_or_differ
  mov dx, 0x3f6
  xor al, al
  out dx, al

  ; ---- READ DMA EXT, 1 sector at 3000 into 10000h ----
  mov dword [es:PRD + 16], 0x10000
  mov dword [es:PRD + 20], 0x80000200
  mov si, s_readext
  call puts
  mov ax, 3000
  call set_lba48_1
  mov dx, BMCOM
  mov al, 0x08
  out dx, al
  mov dx, 0x1f7
  mov al, 0x25
  out dx, al
  mov dx, BMCOM
  mov al, 0x09
  out dx, al
  mov bx, 3
  call wait_irq
  call dma_report
  push es
  mov ax, 0x1000
  mov es, ax
  xor si, si
  mov cx, 256
  call sum_words
  pop es
  push ax
  mov si, s_sum
  call puts
  pop ax
  call hex16
  call newline
  mov dx, BMDTP
  mov eax, PRD
  out dx, eax

  ; ---- PIO: the same 128 sectors ----
  mov dx, 0x3f6
  mov al, 0x02
  out dx, al
  mov si, s_pio
  call puts
  call pio_read
  call sum64k
  call newline

  ; ---- repeat: 16 x 64 KiB by DMA (hlt), then by PIO ----
  mov dx, 0x3f6
  xor al, al
  out dx, al
  mov al, 1
  out MARK, al
  mov bp, 16
.dmaloop:
  mov ax, 100
  mov cl, 128
  mov ch, 0xc8
  mov bl, 0x08
  call dma_start
  mov bx, [es:IRQS]
  inc bx
  call wait_irq
  dec bp
  jnz .dmaloop
  mov al, 2
  out MARK, al
  mov dx, 0x3f6
  mov al, 0x02
  out dx, al
  mov al, 3
  out MARK, al
  mov bp, 16
.pioloop:
  call pio_read
  dec bp
  jnz .pioloop
  mov al, 4
  out MARK, al
  mov si, s_repeat
  call puts
  call sum64k
  call newline

  jmp finish

; dma_start: AX = LBA (15:0), CL = count, CH = command, BL = BMICOM direction; clears BMISTA's
; Interrupt and Error, issues the command, then starts the engine
dma_start:
  push bx
  push cx
  call set_lba28
  pop cx
  pop bx
  mov dx, BMSTA
  mov al, 0x06
  out dx, al
  mov dx, BMCOM
  mov al, bl
  out dx, al
  mov dx, 0x1f7
  mov al, ch
  out dx, al
  mov dx, BMCOM
  mov al, bl
  or al, 1
  out dx, al
  ret

; dma_report: stops the engine, prints "status SS bmsta BB" as the interrupt handler read them
dma_report:
  mov dx, BMCOM
  xor al, al
  out dx, al
  mov si, s_status
  call puts
  mov al, [es:IRQST]
  call hex8
  mov si, s_bmsta
  call puts
  mov al, [es:IRQBM]
  jmp hex8

; pio_read: READ SECTORS of 128 sectors from 100 into 10000h-1FFFFh, polling
pio_read:
  mov ax, 100
  mov cl, 128
  call set_lba28
  mov dx, 0x1f7
  mov al, 0x20
  out dx, al
  push es
  mov ax, 0x1000
  mov es, ax
  xor di, di
  mov bx, 128
.sector:
  call read_sector
  dec bx
  jnz .sector
  pop es
  ret

; read_sector: waits for DRQ, then 256 words from the data port to ES:DI
read_sector:
  call wait_drq
  mov cx, 256
  mov dx, 0x1f0
  rep insw
  ret

; sum64k: prints " sum XXXX", the word sum of 10000h-1FFFFh
sum64k:
  mov si, s_sum
  call puts
  push es
  mov ax, 0x1000
  mov es, ax
  xor si, si
  xor bx, bx
.l:
  add bx, [es:si]
  add si, 2
  jnz .l
  pop es
  mov ax, bx
  jmp hex16

; identify: IDENTIFY DEVICE into BUF (polling)
identify:
  mov dx, 0x1f6
  mov al, 0xa0
  out dx, al
  inc dx
  mov al, 0xec
  out dx, al
  mov di, BUF
  jmp read_sector

; pci_write: EAX = CONFIG_ADDRESS, EBX = the dword
pci_write:
  mov dx, 0xcf8
  out dx, eax
  mov dx, 0xcfc
  mov eax, ebx
  out dx, eax
  ret

; pci_read: EAX = CONFIG_ADDRESS; EAX = the dword
pci_read:
  mov dx, 0xcf8
  out dx, eax
  mov dx, 0xcfc
  in eax, dx
  ret

; irq14: Status (clears the interrupt) and BMISTA into IRQST/IRQBM, counts, EOIs both PICs
irq14:
  push ax
  push dx
  mov dx, 0x1f7
  in al, dx
  mov [ss:IRQST], al
  mov dx, BMSTA
  in al, dx
  mov [ss:IRQBM], al
  inc word [ss:IRQS]
  mov al, 0x20
  out 0xa0, al
  out 0x20, al
  pop dx
  pop ax
  iret

; hex32: EAX in hex
hex32:
  push eax
  shr eax, 16
  call hex16
  pop eax
  jmp hex16

s_bmiba:    db 'bmiba ', 0
s_command:  db ' command ', 0
s_dtp:      db ' dtp ', 0
s_identify: db 'identify: dma ', 0
s_setf:     db 'set udma2: status ', 0
s_selected: db ' selected mdma ', 0
s_udma:     db ' udma ', 0
s_readdma:  db 'read dma 0064 x80:', 0
s_status:   db ' status ', 0
s_bmsta:    db ' bmsta ', 0
s_irqs:     db ' irqs ', 0
s_sum:      db ' sum ', 0
s_overlap:  db 'overlap: ', 0
s_writedma: db 'write dma 01F4 x2:', 0
s_readback: db ' readback sum ', 0
s_readext:  db 'read dma ext 0BB8:', 0
s_pio:      db 'pio 0064 x80:', 0
s_repeat:   db 'repeat 16 dma, 16 pio:', 0

  ata_rom_end
