; mb-platform.asm - a Multiboot v1 test kernel (Multiboot 0.6.96, a.out kludge; nasm -f bin)
; that drives the PC platform's devices and prints what it finds on COM1, then ends through
; QEMU's isa-debug-exit (port 0xF4) with the number of failed checks: exit status
; (failures << 1) | 1. Everything printed is independent of timing, so the report is the same
; under wasmvisor and qemu-system-i386 (test/platform.test.ts runs both).
;
;   qemu-system-i386 -machine pc -nodefaults -display none -serial stdio -m 32 \
;     -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel mb-platform.bin
;
; Devices touched: 8259A PICs (init, IMR/ISR read-back), 8254 PIT (channel 0 IRQ 0, read-back
; status, counter latch; channel 2 through port 0x61), MC146818 RTC (registers A/B/D, date
; in BCD, periodic interrupt on IRQ 8, CMOS memory size bytes), 16550A UART (scratch, divisor
; latch, FIFO detection, loopback, THRE interrupt on IRQ 4), i8042 (self test, interface test),
; PCI configuration mechanism #1 (i440FX and PIIX3 IDs).
bits 32
org 0x100000

MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ 0x00010003          ; page-aligned modules, memory info, a.out kludge
COM1        equ 0x3F8

hdr:
  dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
  dd hdr, hdr, load_end, bss_end, start

start:
  cli
  mov esp, stack_top
  mov [mb_magic], eax
  mov [mb_info], ebx
  lgdt [gdtr]
  jmp 0x08:.cs
.cs:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov fs, ax
  mov gs, ax
  call build_idt
  lidt [idtr]
  call uart_init

  ; --- Multiboot hand-over
  mov esi, s_mb
  call puts
  mov eax, [mb_magic]
  call hex32
  call nl
  mov ebx, [mb_info]
  mov eax, [ebx + 8]                ; mem_upper (KB above 1 MiB): -m 32 gives 30-31 MiB
  cmp eax, 30 * 1024                ; (firmware may keep some of the top for itself)
  setae cl
  cmp eax, 31 * 1024
  setbe al
  and al, cl
  movzx eax, al
  mov esi, s_mb_upper
  call check
  mov ebx, [mb_info]
  test byte [ebx], 1                ; flags bit 0: mem_lower/mem_upper valid
  setnz al
  movzx eax, al
  mov esi, s_mb_flag
  call check

  ; --- PICs: ICW1-4, vectors 0x20 and 0x28, all masked; read back IMR and ISR
  mov al, 0x11
  out 0x20, al
  out 0xA0, al
  mov al, 0x20
  out 0x21, al
  mov al, 0x28
  out 0xA1, al
  mov al, 0x04
  out 0x21, al
  mov al, 0x02
  out 0xA1, al
  mov al, 0x01
  out 0x21, al
  out 0xA1, al
  mov al, 0xFF
  out 0x21, al
  mov al, 0xFE
  out 0xA1, al
  mov esi, s_pic
  call puts
  in al, 0x21
  call hex8
  call space
  in al, 0xA1
  call hex8
  call space
  mov al, 0x0B                      ; OCW3: read ISR
  out 0x20, al
  in al, 0x20
  call hex8
  call nl

  ; --- PIT channel 0: mode 2, 1 ms, IRQ 0 ten times
  mov al, 0x34
  out 0x43, al
  mov al, 1193 & 0xFF
  out 0x40, al
  mov al, 1193 >> 8
  out 0x40, al
  mov dword [irq_count + 0*4], 0
  mov al, 0xFE
  out 0x21, al
  sti
.pit_wait:
  hlt
  cmp dword [irq_count + 0*4], 10
  jb .pit_wait
  cli
  mov al, 0xFF
  out 0x21, al
  mov eax, 1
  mov esi, s_pit_irq
  call check
  mov al, 0xE2                      ; read-back: status of channel 0
  out 0x43, al
  in al, 0x40
  and al, 0x3F
  mov esi, s_pit_status
  call puts
  call hex8
  call nl
  mov al, 0x00                      ; counter latch, channel 0
  out 0x43, al
  in al, 0x40
  mov ah, al
  in al, 0x40
  xchg al, ah
  movzx eax, ax
  cmp eax, 1193
  setbe al
  movzx eax, al
  mov esi, s_pit_latch
  call check

  ; --- PIT channel 2 gated by port 0x61, OUT seen in port 0x61 bit 5
  in al, 0x61
  and al, 0xFC
  out 0x61, al                      ; gate low
  mov al, 0xB0                      ; channel 2, lo/hi, mode 0
  out 0x43, al
  mov al, 100
  out 0x42, al
  xor al, al
  out 0x42, al
  in al, 0x61
  and al, 0x20
  mov [out_before], al
  in al, 0x61
  or al, 0x01
  out 0x61, al                      ; gate high: counting starts
  mov ecx, 10000000
.ch2:
  in al, 0x61
  test al, 0x20
  jnz .ch2_done
  dec ecx
  jnz .ch2
.ch2_done:
  test ecx, ecx
  setnz al
  cmp byte [out_before], 0
  sete ah
  and al, ah
  movzx eax, al
  mov esi, s_pit_ch2
  call check
  in al, 0x61
  and al, 0xFC
  out 0x61, al

  ; --- RTC: registers A, B, D; the date; periodic interrupt at 1024 Hz on IRQ 8
  mov esi, s_rtc
  call puts
  mov al, 0x0A
  call cmos_read
  and al, 0x7F                      ; without UIP
  call hex8
  call space
  mov al, 0x0B
  call cmos_read
  call hex8
  call space
  mov al, 0x0D
  call cmos_read
  call hex8
  call nl
  call rtc_wait_update
  mov al, 0x08                      ; month, BCD 01-12
  call cmos_read
  call bcd_ok
  mov ebx, eax
  mov al, 0x07                      ; day of month, BCD 01-31
  call cmos_read
  call bcd_ok
  and eax, ebx
  mov esi, s_rtc_date
  call check
  mov al, 0x0C
  call cmos_read                    ; clear flags
  mov al, 0x0B
  call cmos_read
  or al, 0x40                       ; PIE
  mov ah, al
  mov al, 0x0B
  call cmos_write
  mov dword [irq_count + 8*4], 0
  mov al, 0xFB                      ; cascade
  out 0x21, al
  mov al, 0xFE                      ; IRQ 8
  out 0xA1, al
  sti
.rtc_wait:
  hlt
  cmp dword [irq_count + 8*4], 8
  jb .rtc_wait
  cli
  mov al, 0xFF
  out 0xA1, al
  out 0x21, al
  mov al, 0x0B
  call cmos_read
  and al, ~0x40
  mov ah, al
  mov al, 0x0B
  call cmos_write
  mov esi, s_rtc_pie
  call puts
  mov al, [rtc_c]
  and al, 0xC0
  call hex8
  call nl

  ; --- CMOS memory size bytes
  mov esi, s_cmos
  call puts
  mov al, 0x16
  call cmos_read
  call hex8
  mov al, 0x15
  call cmos_read
  call hex8
  call space
  mov al, 0x31
  call cmos_read
  call hex8
  mov al, 0x30
  call cmos_read
  call hex8
  call space
  mov al, 0x35
  call cmos_read
  call hex8
  mov al, 0x34
  call cmos_read
  call hex8
  call nl

  ; --- 16550A: scratch, divisor latch, FIFO, loopback, THRE interrupt (results printed after)
  mov dx, COM1 + 7
  mov al, 0x5A
  out dx, al
  in al, dx
  mov [u_scr], al
  mov dx, COM1 + 3
  mov al, 0x83
  out dx, al
  mov dx, COM1 + 1
  mov al, 0x00
  out dx, al
  mov dx, COM1
  mov al, 0x0C
  out dx, al
  in al, dx
  mov [u_dll], al
  mov dx, COM1 + 3
  mov al, 0x03
  out dx, al
  mov dx, COM1 + 2
  mov al, 0xC7
  out dx, al
  in al, dx
  mov [u_iir], al
  mov dx, COM1 + 4
  mov al, 0x1F                      ; loopback, OUT2, OUT1, RTS, DTR
  out dx, al
  mov dx, COM1 + 6
  in al, dx
  mov [u_msr], al
  mov dx, COM1
  mov al, 0xA5
  out dx, al
  mov ecx, 100000
  mov dx, COM1 + 5
.lb:
  in al, dx
  test al, 1
  jnz .lb_got
  dec ecx
  jnz .lb
.lb_got:
  mov dx, COM1
  in al, dx
  mov [u_lb], al
  mov dx, COM1 + 4
  mov al, 0x0B                      ; OUT2, RTS, DTR
  out dx, al
  mov dword [irq_count + 4*4], 0
  mov al, 0xEF                      ; IRQ 4
  out 0x21, al
  mov dx, COM1 + 1
  mov al, 0x02                      ; ETBEI
  out dx, al
  sti
  mov ecx, 1000000
.thre:
  cmp dword [irq_count + 4*4], 0
  jne .thre_done
  dec ecx
  jnz .thre
.thre_done:
  cli
  mov dx, COM1 + 1
  xor al, al
  out dx, al
  mov al, 0xFF
  out 0x21, al
  mov esi, s_uart
  call puts
  mov al, [u_scr]
  call hex8
  call space
  mov al, [u_dll]
  call hex8
  call space
  mov al, [u_iir]
  call hex8
  call space
  mov al, [u_msr]
  and al, 0xF0
  call hex8
  call space
  mov al, [u_lb]
  call hex8
  call nl
  mov esi, s_uart_irq
  call puts
  mov al, [uart_iir]
  call hex8
  call nl

  ; --- i8042
  mov esi, s_kbc
  call puts
  mov al, 0xAA
  call kbc_cmd
  call hex8
  call space
  mov al, 0xAB
  call kbc_cmd
  call hex8
  call nl

  ; --- PCI: 00:00.0 and 00:01.0
  mov esi, s_pci
  call puts
  mov eax, 0x80000000
  call pci_read
  call hex32
  call space
  mov eax, 0x80000800
  call pci_read
  call hex32
  call space
  mov eax, 0x80000808
  call pci_read
  shr eax, 8
  call hex32
  call nl

  ; --- done
  mov esi, s_done
  call puts
  mov eax, [failures]
  call hex8
  call nl
  mov eax, [failures]
  out 0xF4, eax
  cli
  hlt
  jmp $

; ---------------------------------------------------------------- helpers
; check: EAX = 1 ok / 0 not ok, ESI = text
check:
  push eax
  test eax, eax
  jnz .ok
  inc dword [failures]
  push esi
  mov esi, s_not
  call puts
  pop esi
.ok:
  push esi
  mov esi, s_ok
  call puts
  pop esi
  call puts
  call nl
  pop eax
  ret

cmos_read:                          ; AL = index -> AL = value
  out 0x70, al
  in al, 0x71
  ret
cmos_write:                         ; AL = index, AH = value
  out 0x70, al
  mov al, ah
  out 0x71, al
  ret
rtc_wait_update:                    ; wait while an update is in progress
  mov ecx, 1000000
.w:
  mov al, 0x0A
  call cmos_read
  test al, 0x80
  jz .r
  dec ecx
  jnz .w
.r:
  ret
bcd_ok:                             ; AL = BCD byte -> EAX = 1 if both digits <= 9 and not 0
  mov ah, al
  and ah, 0x0F
  cmp ah, 9
  ja .no
  mov ah, al
  shr ah, 4
  cmp ah, 9
  ja .no
  test al, al
  jz .no
  mov eax, 1
  ret
.no:
  xor eax, eax
  ret

kbc_cmd:                            ; AL = command -> AL = the controller's reply
  push ecx
  mov ah, al
  mov ecx, 1000000
.flush:                             ; drain anything pending
  in al, 0x64
  test al, 1
  jz .send
  in al, 0x60
  dec ecx
  jnz .flush
.send:
  mov al, ah
  out 0x64, al
  mov ecx, 1000000
.w:
  in al, 0x64
  test al, 1
  jnz .got
  dec ecx
  jnz .w
  mov al, 0xEE                      ; no reply
  pop ecx
  ret
.got:
  in al, 0x60
  pop ecx
  ret

pci_read:                           ; EAX = CONFIG_ADDRESS -> EAX = dword
  mov dx, 0xCF8
  out dx, eax
  mov dx, 0xCFC
  in eax, dx
  ret

uart_init:
  mov dx, COM1 + 1
  xor al, al
  out dx, al                        ; no interrupts
  mov dx, COM1 + 3
  mov al, 0x80
  out dx, al
  mov dx, COM1
  mov al, 1                         ; 115200 baud
  out dx, al
  mov dx, COM1 + 1
  xor al, al
  out dx, al
  mov dx, COM1 + 3
  mov al, 0x03                      ; 8N1
  out dx, al
  mov dx, COM1 + 4
  mov al, 0x03
  out dx, al
  ret

putc:                               ; AL = byte
  push edx
  push eax
  mov dx, COM1 + 5
.w:
  in al, dx
  test al, 0x20
  jz .w
  pop eax
  mov dx, COM1
  out dx, al
  pop edx
  ret
puts:                               ; ESI = NUL-terminated text
  push eax
.l:
  lodsb
  test al, al
  jz .e
  call putc
  jmp .l
.e:
  pop eax
  ret
nl:
  push eax
  mov al, 10
  call putc
  pop eax
  ret
space:
  push eax
  mov al, ' '
  call putc
  pop eax
  ret
hex32:
  push eax
  shr eax, 16
  call hex16
  pop eax
hex16:
  push eax
  mov al, ah
  call hex8
  pop eax
hex8:
  push eax
  shr al, 4
  call hexdigit
  pop eax
  push eax
  call hexdigit
  pop eax
  ret
hexdigit:
  and al, 0x0F
  add al, '0'
  cmp al, '9'
  jbe .d
  add al, 'a' - '9' - 1
.d:
  jmp putc

; ---------------------------------------------------------------- interrupts
build_idt:
  mov edi, idt
  xor ecx, ecx
.g:
  cmp ecx, 0x20
  jb .exc
  cmp ecx, 0x30
  jb .irq
  mov eax, unexpected
  jmp .set
.exc:
  mov eax, ecx
  imul eax, exc_stub_size
  add eax, exc_stubs
  jmp .set
.irq:
  mov eax, ecx
  sub eax, 0x20
  imul eax, irq_stub_size
  add eax, irq_stubs
.set:
  mov [edi], ax
  mov word [edi + 2], 0x08
  mov word [edi + 4], 0x8E00
  shr eax, 16
  mov [edi + 6], ax
  add edi, 8
  inc ecx
  cmp ecx, 256
  jb .g
  ret

exc_stubs:
%assign v 0
%rep 32
  push dword v
  jmp near exception
%assign v v + 1
%endrep
exc_stub_size equ (irq_stubs - exc_stubs) / 32
; each stub must have the same size: push imm32 (5) + jmp rel32 (5)

irq_stubs:
%assign v 0
%rep 16
  push dword v
  jmp near irq_common
%assign v v + 1
%endrep
irq_stub_size equ (irq_stubs_end - irq_stubs) / 16
irq_stubs_end:

exception:
  mov esi, s_exc
  call puts
  pop eax
  call hex8
  call nl
  mov eax, 0x7F
  out 0xF4, eax
  cli
  hlt

unexpected:
  mov esi, s_unexp
  call puts
  mov eax, 0x7E
  out 0xF4, eax
  cli
  hlt

irq_common:
  push eax
  push edx
  mov eax, [esp + 8]
  inc dword [irq_count + eax*4]
  cmp eax, 8
  jne .not_rtc
  mov al, 0x0C
  out 0x70, al
  in al, 0x71
  mov [rtc_c], al
  mov eax, 8
.not_rtc:
  cmp eax, 4
  jne .not_uart
  mov dx, COM1 + 2
  in al, dx
  mov [uart_iir], al
  mov dx, COM1 + 1                  ; one THRE interrupt is enough
  xor al, al
  out dx, al
  mov eax, 4
.not_uart:
  cmp eax, 8
  jb .master
  mov al, 0x20
  out 0xA0, al
.master:
  mov al, 0x20
  out 0x20, al
  pop edx
  pop eax
  add esp, 4
  iret

; ---------------------------------------------------------------- data
align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF             ; 0x08 flat code
  dq 0x00CF92000000FFFF             ; 0x10 flat data
gdtr:
  dw gdtr - gdt - 1
  dd gdt
idtr:
  dw 256 * 8 - 1
  dd idt

s_mb        db "multiboot magic ", 0
s_mb_upper  db "multiboot mem_upper for 32 MiB", 0
s_mb_flag   db "multiboot memory info flag", 0
s_pic       db "pic imr/imr/isr ", 0
s_pit_irq   db "pit channel 0 interrupts on irq 0", 0
s_pit_status db "pit read-back status ", 0
s_pit_latch db "pit latched count within the divisor", 0
s_pit_ch2   db "pit channel 2 output in port 0x61 after the gate opens", 0
s_rtc       db "rtc a/b/d ", 0
s_rtc_date  db "rtc date in bcd", 0
s_rtc_pie   db "rtc periodic irq 8, register c ", 0
s_cmos      db "cmos base/ext/above16m ", 0
s_uart      db "uart scr/dll/iir/msr/loopback ", 0
s_uart_irq  db "uart thre irq 4, iir ", 0
s_kbc       db "i8042 self-test/kbd-test ", 0
s_pci       db "pci 00.0/01.0/01.0-class ", 0
s_done      db "done, failures ", 0
s_ok        db "ok - ", 0
s_not       db "not ", 0
s_exc       db "exception ", 0
s_unexp     db "unexpected interrupt", 10, 0

load_end:

section .bss align=16
mb_magic    resd 1
mb_info     resd 1
failures    resd 1
irq_count   resd 16
rtc_c       resb 1
uart_iir    resb 1
out_before  resb 1
u_scr       resb 1
u_dll       resb 1
u_iir       resb 1
u_msr       resb 1
u_lb        resb 1
alignb 16
idt         resb 256 * 8
stack       resb 8192
stack_top:
bss_end:
