#!/bin/sh
# run-qemu.sh NAME.bin OUT: run a guest ROM under QEMU, debug port output to OUT
# (QEMU does not exit on hlt: stopped by the timeout)
bin=$1; out=$2
rm -f "$out"
timeout ${TIMEOUT:-10} qemu-system-i386 -bios "$bin" -m 32 -nographic -display none -monitor none \
  -serial none -device isa-debugcon,iobase=0xe9,chardev=dbg -chardev file,id=dbg,path="$out" -no-reboot
exit 0
