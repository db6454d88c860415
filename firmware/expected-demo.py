#!/usr/bin/env python3
"""Independently recompute the expected debug-console output of demo.bin.

    python3 expected-demo.py [demo.bin]            -> expected text on stdout
    python3 expected-demo.py --dump demo-dump.bin  -> expected text of the
        ROM built with -DDUMP (every recorded value printed as "# XXXXXXXX")

Nothing here is taken from running the ROM: the sieve, the CRC of the ROM's
first 32 KiB (read from the .bin file), the sort, and every value recorded by
the instruction tests of part (e) are computed from the documented x86
semantics (Intel SDM pseudo-code) of the instructions the ROM executes.
"""

import sys
import zlib

MASK = {8: 0xFF, 16: 0xFFFF, 32: 0xFFFFFFFF}
CF, PF, AF, ZF, SF, TF, IF, DF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800
FLAGS_ARITH = 0x08D5
FLAGS_NOAF = 0x08C5
FLAGS_SZPC = 0x00C5
FLAGS_OC = 0x0801
FLAGS_ALL = 0x0FD5


# ------------------------------------------------------------ flag helpers

def sign(v, w):
    return (v >> (w - 1)) & 1


def signed(v, w):
    v &= MASK[w]
    return v - (1 << w) if sign(v, w) else v


def parity(v):
    return PF if bin(v & 0xFF).count("1") % 2 == 0 else 0


def szp(res, w):
    return (ZF if res == 0 else 0) | (SF if sign(res, w) else 0) | parity(res)


def add(a, b, w, cin=0):
    m = MASK[w]
    full = a + b + cin
    res = full & m
    f = szp(res, w)
    if full > m:
        f |= CF
    if (a ^ b ^ res) & 0x10:
        f |= AF
    if sign(~(a ^ b) & (a ^ res), w):
        f |= OF
    return res, f


def sub(a, b, w, bin_=0):
    m = MASK[w]
    res = (a - b - bin_) & m
    f = szp(res, w)
    if a < b + bin_:
        f |= CF
    if (a ^ b ^ res) & 0x10:
        f |= AF
    if sign((a ^ b) & (a ^ res), w):
        f |= OF
    return res, f


def logic(res, w):
    return res, szp(res, w)


def rol32(v, n):
    n &= 31
    return ((v << n) | (v >> (32 - n))) & 0xFFFFFFFF


# shifts and rotates, Intel SDM semantics (count masked to 5 bits)
# return (result, flags) with only the flags the instruction defines for the
# given count; the caller masks further.

def shl(v, c, w, fl=0):
    c &= 31
    if c == 0:
        return v, fl
    res = (v << c) & MASK[w]
    cf = (v >> (w - c)) & 1 if c <= w else 0
    f = szp(res, w) | cf
    if c == 1 and (sign(res, w) ^ cf):
        f |= OF
    return res, f


def shr(v, c, w, fl=0):
    c &= 31
    if c == 0:
        return v, fl
    res = v >> c
    cf = (v >> (c - 1)) & 1
    f = szp(res, w) | cf
    if c == 1 and sign(v, w):
        f |= OF
    return res, f


def sar(v, c, w, fl=0):
    c &= 31
    if c == 0:
        return v, fl
    sv = signed(v, w)
    res = (sv >> c) & MASK[w]
    cf = (sv >> (c - 1)) & 1
    return res, szp(res, w) | cf


def rol(v, c, w, fl=0):
    c &= 31
    if c == 0:
        return v, fl
    t = c % w
    res = ((v << t) | (v >> (w - t))) & MASK[w] if t else v
    cf = res & 1
    f = (fl & ~(CF | OF)) | cf
    if c == 1 and (sign(res, w) ^ cf):
        f |= OF
    return res, f


def ror(v, c, w, fl=0):
    c &= 31
    if c == 0:
        return v, fl
    t = c % w
    res = ((v >> t) | (v << (w - t))) & MASK[w] if t else v
    cf = sign(res, w)
    f = (fl & ~(CF | OF)) | cf
    if c == 1 and (sign(res, w) ^ ((res >> (w - 2)) & 1)):
        f |= OF
    return res, f


def rcl(v, c, w, fl):
    t = (c & 31) % (w + 1)
    cf = fl & CF
    for _ in range(t):
        newcf = sign(v, w)
        v = ((v << 1) | cf) & MASK[w]
        cf = newcf
    f = (fl & ~(CF | OF)) | cf
    if (c & 31) == 1 and (sign(v, w) ^ cf):
        f |= OF
    return v, f


def rcr(v, c, w, fl):
    t = (c & 31) % (w + 1)
    cf = fl & CF
    of = sign(v, w) ^ cf
    for _ in range(t):
        newcf = v & 1
        v = (v >> 1) | (cf << (w - 1))
        cf = newcf
    f = (fl & ~(CF | OF)) | cf
    if (c & 31) == 1 and of:
        f |= OF
    return v, f


def shld(d, s, c, w):
    c &= 31
    res = ((d << c) | (s >> (w - c))) & MASK[w]
    cf = (d >> (w - c)) & 1
    f = szp(res, w) | cf
    if c == 1 and sign(res, w) != sign(d, w):
        f |= OF
    return res, f


def shrd(d, s, c, w):
    c &= 31
    res = ((d >> c) | (s << (w - c))) & MASK[w]
    cf = (d >> (c - 1)) & 1
    f = szp(res, w) | cf
    if c == 1 and sign(res, w) != sign(d, w):
        f |= OF
    return res, f


def daa(al, fl):
    old_al, old_cf = al, fl & CF
    f = 0
    if (al & 0x0F) > 9 or fl & AF:
        al = (al + 6) & 0xFF
        f |= AF
    if old_al > 0x99 or old_cf:
        al = (al + 0x60) & 0xFF
        f |= CF
    return al, f | szp(al, 8)


def das(al, fl):
    old_al, old_cf = al, fl & CF
    f = 0
    if (al & 0x0F) > 9 or fl & AF:
        if al < 6 or old_cf:
            f |= CF
        al = (al - 6) & 0xFF
        f |= AF
    if old_al > 0x99 or old_cf:
        al = (al - 0x60) & 0xFF
        f |= CF
    return al, f | szp(al, 8)


def aaa(ax, fl):
    if (ax & 0x0F) > 9 or fl & AF:
        ax = (ax + 0x106) & 0xFFFF
        f = AF | CF
    else:
        f = 0
    return ax & 0xFF0F, f


def aas(ax, fl):
    if (ax & 0x0F) > 9 or fl & AF:
        ax = (ax - 6) & 0xFFFF
        ax = (ax - 0x100) & 0xFFFF
        f = AF | CF
    else:
        f = 0
    return ax & 0xFF0F, f


def aam(al, base=10):
    ax = ((al // base) << 8) | (al % base)
    return ax, szp(ax & 0xFF, 8)


def aad(ax, base=10):
    al = ((ax & 0xFF) + (ax >> 8) * base) & 0xFF
    return al, szp(al, 8)


def imul_ok(full, w):
    return -(1 << (w - 1)) <= full < (1 << (w - 1))


def idiv(a, b):
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    return q, a - q * b


def crc32(data):
    return zlib.crc32(bytes(data)) & 0xFFFFFFFF


# ------------------------------------------------------------ the ROM parts

def sieve(limit=10000):
    s = bytearray([1]) * limit
    s[0] = s[1] = 0
    i = 2
    while i * i < limit:
        if s[i]:
            for j in range(i * i, limit, i):
                s[j] = 0
        i += 1
    primes = [i for i in range(limit) if s[i]]
    return len(primes), primes[-1], sum(primes)


def sort_numbers(n=1000, seed=20240601):
    x = seed
    a = []
    for _ in range(n):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        a.append(x >> 16)
    return sorted(a), sum(a) & 0xFFFF


class Rec:
    def __init__(self):
        self.vals = []

    def __call__(self, *vs):
        for v in vs:
            self.vals.append(v & 0xFFFFFFFF)


def g_string(r):
    mem = bytearray(0x600)
    r(0x600, 0)                                  # rep stosd: di, cx
    for i in range(256):
        mem[i] = (3 + 7 * i) & 0xFF
    mem[0x100:0x200] = mem[0:0x100]              # rep movsb
    r(0x100, 0x200, 0)
    si, di = 0xFE, 0x3FE                         # std; rep movsw
    for _ in range(64):
        mem[di:di + 2] = mem[si:si + 2]
        si -= 2
        di -= 2
    r(si, di)
    for k in range(100):                         # rep stosw
        mem[0x400 + 2 * k:0x402 + 2 * k] = (0xBEEF).to_bytes(2, "little")
    r(0x400 + 200)
    mem[0x500:0x540] = mem[0:0x40]               # rep movsd
    r(0x40, 0x540)
    mem[0x100 + 77] = 0

    def word(a):
        return mem[a] | (mem[a + 1] << 8)

    def rep_cmps(si, di, cx, size, repe):
        f = 0
        while cx:
            a = mem[si] if size == 1 else word(si)
            b = mem[di] if size == 1 else word(di)
            _, f = sub(a, b, 8 * size)
            si += size
            di += size
            cx -= 1
            if bool(f & ZF) != repe:
                break
        return si, di, cx, f

    def rep_scas(acc, di, cx, size, step, repe):
        f = 0
        while cx:
            b = mem[di] if size == 1 else word(di)
            _, f = sub(acc, b, 8 * size)
            di += step
            cx -= 1
            if bool(f & ZF) != repe:
                break
        return di, cx, f

    si, di, cx, f = rep_cmps(0, 0x100, 256, 1, True)
    r(f & FLAGS_ARITH, cx, si, di)
    si, di, cx, f = rep_cmps(0x80, 0x380, 64, 2, True)
    r(f & FLAGS_ARITH, cx)
    di, cx, f = rep_scas(0x42, 0, 256, 1, 1, False)
    r(f & FLAGS_ARITH, cx, di)
    di, cx, f = rep_scas(0x42, 0x400, 200, 1, 1, False)
    r(f & FLAGS_ARITH, cx, di)
    r(sum(word(2 * k) for k in range(128)) & 0xFFFF)   # lodsw sum
    r(0x5F0)                                     # rep stosb with cx=0
    di, cx, f = rep_scas(0, 0x4C6, 300, 2, -2, False)
    r(f & FLAGS_ARITH, cx, di)
    r(crc32(mem))


def g_muldiv(r):
    def mulf(full, w):
        return 0 if full >> w == 0 else FLAGS_OC

    for a, b, w in ((200, 3, 8), (20, 12, 8)):
        p = a * b
        r(p, mulf(p, w))
    p = 0xFFFF * 0xFFFF
    r(p & 0xFFFF, p >> 16, mulf(p, 16))
    p = 0x12345678 * 0x9ABCDEF0
    r(p, p >> 32, mulf(p, 32))
    for a, b in ((-100, 3), (-10, 12)):
        p = a * b
        r(p & 0xFFFF, 0 if imul_ok(p, 8) else FLAGS_OC)
    p = -1234 * 5678
    r(p & 0xFFFF, (p >> 16) & 0xFFFF, 0 if imul_ok(p, 16) else FLAGS_OC)
    p = -123456789 * 987654
    r(p, p >> 32, 0 if imul_ok(p, 32) else FLAGS_OC)
    for a, b in ((300, -7), (30000, 3)):
        p = a * b
        r(p & 0xFFFF, 0 if imul_ok(p, 16) else FLAGS_OC)
    p = 0x10001 * 0x10001
    r(p, 0 if imul_ok(p, 32) else FLAGS_OC)
    q, m = divmod(1000, 7)
    r((m << 8) | q)
    q, m = divmod(0x00123456, 0x1234)
    r(q, m)
    q, m = divmod(0x1_23456789, 0x10000)
    r(q, m)
    q, m = divmod(0x12345_6789ABCD, 0xFEDCBA98)
    r(q, m)
    for a, b in ((-500, 7), (500, -7)):
        q, m = idiv(a, b)
        r(((m & 0xFF) << 8) | (q & 0xFF))
    q, m = idiv(-100000, 333)
    r(q & 0xFFFF, m & 0xFFFF)
    q, m = idiv(-1000000000000, 12345)
    r(q, m)
    r(0xFF85, 0xFFFF, 0x00007FFF, 0xFFFFFFFF)   # cbw cwd cwde cdq
    p = 0xDEADBEEF * 0xCAFEF00D
    r(p, p >> 32, 0)


def g_alu(r):
    res, f = add(0x7F, 1, 8)
    r(res, f & FLAGS_ARITH)
    res, f = add(0xFF, 1, 8)
    r(res, f & FLAGS_ARITH)
    res, f = add(0xFFFF, 0, 16, 1)
    r(res, f & FLAGS_ARITH)
    res, f = sub(0x8000, 1, 16)
    r(res, f & FLAGS_ARITH)
    res, f = sub(0, 0, 32, 1)
    r(res, f & FLAGS_ARITH)
    _, f = sub(0x10, 0x20, 8)
    r(f & FLAGS_ARITH)
    res, f = add(0x7FFFFFFF, 0x12345678, 32)
    r(res, f & FLAGS_ARITH)
    res, f = sub(0, 5, 16)                       # neg 5
    r(res, f & FLAGS_ARITH)
    _, f = sub(0, 0, 16)                         # neg 0
    r(f & FLAGS_ARITH)
    res, f = logic(0xF0F0 & 0x0FF0, 16)
    r(res, f & FLAGS_NOAF)
    res, f = logic(0xF0F0 | 0x0F0F, 16)
    r(res, f & FLAGS_NOAF)
    _, f = logic(0, 32)
    r(f & FLAGS_NOAF)
    _, f = logic(0x81 & 0x80, 8)
    r(f & FLAGS_NOAF)
    r(~0x1234 & 0xFFFF, CF)                      # not leaves flags alone
    res, f = add(0xFF, 1, 8)                     # inc keeps CF (was 1)
    r(res, ((f & ~CF) | CF) & FLAGS_ARITH)
    res, f = sub(0x80, 1, 8)                     # dec keeps CF (was 0)
    r(res, (f & ~CF) & FLAGS_ARITH)
    lo, f = add(0xFFFFFFF0, 0x20, 32)
    hi, f = add(1, 0, 32, f & CF)
    r(lo, hi)
    lo, f = sub(lo, 0x21, 32)
    hi, f = sub(hi, 0, 32, f & CF)
    r(lo, hi, f & FLAGS_ARITH)
    fl = 0xD5 & (SF | ZF | AF | PF | CF)         # sahf (OF was cleared)
    r(((fl | 2) << 8) | 0x55)                    # lahf
    r((fl ^ CF) & FLAGS_ARITH)                   # cmc
    r(ord("B"))                                  # xlat
    r(0x5678, 0x3412)                            # xchg
    # setcc after cmp 5,7 and cmp -5,7
    for a, outs in ((5, ("l", "b", "g", "z", "nz", "ae")),
                    (0xFFFB, ("l", "a", "s", "o", "p", "le"))):
        _, f = sub(a, 7, 16)
        v = [cond(c, f) for c in outs]
        r(v[0] | v[1] << 8, v[2] | v[3] << 8, v[4] | v[5] << 8)
    pairs = [(5, 7), (7, 5), (5, 5), (-5, 7), (7, -5), (0x8000, 1),
             (0x7FFF, -1), (0, 0x8000), (0xFFFF, 0xFFFF), (0x1234, 0x1233)]
    jconds = ("l", "g", "b", "a", "e", "o", "s", "p", "le", "ge", "be", "ae",
              "no", "ns", "np", "ne")
    h = 0
    for a, b in pairs:
        _, f = sub(a & 0xFFFF, b & 0xFFFF, 16)
        bits = 0
        for k, c in enumerate(jconds):
            if not cond(c, f):
                bits |= 1 << k
        h = (h * 31 + bits) & 0xFFFFFFFF
    r(h)
    v = 0x12345678
    r((v >> 3) & 1, (v >> 31) & 1)               # bt
    r(1 << (17 % 16), 0)                         # bts ax, cx=17
    r(0x7FFF, 1)                                 # btr ax, 15
    r(0x0000FFFF ^ (1 << 16), 0)                 # btc edx, 16
    bits = 0                                     # bit string at 4000:0010
    bits_base = 0x10 * 8

    def bitop(addr, off, op):
        nonlocal bits
        word_addr = addr + 2 * (off >> 4)        # Python >> floors (signed)
        bit = (word_addr * 8 - bits_base) + (off & 15)
        old = (bits >> bit) & 1
        if op == "s":
            bits |= 1 << bit
        elif op == "r":
            bits &= ~(1 << bit)
        return old

    r(bitop(0x10, 35, "s"))
    r(bitop(0x14, -1, "s"))
    r(bits & 0xFFFFFFFF, bits >> 32)
    r(bitop(0x10, 35, "r"))
    r(bits >> 32)
    r(5, 0, 23, 0, ZF)                           # bsf, bsr, bsf of 0
    r(0xFFFFFF80, 0x80, 0xFF80, 0xFFFF8001)      # movsx / movzx
    r(0x1000 + 0x30 * 4 + 0x10, (0x9000 + 0x8000 + 0x7FFF) & 0xFFFF)
    r(0xCAFEBABE, 0xCAFEBABE, 0x4000)
    r(10)                                        # loop
    r(4, 6)                                      # loopnz
    r(2, 8)                                      # loopz
    r(1, 2)                                      # jcxz taken, jecxz not


def cond(c, f):
    cf, zf, sf, of, pf = (bool(f & x) for x in (CF, ZF, SF, OF, PF))
    table = {
        "o": of, "no": not of, "b": cf, "ae": not cf, "e": zf, "z": zf,
        "ne": not zf, "nz": not zf, "be": cf or zf, "a": not (cf or zf),
        "s": sf, "ns": not sf, "p": pf, "np": not pf, "l": sf != of,
        "ge": sf == of, "le": zf or sf != of, "g": not zf and sf == of,
    }
    return int(table[c])


def g_shift(r):
    for fn in (shl, shr, sar):
        res, f = fn(0x81, 1, 8)
        r(res, f & FLAGS_NOAF)
    for fn in (shl, shr, sar):
        res, f = fn(0x8421, 5, 16)
        r(res, f & FLAGS_SZPC)
    for fn, c in ((shl, 12), (shr, 20), (sar, 7)):
        res, f = fn(0x87654321, c, 32)
        r(res, f & FLAGS_SZPC)
    res, f = shl(0x4321, 0x21, 16)
    r(res, f & FLAGS_NOAF)
    res, f = shl(0x1234, 32, 16, 0x45)
    r(res, f & FLAGS_NOAF)
    r(shl(0x81, 9, 8)[0], shr(0x81, 9, 8)[0], sar(0x81, 12, 8)[0])
    res, f = rol(0x81, 1, 8)
    r(res, f & FLAGS_OC)
    res, f = ror(0x81, 1, 8)
    r(res, f & FLAGS_OC)
    res, f = rol(0x1234, 4, 16)
    r(res, f & CF)
    res, f = ror(0x1234, 4, 16)
    r(res, f & CF)
    res, f = rol(0x12345678, 8, 32)
    r(res, f & CF)
    res, f = ror(0x12345678, 36, 32)
    r(res, f & CF)
    res, f = rol(0x96, 9, 8)
    r(res, f & CF)
    res, f = rcl(0x80, 1, 8, CF)
    r(res, f & FLAGS_OC)
    res, f = rcr(0x01, 1, 8, 0)
    r(res, f & FLAGS_OC)
    res, f = rcr(0x01, 1, 8, CF)
    r(res, f & FLAGS_OC)
    res, f = rcl(0x1234, 3, 16, CF)
    r(res, f & CF)
    res, f = rcr(0x1234, 3, 16, CF)
    r(res, f & CF)
    res, f = rcl(0xC3, 10, 8, 0)
    r(res, f & CF)
    res, f = rcl(0x80000001, 33, 32, CF)
    r(res, f & CF)
    res, f = rcr(0x12345678, 5, 32, 0)
    r(res, f & CF)
    v = (0x0123456789ABCDEF << 5) & ((1 << 64) - 1)
    r(v, v >> 32)
    v = (v >> 7) if not v >> 63 else ((v - (1 << 64)) >> 7) & ((1 << 64) - 1)
    r(v, v >> 32)
    res, f = shld(0x12345678, 0x9ABCDEF0, 12, 32)
    r(res, f & FLAGS_SZPC)
    res, f = shrd(0x12345678, 0x9ABCDEF0, 8, 32)
    r(res, f & FLAGS_SZPC)
    res, f = shld(0x1234, 0xABCD, 4, 16)
    r(res, f & FLAGS_SZPC)
    res, f = shrd(0x1234, 0xABCD, 7, 16)
    r(res, f & FLAGS_SZPC)
    res, f = shld(0x80000000, 0xFFFFFFFF, 1, 32)
    r(res, f & FLAGS_NOAF)
    res, f = shrd(0x0000FFFF, 0x12345678, 40, 32)
    r(res, f & FLAGS_SZPC)


def g_bcd(r):
    al, f = add(0x79, 0x35, 8)
    al, f = daa(al, f)
    r(al, f & 0xD5)
    al, f = sub(0x35, 0x47, 8)
    al, f = das(al, f)
    r(al, f & 0xD5)
    al, f = add(0x08, 5, 8)
    ax, f = aaa(al, f)
    r(ax, f & 0x11)
    al, f = add(0x38, 0x39, 8)
    ax, f = aaa(al, f)
    r(ax | 0x30)
    al, f = sub(0x02, 5, 8)
    ax, f = aas(0x0100 | al, f)
    r(ax, f & 0x11)
    ax, f = aam(79)
    r(ax, f & 0xC4)
    r(aam(0xAB, 16)[0])
    al, f = aad(0x0709)
    r(al, f & 0xC4)
    r(aad(0x0A0B, 16)[0])

    def bcd_chain(a, b, op, adjust):
        out, cf = 0, 0
        for k in range(4):
            x, y = (a >> 8 * k) & 0xFF, (b >> 8 * k) & 0xFF
            v, f = op(x, y, 8, cf)
            v, f = adjust(v, f)
            out |= v << 8 * k
            cf = f & CF
        return out, cf

    out, cf = bcd_chain(0x12345678, 0x87654329, add, daa)
    r(cf, out)
    out, cf = bcd_chain(0x50000000, 0x12345678, sub, das)
    r(cf, out)
    h = 0
    for d in range(16):
        c = CF if d < 10 else 0
        al, f = sub(d, 0x69, 8, c)
        al, f = das(al, f)
        h = rol32(((h << 4) & 0xFFFFFFFF) ^ al, 3)
    r(h)
    for fn in (daa, das):
        h = 0
        for cx in range(1024):
            fl = (CF if cx & 0x100 else 0) | (AF if cx & 0x200 else 0)
            al, f = fn(cx & 0xFF, fl)
            h = (h * 31 + (((f & 0xD5) << 8) | al)) & 0xFFFFFFFF
        r(h)


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def g_stack(r):
    r(3, 2, 1)
    r(0x89ABCDEF, 0x1234)
    r(0)                                         # push sp pushes old sp
    r(0x0BADF00D)
    r(0x1111, 0x2222, 0x3333, 0xB0B0, 0x6666, 0x7777, 0x8888)   # popa
    r(0, 0, 16)                                  # sp back, saved sp, bytes pushed
    r(0x11111111, 0x22222222 + 0x11111111, 0xD1D1D1D1, 0x66666666, 0)
    r(DF)
    # enter 4,1 / enter 2,2: outer bp - inner bp = 2 (display) + 4 (locals)
    # + 2 (arg) + 2 (return address) + 2 (saved bp); own display entry = bp
    r(2 + 4 + 2 + 2 + 2, 0)
    r(3 * 7 + 5 + 0x5A5A, 0)
    r(fib(16), 0)
    ax = 10
    for fn in (lambda x: x + 1, lambda x: x * 2, lambda x: x * x, lambda x: -x):
        ax = fn(ax) & 0xFFFF
    r(ax, 81)
    r(1000 + 234, 1000 + 2 * 234, 7 * 5, 0)
    r(4)


def g_int(r):
    fl_in = 0x08C3
    r((fl_in ^ (ZF | CF)) & FLAGS_ALL, 3 * 100 + 1, 0, 0xF000,
      fl_in & FLAGS_ALL, fl_in & FLAGS_ALL & ~(IF | TF))
    r(0x0006 & FLAGS_ALL, 3 * 7 + 1 + 1000, 0, 0x0006 & FLAGS_ALL, 2)
    r(3 * 1 + 1, 0)
    r(0, 0, 2)                                   # int3, int 3, count
    r(0, 1)                                      # into taken once
    r(1000, 0)                                   # #DE pushes the div's own IP
    r(0x1234, 0x8000)
    q, m = idiv(-32768, 2)
    r(q & 0xFFFF, m & 0xFFFF, 3)
    r(40 + 2, 0x1111, 0x2222)


GROUPS = (("string", g_string), ("muldiv", g_muldiv), ("alu", g_alu),
          ("shift", g_shift), ("bcd", g_bcd), ("stack", g_stack),
          ("int", g_int))


def expected(rom, dump=False):
    out = ["wasmvisor demo ROM"]
    n, last, total = sieve()
    out.append(f"sieve: {n} primes below 10000, largest {last}, sum {total}")
    out.append(f"crc32 of ROM F000:0000-7FFF: {crc32(rom[:0x8000]):08X}")
    a, s = sort_numbers()
    out.append(f"sort: {len(a)} numbers, min {a[0]}, max {a[-1]}, "
               f"sum mod 65536 = {s}, sorted ok")
    everything = []
    for name, fn in GROUPS:
        r = Rec()
        fn(r)
        if dump:
            out += [f"# {v:08X}" for v in r.vals]
        everything += r.vals
        data = b"".join(v.to_bytes(4, "little") for v in r.vals)
        out.append(f"ops {name:<7}: {len(r.vals)} results, crc32 {crc32(data):08X}")
    data = b"".join(v.to_bytes(4, "little") for v in everything)
    out.append(f"ops total  : {len(everything)} results, crc32 {crc32(data):08X}")
    out.append("done")
    return "\n".join(out) + "\n"


def main():
    args = sys.argv[1:]
    dump = "--dump" in args
    args = [a for a in args if a != "--dump"]
    path = args[0] if args else "demo.bin"
    with open(path, "rb") as fh:
        rom = fh.read()
    if len(rom) != 0x10000:
        sys.exit(f"{path}: expected a 65536-byte ROM, got {len(rom)} bytes")
    sys.stdout.write(expected(rom, dump))


if __name__ == "__main__":
    main()
