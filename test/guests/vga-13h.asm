; vga-13h.asm: a 4 KiB -bios ROM for the VGA's 256-colour mode. Without any BIOS help it sets
; mode 13h (320x200, chain-4) by programming the VGA registers from a BIOS-style mode table
; (set_mode in vga-common.inc), loads the DAC with a palette through 3C8h/3C9h, draws a
; diagonal colour gradient, a white frame, a filled square and a diagonal line at A000:0000,
; and halts (cli; hlt). test/vga.test.ts and test/web-e2e.test.ts check what it shows.
bits 16
org 0xf000

start:
  cli
  mov ax, cs
  mov ds, ax
  cld
  mov si, mode
  call set_mode
  ; the DAC: entry i = (i & 0x3f, (i >> 2) & 0x3f, 0x3f - (i & 0x3f)) for i < 248; 248-255 grey
  mov dx, 0x3c8
  xor al, al
  out dx, al
  inc dx
  xor bx, bx
.dac:
  mov al, bl
  and al, 0x3f
  out dx, al
  mov al, bl
  shr al, 2
  out dx, al
  mov al, bl
  and al, 0x3f
  xor al, 0x3f
  out dx, al
  inc bx
  cmp bx, 248
  jb .dac
.grey:
  mov al, bl
  sub al, 248
  shl al, 3
  out dx, al
  out dx, al
  out dx, al
  inc bx
  cmp bx, 256
  jb .grey
  ; the gradient: pixel (x, y) = (x + y) & 0xff, except 248-255 (greys) folded to 0-7
  mov ax, 0xa000
  mov es, ax
  xor di, di
  xor dx, dx                    ; y
.row:
  xor cx, cx                    ; x
.col:
  mov ax, cx
  add ax, dx
  cmp al, 248
  jb .put
  sub al, 248
.put:
  stosb
  inc cx
  cmp cx, 320
  jb .col
  inc dx
  cmp dx, 200
  jb .row
  ; a white (255) frame around the screen
  xor di, di
  mov al, 255
  mov cx, 320
  rep stosb
  mov di, 199 * 320
  mov cx, 320
  rep stosb
  xor di, di
  mov cx, 200
.sides:
  mov [es:di], al
  mov [es:di + 319], al
  add di, 320
  loop .sides
  ; a filled square, colour 0x40, at (100, 50)-(179, 129)
  mov di, 50 * 320 + 100
  mov dx, 80
.sq:
  mov cx, 80
  mov al, 0x40
  rep stosb
  add di, 320 - 80
  dec dx
  jnz .sq
  ; a diagonal line, colour 248 (black), from (20, 20) to (179, 179)
  mov di, 20 * 320 + 20
  mov cx, 160
.diag:
  mov byte [es:di], 248
  add di, 321
  loop .diag
  cli
  hlt
  jmp $

%include "vga-common.inc"

mode: db 0x63                  ; miscellaneous output
seq:  db 0x03, 0x01, 0x0f, 0x00, 0x0e
crtc: db 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
      db 0x9c, 0x0e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff
gc:   db 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff
attr: db 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
      db 0x41, 0x00, 0x0f, 0x00, 0x00

  times 0xfff0 - ($ - $$) - 0xf000 db 0xff
reset:
  jmp 0xf000:start
  times 0x1000 - ($ - $$) db 0xff
