/**
 * A raw disk image as the ATA drive's backing store: 512-byte sectors over a base Uint8Array
 * that is never modified, with a copy-on-write overlay of the sectors the guest wrote.
 *
 * - The base must be a whole number of sectors; anything else is an error at creation (a
 *   truncated download or the wrong file is more likely than a disk that needs padding).
 * - `sectors` may exceed the base (a sparse disk: sectors past the base read as zeros); the
 *   tests use this for disks larger than a Uint8Array can hold.
 * - Writes go to the overlay, so the base stays the image the user gave (QEMU's -snapshot);
 *   `changed()` lists the written sectors for a caller that writes them back (the CLI's
 *   --write-disk), and the overlay is what a save state records of the disk (the base is not
 *   saved: a state is restored over the same image).
 */
import { fromBase64, toBase64 } from '../base64.js';

export const SECTOR = 512;

export class DiskImage {
  readonly sectors: number;
  private overlay = new Map<number, Uint8Array>();

  constructor(readonly base: Uint8Array, sectors?: number) {
    if (base.length % SECTOR !== 0) {
      throw new Error(`disk image of ${base.length} bytes: not a whole number of ${SECTOR}-byte sectors (${base.length % SECTOR} bytes over)`);
    }
    this.sectors = sectors ?? base.length / SECTOR;
    if (this.sectors < 1) throw new Error('disk image is empty');
    if (this.sectors * SECTOR < base.length) throw new Error('disk image: fewer sectors than the base holds');
    if (this.sectors >= 2 ** 48) throw new Error('disk image: more than 2^48 sectors');
  }

  /** Copies sector `lba` into dst at `off`. */
  read(lba: number, dst: Uint8Array, off = 0): void {
    const o = this.overlay.get(lba);
    if (o) {
      dst.set(o, off);
      return;
    }
    const start = lba * SECTOR;
    if (start + SECTOR <= this.base.length) dst.set(this.base.subarray(start, start + SECTOR), off);
    else dst.fill(0, off, off + SECTOR);
  }

  /** Writes sector `lba` from src at `off` (into the overlay). */
  write(lba: number, src: Uint8Array, off = 0): void {
    this.overlay.set(lba, src.slice(off, off + SECTOR));
  }

  /** The sectors written since creation (or since the loaded state), ascending. */
  changed(): number[] {
    return [...this.overlay.keys()].sort((a, b) => a - b);
  }

  /** The whole image as the guest sees it now (base plus overlay), sized to `sectors`. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.sectors * SECTOR);
    out.set(this.base);
    for (const [lba, s] of this.overlay) out.set(s, lba * SECTOR);
    return out;
  }

  save(): Record<string, unknown> {
    const written: Record<string, string> = {};
    for (const lba of this.changed()) written[lba] = toBase64(this.overlay.get(lba)!);
    return { sectors: this.sectors, written };
  }

  load(s: Record<string, unknown>): void {
    if (s.sectors !== this.sectors) throw new Error(`disk: save state is of a ${String(s.sectors)}-sector disk, this one has ${this.sectors}`);
    const w = s.written;
    if (typeof w !== 'object' || w === null) throw new Error('disk: save state field written missing');
    const overlay = new Map<number, Uint8Array>();
    for (const [k, v] of Object.entries(w as Record<string, unknown>)) {
      const bytes = typeof v === 'string' ? fromBase64(v) : undefined;
      if (!bytes || bytes.length !== SECTOR) throw new Error(`disk: save state sector ${k} malformed`);
      overlay.set(Number(k), bytes);
    }
    this.overlay = overlay;
  }
}
