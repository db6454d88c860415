#!/bin/sh
# Rebuild the guest ROMs from source and regenerate their expected output.
#   firmware/demo.asm   -> firmware/demo.bin   (+ firmware/demo.expected)
#   bench/intloop.asm   -> bench/intloop.bin   (+ bench/intloop.expected)
# Needs nasm and python3.  Output is deterministic.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

nasm -f bin -o firmware/demo.bin firmware/demo.asm
nasm -f bin -o bench/intloop.bin bench/intloop.asm

python3 firmware/expected-demo.py firmware/demo.bin > firmware/demo.expected
python3 bench/expected-intloop.py bench/intloop.bin > bench/intloop.expected

for f in firmware/demo.bin bench/intloop.bin; do
    size=$(wc -c < "$f")
    if [ "$size" -ne 65536 ]; then
        echo "$f: expected 65536 bytes, got $size" >&2
        exit 1
    fi
done
echo "built firmware/demo.bin bench/intloop.bin; wrote firmware/demo.expected bench/intloop.expected"
