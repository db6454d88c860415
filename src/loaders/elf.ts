/**
 * ELF32 little-endian executables, as far as kernel loaders need them: the file header, the
 * program headers, PT_LOAD segments (placed at their physical addresses p_paddr, with memsz >
 * filesz zero-filled) and the notes in PT_NOTE segments. Follows the System V ABI (gABI) "ELF
 * Header", "Program Header" and "Note Section" chapters and the i386 psABI (EM_386).
 * ELF64 and big-endian files are recognised and rejected with a clear message.
 */
import { LeReader, LoaderError, hex, type PlanWrite } from './plan.js';

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46]; // "\x7fELF"
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ET_EXEC = 2;
export const EM_386 = 3;
export const PT_LOAD = 1;
export const PT_NOTE = 4;

export interface ElfSegment {
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
  align: number;
}

export interface Elf32 {
  type: number;
  machine: number;
  entry: number;
  segments: ElfSegment[];
}

export interface ElfNote {
  name: string;
  type: number;
  desc: Uint8Array;
}

export function isElf(file: Uint8Array): boolean {
  return file.length >= 4 && ELF_MAGIC.every((b, i) => file[i] === b);
}

/** ELF class byte (1 = 32-bit, 2 = 64-bit), or undefined when not an ELF file. */
export function elfClass(file: Uint8Array): number | undefined {
  return isElf(file) && file.length > 4 ? file[4] : undefined;
}

/** Parses an ELF32 little-endian i386 executable's header and program headers. */
export function parseElf32(file: Uint8Array, what = 'ELF kernel'): Elf32 {
  if (!isElf(file)) throw new LoaderError(`not an ELF file: no \\x7FELF magic`);
  if (file.length < 52) throw new LoaderError(`truncated ${what}: ${file.length} bytes, an ELF32 header is 52`);
  const cls = file[4];
  if (cls === ELFCLASS64) {
    throw new LoaderError(`${what} is a 64-bit ELF (ELFCLASS64); only 32-bit (i386) ELF kernels are supported`);
  }
  if (cls !== ELFCLASS32) throw new LoaderError(`${what} has an unknown ELF class ${cls}`);
  if (file[5] !== ELFDATA2LSB) throw new LoaderError(`${what} is not little-endian (EI_DATA ${file[5]})`);
  const r = new LeReader(file, what);
  const type = r.u16(16);
  const machine = r.u16(18);
  if (machine !== EM_386) throw new LoaderError(`${what} is for machine ${machine}, not i386 (EM_386 = 3)`);
  if (type !== ET_EXEC) throw new LoaderError(`${what} is not an executable (e_type ${type}, expected ET_EXEC = 2)`);
  const entry = r.u32(24);
  const phoff = r.u32(28);
  const phentsize = r.u16(42);
  const phnum = r.u16(44);
  if (phnum === 0) throw new LoaderError(`${what} has no program headers`);
  if (phentsize < 32) throw new LoaderError(`${what} has program headers of ${phentsize} bytes (ELF32 needs 32)`);
  if (phoff + phnum * phentsize > file.length) {
    throw new LoaderError(`truncated ${what}: program headers end at ${hex(phoff + phnum * phentsize)}, file has ${file.length} bytes`);
  }
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const seg: ElfSegment = {
      type: r.u32(o),
      offset: r.u32(o + 4),
      vaddr: r.u32(o + 8),
      paddr: r.u32(o + 12),
      filesz: r.u32(o + 16),
      memsz: r.u32(o + 20),
      flags: r.u32(o + 24),
      align: r.u32(o + 28),
    };
    if (seg.type === PT_LOAD || seg.type === PT_NOTE) {
      if (seg.offset + seg.filesz > file.length) {
        throw new LoaderError(
          `truncated ${what}: segment ${i} needs file bytes ${hex(seg.offset)}-${hex(seg.offset + seg.filesz - 1)}, file has ${file.length} bytes`,
        );
      }
    }
    if (seg.type === PT_LOAD) {
      if (seg.filesz > seg.memsz) throw new LoaderError(`${what}: segment ${i} has filesz ${hex(seg.filesz)} > memsz ${hex(seg.memsz)}`);
      if (seg.paddr + seg.memsz > 0x100000000) {
        throw new LoaderError(`${what}: segment ${i} at ${hex(seg.paddr)} (+${hex(seg.memsz)}) runs past 4 GiB`);
      }
    }
    segments.push(seg);
  }
  return { type, machine, entry, segments };
}

/** The notes of all PT_NOTE segments (each note: namesz, descsz, type, then the name and the
 * descriptor, each padded to 4 bytes). */
export function elfNotes(file: Uint8Array, elf: Elf32, what = 'ELF kernel'): ElfNote[] {
  const notes: ElfNote[] = [];
  const r = new LeReader(file, what);
  const dec = new TextDecoder('latin1');
  for (const seg of elf.segments) {
    if (seg.type !== PT_NOTE) continue;
    let p = seg.offset;
    const end = seg.offset + seg.filesz;
    while (p + 12 <= end) {
      const namesz = r.u32(p);
      const descsz = r.u32(p + 4);
      const type = r.u32(p + 8);
      const nameOff = p + 12;
      const descOff = nameOff + ((namesz + 3) & ~3);
      const next = descOff + ((descsz + 3) & ~3);
      if (next > end) throw new LoaderError(`${what}: a note at file offset ${hex(p)} runs past its PT_NOTE segment`);
      let name = dec.decode(file.subarray(nameOff, nameOff + namesz));
      if (name.endsWith('\0')) name = name.slice(0, -1);
      notes.push({ name, type, desc: file.subarray(descOff, descOff + descsz) });
      p = next;
    }
  }
  return notes;
}

export interface LoadedSegments {
  writes: PlanWrite[];
  /** Lowest and one-past-highest physical addresses the segments occupy (memsz included). */
  low: number;
  high: number;
}

/** The memory writes that place every PT_LOAD segment at p_paddr (memsz beyond filesz zeroed). */
export function loadSegments(file: Uint8Array, elf: Elf32, what = 'kernel'): LoadedSegments {
  const writes: PlanWrite[] = [];
  let low = Infinity;
  let high = 0;
  elf.segments.forEach((s, i) => {
    if (s.type !== PT_LOAD || s.memsz === 0) return;
    if (s.filesz > 0) {
      writes.push({ addr: s.paddr, bytes: file.subarray(s.offset, s.offset + s.filesz), what: `${what} segment ${i}` });
    }
    if (s.memsz > s.filesz) {
      writes.push({ addr: s.paddr + s.filesz, bytes: new Uint8Array(s.memsz - s.filesz), what: `${what} segment ${i} bss` });
    }
    low = Math.min(low, s.paddr);
    high = Math.max(high, s.paddr + s.memsz);
  });
  if (writes.length === 0) throw new LoaderError(`${what} has no loadable (PT_LOAD) segments`);
  return { writes, low, high };
}
