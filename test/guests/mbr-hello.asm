; A boot sector for the firmware test (test/seabios.test.ts): SeaBIOS (or any PC BIOS) loads it
; from the first hard disk to 0000:7C00 and jumps to it with DL = the drive. It prints a line
; through INT 10h (teletype) and on port 0xE9, reads sector 1 of the same disk through the INT 13h
; extensions (AH=42h), prints the NUL-terminated text found there the same two ways, and halts.
;   nasm -f bin -o mbr-hello.bin mbr-hello.asm   (test/guests/build.sh)
bits 16
org 0x7c00
start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        mov [drive], dl
        mov si, msg_hello
        call print
        ; INT 13h AH=42h: sector 1 to 0000:0600
        mov si, dap
        mov ah, 0x42
        mov dl, [drive]
        int 0x13
        jc .fail
        mov si, 0x600
        call print
        mov si, msg_crlf
        call print
        jmp .done
.fail:  mov si, msg_fail
        call print
.done:  cli
        hlt
        jmp .done

; prints the NUL-terminated string at ds:si on the screen (INT 10h AH=0Eh) and on port 0xE9
print:  lodsb
        test al, al
        jz .end
        out 0xe9, al
        mov ah, 0x0e
        mov bx, 0x0007
        int 0x10
        jmp print
.end:   ret

drive:  db 0
align 4
dap:    db 16, 0            ; size, reserved
        dw 1                ; sectors
        dw 0x0600, 0x0000   ; buffer offset, segment
        dq 1                ; LBA
msg_hello: db "wasmvisor boot sector: sector 1 says: ", 0
msg_crlf:  db 13, 10, 0
msg_fail:  db "INT 13h read failed", 13, 10, 0

        times 510 - ($ - $$) db 0
        dw 0xaa55
