; vga-12h.asm: a 4 KiB -bios ROM for the VGA's planar 16-colour mode. Without any BIOS help it
; sets mode 12h (640x480, four planes at A000:0000) from a BIOS-style mode table (set_mode in
; vga-common.inc), draws 16 vertical colour bars with write mode 2, a white rectangle with write
; mode 0 and set/reset, and a yellow rectangle whose left and right edges end mid-byte (the bit mask register, with the
; latches loaded by a read first), then halts (cli; hlt). The window is MMIO in this mode.
; test/vga.test.ts and test/web-e2e.test.ts check what it shows.
bits 16
org 0xf000

start:
  cli
  mov ax, cs
  mov ds, ax
  cld
  mov si, mode
  call set_mode

  mov ax, 0xa000
  mov es, ax
  ; write mode 2: the byte written is a colour for the 8 pixels the bit mask selects
  mov dx, 0x3ce
  mov ax, 0x0205
  out dx, ax
  xor di, di
  mov dx, 480
.row:
  xor bx, bx                    ; byte column 0-79; bar = column / 5
.col:
  mov ax, bx
  mov cl, 5
  div cl
  stosb
  inc bx
  cmp bx, 80
  jb .col
  dec dx
  jnz .row

  ; write mode 0 with set/reset on all planes: white (15), (80, 100)-(239, 199)
  mov dx, 0x3ce
  mov ax, 0x0005
  out dx, ax
  mov ax, 0x0f01                ; enable set/reset, planes 0-3
  out dx, ax
  mov ax, 0x0f00                ; set/reset value 15
  out dx, ax
  mov bx, 100
.white:
  imul di, bx, 80
  add di, 10                    ; x = 80
  mov cx, 20                    ; 160 pixels
  rep stosb
  inc bx
  cmp bx, 200
  jb .white

  ; yellow (14) from x = 300 to x = 403 on rows 300-339: edge bytes through the bit mask
  mov ax, 0x0e00
  out dx, ax
  mov bx, 300
.yellow:
  imul di, bx, 80
  add di, 37                    ; the byte with x = 296-303
  mov ax, 0x0f08                ; bit mask: x = 300-303
  out dx, ax
  mov al, [es:di]               ; load the latches
  mov [es:di], al
  inc di
  mov ax, 0xff08
  out dx, ax
  mov cx, 12                    ; x = 304-399
  rep stosb
  mov ax, 0xf008                ; bit mask: x = 400-403
  out dx, ax
  mov al, [es:di]
  mov [es:di], al
  mov ax, 0xff08
  out dx, ax
  inc bx
  cmp bx, 340
  jb .yellow
  cli
  hlt
  jmp $

%include "vga-common.inc"

mode: db 0xe3                  ; miscellaneous output
seq:  db 0x03, 0x01, 0x0f, 0x00, 0x06
crtc: db 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
      db 0xea, 0x0c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff
gc:   db 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff
attr: db 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f
      db 0x01, 0x00, 0x0f, 0x00, 0x00

  times 0xfff0 - ($ - $$) - 0xf000 db 0xff
reset:
  jmp 0xf000:start
  times 0x1000 - ($ - $$) db 0xff
