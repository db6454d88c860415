/**
 * GDB Remote Serial Protocol framing (GDB manual, appendix "Remote Serial Protocol",
 * section "Overview"): `$payload#cs` with cs the modulo-256 sum of the payload bytes as two
 * lower-case hex digits, acknowledged by `+` (good) or `-` (resend). Inside a payload `}` escapes
 * the next byte (XOR 0x20); `*` introduces run-length encoding in replies. A bare 0x03 byte
 * outside a packet is an interrupt request (Ctrl-C). Payloads are handled as latin1 strings so
 * every byte value survives.
 */

export function checksum(payload: string): number {
  let s = 0;
  for (let i = 0; i < payload.length; i++) s = (s + payload.charCodeAt(i)) & 0xff;
  return s;
}

export function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}

/** Frames a payload, escaping the bytes the protocol reserves (`$ # } *`). */
export function frame(payload: string): string {
  let body = '';
  for (let i = 0; i < payload.length; i++) {
    const ch = payload[i]!;
    if (ch === '$' || ch === '#' || ch === '}' || ch === '*') {
      body += '}' + String.fromCharCode(ch.charCodeAt(0) ^ 0x20);
    } else {
      body += ch;
    }
  }
  return `$${body}#${hex2(checksum(body))}`;
}

/** Undoes `}` escapes (binary data of X packets, qXfer replies). */
export function unescape(data: string): string {
  let out = '';
  for (let i = 0; i < data.length; i++) {
    const ch = data[i]!;
    if (ch === '}' && i + 1 < data.length) {
      out += String.fromCharCode(data.charCodeAt(++i) ^ 0x20);
    } else {
      out += ch;
    }
  }
  return out;
}

/** Expands run-length encoding (`X*n` repeats X n-29 more times). */
export function expandRle(data: string): string {
  let out = '';
  for (let i = 0; i < data.length; i++) {
    const ch = data[i]!;
    if (ch === '*' && out.length > 0 && i + 1 < data.length) {
      const n = data.charCodeAt(++i) - 29;
      out += out[out.length - 1]!.repeat(n);
    } else {
      out += ch;
    }
  }
  return out;
}

export type FrameEvent =
  | { type: 'packet'; payload: string; ok: boolean } // payload as sent (still escaped)
  | { type: 'ack' }
  | { type: 'nak' }
  | { type: 'interrupt' };

/** Incremental decoder: feed socket data, get events. */
export class FrameDecoder {
  private inPacket = false;
  private body = '';
  private csDigits = -1; // -1: collecting body; 0..2: checksum digits collected
  private cs = '';

  push(chunk: Buffer | string): FrameEvent[] {
    const s = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const out: FrameEvent[] = [];
    for (let i = 0; i < s.length; i++) {
      const ch = s[i]!;
      if (!this.inPacket) {
        if (ch === '$') {
          this.inPacket = true;
          this.body = '';
          this.cs = '';
          this.csDigits = -1;
          this.escaped = false;
        } else if (ch === '+') {
          out.push({ type: 'ack' });
        } else if (ch === '-') {
          out.push({ type: 'nak' });
        } else if (ch === '\x03') {
          out.push({ type: 'interrupt' });
        } // anything else between packets is noise
        continue;
      }
      if (this.csDigits < 0) {
        if (this.escaped) {
          this.body += ch; // an escaped byte is data, even '#'
          this.escaped = false;
        } else if (ch === '#') {
          this.csDigits = 0;
        } else {
          this.body += ch;
          if (ch === '}') this.escaped = true;
        }
        continue;
      }
      this.cs += ch;
      if (++this.csDigits === 2) {
        const ok = parseInt(this.cs, 16) === checksum(this.body);
        out.push({ type: 'packet', payload: this.body, ok });
        this.inPacket = false;
      }
    }
    return out;
  }

  private escaped = false;
}

/** Hex helpers for register and memory data. */
export function bytesToHex(b: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += hex2(b[i]!);
  return s;
}

export function hexToBytes(h: string): Uint8Array {
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error(`bad hex data '${h.slice(0, 32)}'`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16);
  return out;
}

/** A 32-bit value as 8 hex digits in target (little-endian) byte order. */
export function le32(v: number): string {
  v >>>= 0;
  return hex2(v) + hex2(v >>> 8) + hex2(v >>> 16) + hex2(v >>> 24);
}

export function parseLe32(h: string): number {
  const b = hexToBytes(h);
  if (b.length !== 4) throw new Error(`expected 4 bytes, got '${h}'`);
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}
