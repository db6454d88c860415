// Port I/O. A port whose bit is set in the I/O bitmap exits to the host (IO_INSTRUCTION, 30)
// with the qualification of SDM Vol. 3C table 28-5: bits 2:0 size-1, bit 3 direction (1 = IN),
// bit 4 string, bit 5 REP, bit 6 operand (1 = immediate), bits 31:16 port.
// The exiting instruction has not retired; the host handles the access (for IN it writes
// EXIT_DATA) and sets EXIT_PENDING = replay; the next run() executes the instruction again,
// and the access that matches the qualification completes with the host's data.
// Ports not in the bitmap belong to devices in the core (the PICs); others float high.
//
// Buffered I/O (the fast path of Xen's buffered ioreq page): before each entry the host lists in
// BUFIO_PORTS the exiting ports whose device needs no synchronous emulation until the next exit:
// byte writes that can wait (a UART's THR while it raises no interrupt for it: they queue in
// BUFIO_RING and the host drains them, in order, before it handles the next exit) and byte reads
// whose value cannot change before then (that UART's LSR: the shadow value). A full queue, or any
// other access, exits as usual. The first queued write lowers HOST_DEADLINE to BUFIO_FLUSH_NS
// ahead, so output reaches the host promptly. Guest-visible behaviour is unchanged: only exits go.
// A read stream (BUFIO_STREAM_PORT): the host also puts in BUFIO_STREAM the bytes the next reads
// of one port will return while nothing else touches its device (an ATA drive's DRQ block), and
// reads of that port take them in order (REP INSW without an exit per word). The first read ends
// the slice at the next boundary, so the host applies the reads to the device (its status and
// interrupt move on) right after the instruction that made them.
import {
  IO_BITMAP_BASE, EXIT_QUAL, EXIT_DATA, EXIT_PENDING, EXIT_GUEST_LINEAR, BUFIO_PORTS, BUFIO_COUNT,
  BUFIO_FLUSH_NS, BUFIO_RING, BUFIO_WRITES, BUFIO_READS, HOST_DEADLINE,
  BUFIO_STREAM_PORT, BUFIO_STREAM_LEN, BUFIO_STREAM_POS, BUFIO_STREAM_BASE,
} from '../gen/layout';
import { requestExit } from './fault';
import { picOwns, picRead, picWrite } from '../devices/pic';
import { pitOwns, pitRead, pitWrite } from '../devices/pit';
import { guestNs, clampToTimer } from './exec';
import { fpuPortF0 } from '../fpu/state';

export const EXIT_IO: u32 = 30;
export let ioQualExtra: u32 = 0; // string/REP/immediate bits of the current instruction
export let ioLinear: u32 = 0;
export function setIoContext(extra: u32, lin: u32): void { ioQualExtra = extra; ioLinear = lin; }

@inline function exits(port: u32): bool {
  return ((load<u8>(IO_BITMAP_BASE + (port >> 3)) >> (port & 7)) & 1) != 0;
}

function qual(port: u32, size: u32, isIn: bool): u32 {
  return (size - 1) | (isIn ? 8 : 0) | ioQualExtra | (port << 16);
}

// the replayed instruction's access: consume the host's completion
function completes(q: u32): bool {
  if (load<u32>(EXIT_PENDING) == 1 && load<u32>(EXIT_QUAL) == q) {
    store<u32>(EXIT_PENDING, 0);
    return true;
  }
  return false;
}

const BUFIO_PORTS_COUNT: u32 = 8; // the layout's BUFIO_PORTS and BUFIO_RING counts
const BUFIO_RING_COUNT: u32 = 64;
const BUF_WRITE: u32 = 1 << 16;
const BUF_READ: u32 = 1 << 17;
const STREAM_ON: u32 = 1 << 16; // BUFIO_STREAM_PORT: the stream is armed for the port in bits 15:0

// the BUFIO_PORTS entry of a port, or 0
function bufEntry(port: u32): u32 {
  for (let i: u32 = 0; i < BUFIO_PORTS_COUNT; i++) {
    const e = load<u32>(BUFIO_PORTS + (i << 2));
    if ((e & (BUF_WRITE | BUF_READ)) == 0) return 0;
    if ((e & 0xffff) == port) return e;
  }
  return 0;
}

// queues a byte write; false when it must exit (not a fast port, or the queue is full)
function bufferedOut(port: u32, v: u32): bool {
  if (!(bufEntry(port) & BUF_WRITE)) return false;
  const n = load<u32>(BUFIO_COUNT);
  if (n >= BUFIO_RING_COUNT) return false;
  store<u32>(BUFIO_RING + (n << 2), (port << 16) | (v & 0xff));
  store<u32>(BUFIO_COUNT, n + 1);
  store<u64>(BUFIO_WRITES, load<u64>(BUFIO_WRITES) + 1);
  if (n == 0) {
    const at = guestNs() + <u64>load<u32>(BUFIO_FLUSH_NS);
    if (at < load<u64>(HOST_DEADLINE)) {
      store<u64>(HOST_DEADLINE, at);
      clampToTimer();
    }
  }
  return true;
}

export function ioIn(port: u32, size: u32): u32 {
  port &= 0xffff;
  const m: u32 = size == 4 ? 0xffffffff : (1 << (size << 3)) - 1;
  if (!exits(port)) return coreIn(port, size) & m;
  const q = qual(port, size, true);
  if (completes(q)) return load<u32>(EXIT_DATA) & m;
  if (load<u32>(BUFIO_STREAM_PORT) == (port | STREAM_ON)) {
    const pos = load<u32>(BUFIO_STREAM_POS);
    if (pos + size <= load<u32>(BUFIO_STREAM_LEN)) {
      const v = size == 4 ? load<u32>(BUFIO_STREAM_BASE + pos) : size == 2 ? <u32>load<u16>(BUFIO_STREAM_BASE + pos) : <u32>load<u8>(BUFIO_STREAM_BASE + pos);
      store<u32>(BUFIO_STREAM_POS, pos + size);
      if (pos == 0) {
        const at = guestNs() + 1;
        if (at < load<u64>(HOST_DEADLINE)) {
          store<u64>(HOST_DEADLINE, at);
          clampToTimer();
        }
      }
      return v;
    }
  }
  if (size == 1) {
    const e = bufEntry(port);
    if (e & BUF_READ) {
      store<u64>(BUFIO_READS, load<u64>(BUFIO_READS) + 1);
      return e >>> 24;
    }
  }
  store<u32>(EXIT_QUAL, q);
  store<u32>(EXIT_GUEST_LINEAR, ioLinear);
  store<u32>(EXIT_DATA, 0);
  requestExit(EXIT_IO);
  return 0;
}

export function ioOut(port: u32, size: u32, v: u32): void {
  port &= 0xffff;
  if (!exits(port)) { coreOut(port, size, v); return; }
  const q = qual(port, size, false);
  if (completes(q)) return;
  if (size == 1 && bufferedOut(port, v)) return;
  const m: u32 = size == 4 ? 0xffffffff : (1 << (size << 3)) - 1;
  store<u32>(EXIT_QUAL, q);
  store<u32>(EXIT_GUEST_LINEAR, ioLinear);
  store<u32>(EXIT_DATA, v & m);
  requestExit(EXIT_IO);
}

// the core's own devices, byte by byte (an 8259A decodes one address line: bytes only)
function coreIn(port: u32, size: u32): u32 {
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const p = (port + i) & 0xffff;
    v |= (picOwns(p) ? picRead(p) : pitOwns(p) ? pitRead(p, guestNs()) : 0xff) << (i << 3);
  }
  return v;
}
function coreOut(port: u32, size: u32, v: u32): void {
  for (let i: u32 = 0; i < size; i++) {
    const p = (port + i) & 0xffff;
    if (picOwns(p)) picWrite(p, (v >> (i << 3)) & 0xff);
    else if (pitOwns(p)) pitWrite(p, (v >> (i << 3)) & 0xff, guestNs());
    else if (p == 0xf0) fpuPortF0(); // the PC's coprocessor-error latch (FERR#/IGNNE#)
  }
}
