#!/usr/bin/env python3
"""Recompute the output line of bench/paging.bin (see paging.asm) with a model of the
physical pool and the four page tables (no TLB: every access translates afresh).

    python3 expected-paging.py [paging.bin]   # N read from offset 0xFFE0 (dword)
    python3 expected-paging.py --n 100        # any other N
"""

import struct
import sys

M32 = 0xFFFFFFFF
NPAGES = 4096
PERM_A = [1, 1021, 2053, 3001]
PERM_B = [0, 0x5A5, 0x123, 0xABC]


def rol32(v, n):
    return ((v << n) | (v >> (32 - n))) & M32


def checksum(n):
    # physical pool: page p (0..4095) filled with the dword (p+1)*0x9E3779B1
    mem = bytearray()
    for p in range(NPAGES):
        mem += struct.pack('<I', ((p + 1) * 0x9E3779B1) & M32) * 1024
    # pt[s][v] = physical page of linear pool page v in space s
    pt = [[(PERM_A[s] * v + PERM_B[s]) & (NPAGES - 1) for v in range(NPAGES)] for s in range(4)]

    def phys(s, lin):  # lin: byte offset into the linear pool
        return pt[s][lin >> 12] * 4096 + (lin & 0xFFF)

    def read(s, lin, size):
        out = bytearray()
        while size:
            chunk = min(size, 4096 - (lin & 0xFFF))
            a = phys(s, lin)
            out += mem[a:a + chunk]
            lin += chunk
            size -= chunk
        return bytes(out)

    def write(s, lin, data):
        i = 0
        while i < len(data):
            chunk = min(len(data) - i, 4096 - (lin & 0xFFF))
            a = phys(s, lin)
            mem[a:a + chunk] = data[i:i + chunk]
            lin += chunk
            i += chunk

    def rd32(s, lin):
        return struct.unpack('<I', read(s, lin, 4))[0]

    acc = 0
    for i in range(n):
        s = i & 3
        t = (s + 1) & 3
        v = (i * 0x9E3) & (NPAGES - 1)
        v0 = v
        stride = ((i * 0x2F6) | 1) & (NPAGES - 1)
        off = (i * 0x1C4) & 0xFFC
        # 1., 2.: 1024 pages in space s, the next 1024 in space t
        for sp in (s, t):
            table = pt[sp]
            for c in range(1024, 0, -1):
                a = table[v] * 4096 + off  # off is dword aligned: never splits
                x = struct.unpack_from('<I', mem, a)[0] ^ c
                acc = rol32((acc + x) & M32, 3)
                struct.pack_into('<I', mem, a, acc)
                v = (v + stride) & (NPAGES - 1)
        # 3. copy 8 KiB in space t (source and destination pages are disjoint), sample 16 dwords
        src = ((i * 37) & 2043) * 4096 + ((i * 0x155) & 0xFFF)
        dst = (2048 + ((i * 53) & 2043)) * 4096 + ((i * 0x2A3) & 0xFFF)
        write(t, dst, read(t, src, 8192))
        for j in range(16):
            acc = rol32((acc + rd32(t, dst + 2 + j * 512)) & M32, 3)
        # 4. space s: read v1, v2; swap their PTEs; read again
        v1 = v0
        v2 = (v0 + stride) & (NPAGES - 1)
        for lin in (v1, v2):
            acc = rol32((acc + rd32(s, lin * 4096 + off)) & M32, 3)
        pt[s][v1], pt[s][v2] = pt[s][v2], pt[s][v1]
        for lin in (v1, v2):
            acc = rol32((acc + rd32(s, lin * 4096 + off)) & M32, 3)
    return acc


def main(argv):
    if len(argv) >= 2 and argv[0] == '--n':
        n = int(argv[1])
    else:
        path = argv[0] if argv else __file__.rsplit('/', 1)[0] + '/paging.bin'
        with open(path, 'rb') as f:
            rom = f.read()
        n = struct.unpack_from('<I', rom, 0xFFE0)[0]
    print(f'paging: N={n} checksum={checksum(n):08X}')


if __name__ == '__main__':
    main(sys.argv[1:])
