#!/usr/bin/env python3
"""Recompute the output line of bench/intloop.bin (see intloop.asm).

    python3 expected-intloop.py [intloop.bin]   # N read from offset 0xFFE0
    python3 expected-intloop.py --n 1000        # any other N
"""

import sys
import zlib

M32 = 0xFFFFFFFF


def rol32(v, n):
    return ((v << n) | (v >> (32 - n))) & M32


_pi = {}


def primes_below(limit):
    if limit not in _pi:
        s = bytearray([1]) * limit
        s[0] = s[1] = 0
        i = 2
        while i * i < limit:
            if s[i]:
                s[i * i::i] = bytes(len(range(i * i, limit, i)))
            i += 1
        _pi[limit] = sum(s)
    return _pi[limit]


def collatz_steps(n):
    steps = 0
    while n != 1:
        n = n >> 1 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def checksum(n_iter):
    buf = [0] * 128
    raw = bytes((13 * k + 7) & 0xFF for k in range(512))
    for j in range(128):
        buf[j] = int.from_bytes(raw[4 * j:4 * j + 4], "little")
    acc, x = 0, 2463534242
    fib10 = fib(10)
    for i in range(n_iter):
        count = primes_below(1536 + (i & 511))
        for j in range(128):
            x ^= (x << 13) & M32
            x ^= x >> 17
            x ^= (x << 5) & M32
            buf[j] = ((rol32(buf[j], 3) ^ x) + j) & M32
        data = b"".join(v.to_bytes(4, "little") for v in buf)
        crc = zlib.crc32(data) & M32
        pos = (i * 7) & 511
        steps = collatz_steps((crc & 0x3FF) + 1)
        acc = ((rol32(acc, 5) ^ count) + crc) & M32
        acc ^= pos << 16
        acc = (acc + steps) & M32
        acc ^= fib10
    return acc


def main():
    args = sys.argv[1:]
    if args[:1] == ["--n"]:
        n = int(args[1])
    else:
        path = args[0] if args else "intloop.bin"
        with open(path, "rb") as fh:
            rom = fh.read()
        n = int.from_bytes(rom[0xFFE0:0xFFE2], "little")
    print(f"intloop: N={n} checksum={checksum(n):08X}")


if __name__ == "__main__":
    main()
