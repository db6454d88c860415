; vga-text.asm: a 4 KiB -bios ROM for the VGA text display. Without any BIOS help it fills the
; 80x25 colour text screen at B800:0000 (mode 3, as the VGA starts), writes a title, the 256
; characters of code page 437, a row of the 16 background colours and a blinking word, puts
; the hardware cursor at row 23, column 10 through the CRTC (3D4h/3D5h, registers 0Eh/0Fh),
; and halts (cli; hlt). test/vga.test.ts and test/web-e2e.test.ts check what it shows.
bits 16
org 0xf000                      ; the ROM is F000:F000-F000:FFFF (physical 0xFF000-0xFFFFF)

start:
  cli
  mov ax, cs
  mov ds, ax
  mov ax, 0xb800
  mov es, ax
  cld
  ; the whole screen: light grey on blue
  xor di, di
  mov ax, 0x1720
  mov cx, 80 * 25
  rep stosw
  ; row 1: the title, yellow on blue
  mov di, (1 * 80 + 2) * 2
  mov si, title
  mov ah, 0x1e
  call puts
  ; rows 3-10: characters 0-255, 32 a row, white on black, a space between them
  xor bx, bx                    ; the character
  mov di, (3 * 80 + 8) * 2
.chars:
  mov al, bl
  mov ah, 0x0f
  stosw
  mov ax, 0x0f20
  stosw
  inc bx
  test bl, 31
  jnz .next
  add di, (80 - 64) * 2         ; next row
.next:
  cmp bx, 256
  jb .chars
  ; row 13: sixteen cells of each background colour with its hex digit in white
  mov di, (13 * 80 + 8) * 2
  xor bx, bx
.bars:
  mov ah, bl
  shl ah, 4
  or ah, 0x0f
  mov al, [hex + bx]
  mov cx, 4
  rep stosw
  inc bx
  cmp bx, 16
  jb .bars
  ; row 15: light green text; row 16: a blinking word (attribute bit 7)
  mov di, (15 * 80 + 2) * 2
  mov si, line2
  mov ah, 0x1a
  call puts
  mov di, (16 * 80 + 2) * 2
  mov si, blink
  mov ah, 0x9c
  call puts
  ; the cursor at row 23, column 10
  mov dx, 0x3d4
  mov ax, ((23 * 80 + 10) & 0xff00) | 0x0e
  out dx, ax
  mov ax, (((23 * 80 + 10) & 0xff) << 8) | 0x0f
  out dx, ax
  cli
  hlt
  jmp $

; prints the zero-terminated string at DS:SI to ES:DI with attribute AH
puts:
  lodsb
  test al, al
  jz .done
  stosw
  jmp puts
.done:
  ret

title: db 'wasmvisor VGA text mode: B800:0000, 80x25, code page 437', 0
line2: db 'The quick brown fox jumps over the lazy dog 0123456789', 0
blink: db 'blinking', 0
hex: db '0123456789ABCDEF'

  times 0xfff0 - ($ - $$) - 0xf000 db 0xff
reset:                          ; F000:FFF0
  jmp 0xf000:start
  times 0x1000 - ($ - $$) db 0xff
