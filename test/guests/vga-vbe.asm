; vga-vbe.asm: a 4 KiB -bios ROM for the Bochs VBE interface. It reads the DISPI id (port 1CEh
; index, 1CFh data), sets 640x480 in 32 bits per pixel, enables it, and draws every pixel
; through the 64 KiB bank window at A000:0000, switching banks with DISPI register 5:
; blue = x, green = y, red = x xor y (low 8 bits each). Then it halts (cli; hlt).
; test/vga.test.ts and test/web-e2e.test.ts check what it shows.
bits 16
org 0xf000

%macro DISPI 2                  ; register, value
  mov ax, %1
  mov dx, 0x1ce
  out dx, ax
  mov ax, %2
  inc dx
  out dx, ax
%endmacro

start:
  cli
  DISPI 0, 0xb0c5               ; the interface version
  DISPI 4, 0                    ; disabled while the mode is set
  DISPI 1, 640
  DISPI 2, 480
  DISPI 3, 32
  DISPI 4, 0x01                 ; enabled, banked
  mov ax, 0xa000
  mov es, ax
  cld
  xor ebx, ebx                  ; pixel index
  xor bp, bp                    ; bank
.bank:
  DISPI 5, bp
  xor di, di
.pixel:
  mov eax, ebx
  xor edx, edx
  mov ecx, 640
  div ecx                       ; eax = y, edx = x
  mov cl, dl
  xor cl, al                    ; red = x xor y
  mov ch, al                    ; green = y
  movzx eax, cl
  shl eax, 16
  mov ah, ch
  mov al, dl                    ; blue = x
  stosd
  inc ebx
  cmp ebx, 640 * 480
  je .done
  test di, di
  jnz .pixel                    ; DI wraps to 0 after 16384 pixels: next bank
  inc bp
  jmp .bank
.done:
  cli
  hlt
  jmp $

  times 0xfff0 - ($ - $$) - 0xf000 db 0xff
reset:
  jmp 0xf000:start
  times 0x1000 - ($ - $$) db 0xff
