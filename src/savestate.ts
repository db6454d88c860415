/**
 * Save state: the core's state by field name (tools/layout.mjs), the I/O bitmap, the devices'
 * own states by device name, guest RAM and the ROM image. Versioned; loading checks the
 * version and the machine's shape. save -> load -> save gives identical bytes.
 *
 * Container: "WVSS", u32 version, u32 header length, JSON header, RAM bytes, ROM bytes.
 * Soft-TLB contents and the page map are not saved: the TLB is refilled on demand and the page
 * map follows from the machine's configuration.
 */
import * as L from './gen/layout.js';
import type { Machine } from './machine.js';
import { fromBase64, toBase64 } from './base64.js';

export const SAVE_VERSION = 1;
const MAGIC = 0x53535657; // "WVSS"

interface Header {
  version: number;
  ramBytes: number;
  romBytes: number;
  fields: Record<string, (number | string)[]>;
  ioBitmap: string;
  devices: Record<string, unknown>;
}

export function saveState(m: Machine): Uint8Array {
  const c = m.core;
  const fields: Header['fields'] = {};
  for (const f of L.FIELDS) {
    const vals: (number | string)[] = [];
    for (let i = 0; i < f.count; i++) {
      if (f.type === 'u64') vals.push(c.get64(f.offset + 8 * i).toString());
      else vals.push(c.get32(f.offset + 4 * i));
    }
    fields[f.name] = vals;
  }
  const devices: Record<string, unknown> = {};
  for (const d of m.bus.devices) if (d.save) devices[d.name] = d.save();
  const romBytes = c.get32(L.GUEST_ROM_BYTES);
  const header: Header = {
    version: SAVE_VERSION,
    ramBytes: m.ramBytes,
    romBytes,
    fields,
    ioBitmap: toBase64(c.u8.subarray(L.IO_BITMAP_BASE, L.IO_BITMAP_BASE + L.IO_BITMAP_SIZE)),
    devices,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const romSize = Math.ceil(romBytes / 4096) * 4096;
  const out = new Uint8Array(12 + json.length + m.ramBytes + romSize);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, SAVE_VERSION, true);
  dv.setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(c.u8.subarray(L.RAM_BASE, L.RAM_BASE + m.ramBytes), 12 + json.length);
  out.set(c.u8.subarray(L.ROM_BASE, L.ROM_BASE + romSize), 12 + json.length + m.ramBytes);
  return out;
}

export function loadState(m: Machine, bytes: Uint8Array): void {
  const c = m.core;
  if (bytes.length < 12) throw new Error('save state: truncated');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw new Error('save state: not a wasmvisor save state');
  const version = dv.getUint32(4, true);
  if (version !== SAVE_VERSION) throw new Error(`save state: version ${version}, this build reads ${SAVE_VERSION}`);
  const hlen = dv.getUint32(8, true);
  if (12 + hlen > bytes.length) throw new Error('save state: truncated header');
  let h: Header;
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as Header;
  } catch {
    throw new Error('save state: corrupt header');
  }
  if (h.ramBytes !== m.ramBytes) throw new Error(`save state: ${h.ramBytes} bytes of RAM, this machine has ${m.ramBytes}`);
  const romSize = Math.ceil(h.romBytes / 4096) * 4096;
  if (12 + hlen + h.ramBytes + romSize !== bytes.length) throw new Error('save state: wrong length');
  for (const f of L.FIELDS) {
    const vals = h.fields[f.name];
    if (!vals || vals.length !== f.count) throw new Error(`save state: field ${f.name} missing or malformed`);
    for (let i = 0; i < f.count; i++) {
      if (f.type === 'u64') c.set64(f.offset + 8 * i, BigInt(vals[i]!));
      else c.set32(f.offset + 4 * i, Number(vals[i]));
    }
  }
  c.u8.set(fromBase64(h.ioBitmap), L.IO_BITMAP_BASE);
  c.u8.set(bytes.subarray(12 + hlen, 12 + hlen + h.ramBytes), L.RAM_BASE);
  c.u8.set(bytes.subarray(12 + hlen + h.ramBytes), L.ROM_BASE);
  for (const d of m.bus.devices) {
    const s = h.devices[d.name];
    if (s !== undefined && d.load) d.load(s as Record<string, unknown>);
  }
  c.exports.stateChanged();
  m.timersChanged(); // the devices' deadlines are those of the state now: ask them again
}
