; ata-read.asm: a 64 KiB -bios ROM (QEMU wants a multiple of 64 KiB) that drives the primary ATA channel (1F0h-1F7h, 3F6h) by PIO
; with interrupts off (nIEN set) and prints what it reads, each character to port E9h and to
; COM1 (3F8h, so that the web page's terminal shows it; lines end in CR LF there, LF on E9h):
;   model     IDENTIFY words 27-46 (two characters a word, the first in the high byte; all 40)
;   identify  CHS words 1/3/6, LBA28 capacity (words 61:60), LBA48 bit (word 83 bit 10), word 47
;   READ SECTORS (LBA28) of sectors 0 and 1234: first dword and 16-bit word sum of each
;   READ SECTORS in CHS 1/2/3; READ SECTORS EXT at 3000; SET MULTIPLE 4 + READ MULTIPLE of
;   8 sectors from 100 (two DRQ blocks); WRITE SECTORS of a pattern at 77 read back and compared
;   READ SECTORS past the end: status and error (IDNF)
;   with nIEN clear, IRQ 14 through the 8259A pair (vector 76h): READ SECTORS of 2 sectors and
;   FLUSH CACHE, sleeping in hlt for each interrupt: the count, the Status read by the handler
;   at each, and the word sum of sectors 200-201
; then "done" and cli; hlt. test/ata-guest.test.ts builds the disk and checks the lines, and runs the
; same ROM under QEMU (-bios ROM -hda IMG) when QEMU is there.
bits 16
org 0                          ; F000:0000-F000:FFFF (physical 0xF0000-0xFFFFF)

%include "ata-common.inc"

BUF  equ 0x1000                 ; sector buffers in low RAM (segment 0)
BUF2 equ 0x3000
IRQS equ 0x500                  ; interrupt count, then the status read at each
IRQST equ 0x502

main:

  ; ---- IDENTIFY DEVICE ----
  mov dx, 0x1f6
  mov al, 0xa0                  ; master
  out dx, al
  mov al, 0xec
  call command
  mov di, BUF
  mov cx, 256
  call insw_cx
  mov si, s_model
  call puts
  mov si, BUF + 54              ; words 27-46: two characters each, the first in the high byte
  mov bx, 20
.model:
  es lodsw
  xchg al, ah
  call putc
  mov al, ah
  call putc
  dec bx
  jnz .model
  call newline
  mov si, s_chs
  call puts
  mov ax, [es:BUF + 2]          ; word 1: cylinders
  call hex16
  mov al, '/'
  call putc
  mov ax, [es:BUF + 6]          ; word 3: heads
  call hex8
  mov al, '/'
  call putc
  mov ax, [es:BUF + 12]         ; word 6: sectors per track
  call hex8
  mov si, s_lba28
  call puts
  mov ax, [es:BUF + 122]        ; word 61
  call hex16
  mov ax, [es:BUF + 120]        ; word 60
  call hex16
  mov si, s_lba48
  call puts
  mov ax, [es:BUF + 166]        ; word 83 bit 10
  shr ax, 10
  and al, 1
  call hex8
  mov si, s_maxmul
  call puts
  mov al, [es:BUF + 94]         ; word 47 bits 7:0
  call hex8
  call newline

  ; ---- READ SECTORS, LBA28 ----
  xor ax, ax
  xor bx, bx
  call read_lba28
  mov ax, 1234
  xor bx, bx
  call read_lba28

  ; ---- READ SECTORS, CHS cylinder 1 head 2 sector 3 ----
  mov si, s_chsread
  call puts
  mov dx, 0x1f2
  mov al, 1
  out dx, al
  inc dx                        ; 1F3: sector
  mov al, 3
  out dx, al
  inc dx                        ; 1F4: cylinder low
  mov al, 1
  out dx, al
  inc dx                        ; 1F5: cylinder high
  xor al, al
  out dx, al
  inc dx                        ; 1F6: CHS, master, head 2
  mov al, 0xa2
  out dx, al
  mov al, 0x20
  call command
  call read_report

  ; ---- READ SECTORS EXT at 3000 (0BB8h) ----
  mov si, s_ext
  call puts
  mov ax, 3000
  call set_lba48_1
  mov al, 0x24
  call command
  call read_report

  ; ---- SET MULTIPLE MODE 4, READ MULTIPLE 8 sectors from 100 ----
  mov dx, 0x1f2
  mov al, 4
  out dx, al
  mov al, 0xc6
  call command_nodata
  mov si, s_multi
  call puts
  mov ax, 100
  mov cl, 8
  call set_lba28
  mov al, 0xc4
  call command
  mov di, BUF
  mov cx, 4 * 256
  call insw_cx
  call wait_drq                 ; the second block
  mov cx, 4 * 256
  call insw_cx
  mov si, BUF
  mov cx, 8 * 256
  call sum_words
  call hex16
  call newline

  ; ---- WRITE SECTORS at 77, read back ----
  mov di, BUF
  xor bx, bx
.fill:
  mov ax, bx
  xor ax, 0xa5a5
  stosw
  inc bx
  cmp bx, 256
  jb .fill
  mov ax, 77
  mov cl, 1
  call set_lba28
  mov al, 0x30
  call command                  ; DRQ for the first (only) block
  mov si, BUF
  mov cx, 256
  mov dx, 0x1f0
  es rep outsw
  call wait_idle
  mov si, s_write
  call puts
  mov dx, 0x1f7
  in al, dx
  call hex8
  mov ax, 77
  mov cl, 1
  call set_lba28
  mov al, 0x20
  call command
  mov di, BUF2
  mov cx, 256
  call insw_cx
  mov si, s_readback
  call puts
  mov si, BUF2
  mov cx, 256
  call sum_words
  call hex16
  push ds
  push es
  pop ds
  mov si, BUF
  mov di, BUF2
  mov cx, 256
  repe cmpsw
  pop ds
  call same_or_differ

  ; ---- past the end: 4096-sector disk, LBA 5000 ----
  mov si, s_idnf
  call puts
  mov ax, 5000
  mov cl, 1
  call set_lba28
  mov dx, 0x1f7
  mov al, 0x20
  out dx, al
  call wait_idle
  mov dx, 0x1f7
  in al, dx
  call hex8
  mov si, s_error
  call puts
  mov dx, 0x1f1
  in al, dx
  call hex8
  call newline

  ; ---- interrupts: IRQ 14 through the slave 8259A (vector 76h), nIEN clear ----
  call irq14_setup
  mov dx, 0xcf8                 ; PCI 00:01.1 (the PIIX3 IDE function) command: I/O space on,
  mov eax, 0x80000904           ; as firmware leaves it
  out dx, eax
  mov dx, 0xcfc
  mov ax, 0x0001
  out dx, ax
  mov dx, 0x3f6
  xor al, al                    ; nIEN clear: INTRQ drives IRQ 14
  out dx, al
  mov ax, 200
  mov cl, 2
  call set_lba28
  mov dx, 0x1f7
  mov al, 0x20                  ; READ SECTORS: an interrupt per sector
  out dx, al
  mov bx, 1
  call wait_irq
  mov di, BUF
  mov cx, 256
  call insw_cx
  mov bx, 2
  call wait_irq
  mov cx, 256
  call insw_cx
  mov dx, 0x1f7
  mov al, 0xe7                  ; FLUSH CACHE: an interrupt at completion
  out dx, al
  mov bx, 3
  call wait_irq
  mov si, s_irq
  call puts
  mov ax, [es:IRQS]
  call hex16
  mov si, s_status
  call puts
  mov al, [es:IRQST]
  call hex8
  mov al, '/'
  call putc
  mov al, [es:IRQST + 1]
  call hex8
  mov al, '/'
  call putc
  mov al, [es:IRQST + 2]
  call hex8
  mov si, s_sum
  call puts
  mov si, BUF
  mov cx, 512
  call sum_words
  call hex16
  call newline

  jmp finish

; irq14: reads Status (which clears the interrupt) into IRQST[n], counts, EOIs both PICs
irq14:
  push ax
  push bx
  push dx
  mov dx, 0x1f7
  in al, dx
  mov bx, [ss:IRQS]
  mov [ss:IRQST + bx], al
  inc word [ss:IRQS]
  mov al, 0x20
  out 0xa0, al
  out 0x20, al
  pop dx
  pop bx
  pop ax
  iret

; read_lba28: AX = LBA (15:0); prints "sector N: first dword, sum"
read_lba28:
  push ax
  mov si, s_sector
  call puts
  pop ax
  push ax
  call hex16
  mov al, ':'
  call putc
  pop ax
  mov cl, 1
  call set_lba28
  mov al, 0x20
  call command
  ; fall through
; read_report: reads one sector into BUF, prints " dword sum=XXXX"
read_report:
  mov di, BUF
  mov cx, 256
  call insw_cx
  mov al, ' '
  call putc
  mov ax, [es:BUF + 2]
  call hex16
  mov ax, [es:BUF]
  call hex16
  mov si, s_sum
  call puts
  mov si, BUF
  mov cx, 256
  call sum_words
  call hex16
  jmp newline

; command: AL = command; waits for DRQ (or ERR)
command:
  mov dx, 0x1f7
  out dx, al
  jmp wait_drq

; command_nodata: AL = command; waits for BSY to clear
command_nodata:
  mov dx, 0x1f7
  out dx, al
  jmp wait_idle

; insw_cx: CX words from the data port to ES:DI
insw_cx:
  mov dx, 0x1f0
  rep insw
  ret

s_model:    db 'model: ', 0
s_chs:      db 'identify: chs ', 0
s_lba28:    db ' lba28 ', 0
s_lba48:    db ' lba48 ', 0
s_maxmul:   db ' multiple ', 0
s_sector:   db 'read ', 0
s_sum:      db ' sum ', 0
s_chsread:  db 'chs 1/2/3:', 0
s_ext:      db 'ext 0BB8:', 0
s_multi:    db 'multiple 8 from 0064: sum ', 0
s_write:    db 'write 004D: status ', 0
s_readback: db ' readback sum ', 0
s_idnf:     db 'read 1388: status ', 0
s_error:    db ' error ', 0
s_irq:      db 'irq14: interrupts ', 0
s_status:   db ' status ', 0

  ata_rom_end
