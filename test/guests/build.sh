#!/bin/sh
# build.sh: reassemble every guest ROM in test/guests (NAME.asm -> NAME.bin).
# build.sh --qemu: also run each ROM under QEMU and write NAME.expected
# (NAME.qemu for the guests that have one: their .expected is the SDM's
# answer, which QEMU does not give; see README.md).
set -e
cd "$(dirname "$0")"
for asm in pm-*.asm vga-*.asm ata-*.asm; do
  name=${asm%.asm}
  nasm -f bin -o "$name.bin" "$asm"
  echo "assembled $name.bin"
  # the ata-* ROMs need a disk image: test/ata-guest.test.ts and test/ata-dma-guest.test.ts
  # run them under QEMU themselves
  if [ "$1" = "--qemu" ] && [ "${name#ata-}" = "$name" ]; then
    if [ -f "$name.qemu" ]; then out="$name.qemu"; else out="$name.expected"; fi
    ./run-qemu.sh "$name.bin" "$out" 2>/dev/null
    echo "  QEMU: $(grep -c '^ok' "$out") ok, $(grep -c '^not ok' "$out") not ok -> $out"
  fi
done
# the lockstep-diff ROM (test/diff-rom.test.ts): no expected output, QEMU is compared live
nasm -f bin -o diff-rom.bin diff-rom.asm
echo "assembled diff-rom.bin"
# the boot sector booted by SeaBIOS from a disk image (test/seabios.test.ts)
nasm -f bin -o mbr-hello.bin mbr-hello.asm
echo "assembled mbr-hello.bin"
