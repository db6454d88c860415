// Instruction length from the opcode table alone (assembly/gen/lengths.ts): used for the exit
// record and checked against capstone in test/decode-lengths.test.ts. Reads bytes at a wasm
// address, so the host can ask about any byte string.
import { OPINFO } from '../gen/lengths';

// returns the length in bytes, or 0 for an undefined opcode or more than 15 bytes
export function insnLength(p: u32, is32: bool): u32 {
  let o32 = is32;
  let a32 = is32;
  let n: u32 = 0;
  let b: u32 = 0;
  while (true) {
    if (n >= 15) return 0;
    b = load<u8>(p + n++);
    if (b == 0x66) { o32 = !is32; continue; }
    if (b == 0x67) { a32 = !is32; continue; }
    if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 ||
        b == 0xf0 || b == 0xf2 || b == 0xf3) continue;
    break;
  }
  if (b == 0x0f) { b = 0x100 | load<u8>(p + n++); }
  const info = <u32>OPINFO[b];
  if (!(info & 0x80)) return 0;
  let reg: u32 = 0;
  if (info & 1) {
    const m = load<u8>(p + n++);
    reg = (m >> 3) & 7;
    const mod = info & 0x10 ? 3 : m >> 6;
    const rm = m & 7;
    if (mod != 3) {
      if (a32) {
        if (rm == 4) {
          const sib = load<u8>(p + n++);
          if (mod == 0 && (sib & 7) == 5) n += 4;
        }
        if (mod == 0 && rm == 5) n += 4;
        else if (mod == 1) n += 1;
        else if (mod == 2) n += 4;
      } else {
        if (mod == 0 && rm == 6) n += 2;
        else if (mod == 1) n += 1;
        else if (mod == 2) n += 2;
      }
    }
  }
  const osz: u32 = o32 ? 4 : 2;
  switch ((info >> 1) & 7) {
    case 1: n += 1; break;
    case 2: n += 2; break;
    case 3: n += osz; break;
    case 4: n += osz + 2; break;
    case 5: n += a32 ? 4 : 2; break;
    case 6: n += 3; break;
    case 7: if (reg < 2) n += b == 0xf6 ? 1 : osz; break;
  }
  return n > 15 ? 0 : n;
}
