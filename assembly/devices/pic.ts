// The two cascaded 8259A programmable interrupt controllers of the PC (Intel 8259A datasheet;
// ELCR from the 82371SB PIIX3 datasheet), in the core: no exit per access or per interrupt.
// Ports 20h/21h (master), A0h/A1h (slave, on master IR2), 4D0h/4D1h (edge/level control).
// Modelled: ICW1-ICW4, OCW1-OCW3, edge and level triggering (ICW1.LTIM or ELCR), fully nested
// priority with rotation (automatic, on EOI, set priority), specific and non-specific EOI,
// auto-EOI with optional rotation, special mask mode, poll mode, IRR/ISR reads, spurious IRQ 7/15.
// Not modelled: special fully nested mode (ICW4.SFNM), buffered mode, 8080 mode.
import { PIC, PIC_ENABLED, INTR_LINE } from '../gen/layout';

// register slots per chip (chip c at PIC + c * 64)
const IRR: u32 = 0;
const ISR: u32 = 1;
const IMR: u32 = 2;
const BASE: u32 = 3; // ICW2: vector base
const STEP: u32 = 4; // initialization: 0 done, 2 expect ICW2, 3 ICW3, 4 ICW4
const ICW1: u32 = 5;
const ICW4: u32 = 6;
const READ_ISR: u32 = 7; // OCW3 RIS
const LOWEST: u32 = 8; // the lowest-priority level (7 after init: IR0 highest)
const SMM: u32 = 9; // special mask mode
const POLL: u32 = 10; // the next read of the command port is a poll
const ROTATE_AEOI: u32 = 11;
const ELCR: u32 = 12; // level-triggered inputs
const LEVELS: u32 = 13; // the input lines as driven
const ICW3: u32 = 14;

@inline function slot(c: u32, r: u32): u32 { return PIC + (c << 6) + (r << 2); }
@inline function get(c: u32, r: u32): u32 { return load<u32>(slot(c, r)); }
@inline function put(c: u32, r: u32, v: u32): void { store<u32>(slot(c, r), v); }

export function picReset(): void {
  for (let c: u32 = 0; c < 2; c++) {
    for (let r: u32 = 0; r < 16; r++) put(c, r, 0);
    put(c, LOWEST, 7);
  }
}

// priority order: the level after LOWEST is the highest
@inline function prio(c: u32, level: u32): u32 { return (level - get(c, LOWEST) - 1) & 7; }

// the highest-priority level whose bit is set in bits, or 8
function highest(c: u32, bits: u32): u32 {
  if (!bits) return 8;
  let best: u32 = 8;
  let bp: u32 = 8;
  for (let l: u32 = 0; l < 8; l++) {
    if ((bits >> l) & 1) {
      const p = prio(c, l);
      if (p < bp) { bp = p; best = l; }
    }
  }
  return best;
}

@inline function cascaded(): bool { return (get(0, ICW1) & 2) == 0; }

// the request this chip presents to its output, or 8
function pending(c: u32): u32 {
  let irr = get(c, IRR) & ~get(c, IMR);
  if (c == 0 && cascaded() && pending(1) != 8 && !(get(0, IMR) & 4)) irr |= 4; // the slave's INT on IR2
  const l = highest(c, irr);
  if (l == 8) return 8;
  // fully nested: a level in service blocks itself and lower levels; in special mask mode
  // only unmasked in-service levels block
  const isr = get(c, SMM) ? get(c, ISR) & ~get(c, IMR) : get(c, ISR);
  const s = highest(c, isr);
  if (s != 8 && prio(c, s) <= prio(c, l)) return 8;
  return l;
}

// recomputes the CPU's INTR input. PIC_ENABLED = 2: the PICs are in the core (ports, state)
// but their INTR output is disconnected; the host injects every external interrupt (the
// lockstep diff, where they come from the reference: src/trace/record.ts)
export function picUpdate(): void {
  if (load<u32>(PIC_ENABLED) != 1) return;
  store<u32>(INTR_LINE, pending(0) != 8 ? 1 : 0);
}

// an IRQ line (0-15) driven to level
export function picSetIrq(irq: u32, level: bool): void {
  const c = (irq >> 3) & 1;
  const b: u32 = 1 << (irq & 7);
  const old = get(c, LEVELS);
  const rising = !(old & b) && level;
  put(c, LEVELS, level ? old | b : old & ~b);
  const lt = (get(c, ICW1) & 8) != 0 || (get(c, ELCR) & b) != 0;
  if (lt) put(c, IRR, level ? get(c, IRR) | b : get(c, IRR) & ~b);
  else if (rising) put(c, IRR, get(c, IRR) | b);
  picUpdate();
}

// the acknowledge on chip c: ISR set (unless auto-EOI), IRR cleared for an edge; the vector
function ack(c: u32): u32 {
  const l = pending(c);
  if (l == 8) return get(c, BASE) | 7; // spurious: IR7 and no ISR bit
  const b: u32 = 1 << l;
  const slave = c == 0 && l == 2 && cascaded() && (get(0, IRR) & ~get(0, IMR) & 4) == 0;
  const lt = (get(c, ICW1) & 8) != 0 || (get(c, ELCR) & b) != 0;
  if (!lt && !slave) put(c, IRR, get(c, IRR) & ~b);
  if (!(get(c, ICW4) & 2)) put(c, ISR, get(c, ISR) | b);
  else if (get(c, ROTATE_AEOI)) put(c, LOWEST, l);
  if (slave || (c == 0 && l == 2 && cascaded())) return ack(1); // the slave supplies the vector
  return get(c, BASE) | l;
}

// the CPU's interrupt-acknowledge cycle
export function picAck(): u32 {
  const v = ack(0);
  picUpdate();
  return v;
}

export function picOwns(port: u32): bool {
  if (!load<u32>(PIC_ENABLED)) return false;
  return port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 || port == 0x4d0 || port == 0x4d1;
}

export function picRead(port: u32): u32 {
  if (port == 0x4d0 || port == 0x4d1) return get(port - 0x4d0, ELCR);
  const c: u32 = port >= 0xa0 ? 1 : 0;
  if (port & 1) return get(c, IMR);
  if (get(c, POLL)) {
    // poll: the highest request, acknowledged as by INTA (bit 7 set when there is one)
    put(c, POLL, 0);
    if (pending(c) == 8) return 0;
    const v = ack(c) & 7;
    picUpdate();
    return 0x80 | v;
  }
  return get(c, READ_ISR) ? get(c, ISR) : get(c, IRR);
}

export function picWrite(port: u32, v: u32): void {
  v &= 0xff;
  if (port == 0x4d0) { put(0, ELCR, v & 0xf8); picUpdate(); return; } // IRQ 0-2 are edge-only
  if (port == 0x4d1) { put(1, ELCR, v & 0xde); picUpdate(); return; } // IRQ 8 and 13 are edge-only
  const c: u32 = port >= 0xa0 ? 1 : 0;
  if (!(port & 1)) {
    if (v & 0x10) {
      // ICW1: initialization starts; mask, in-service and priority are cleared
      put(c, ICW1, v);
      put(c, STEP, 2);
      put(c, IMR, 0);
      put(c, ISR, 0);
      put(c, IRR, (v & 8) ? get(c, LEVELS) : 0); // edge detection starts again
      put(c, LOWEST, 7);
      put(c, SMM, 0);
      put(c, READ_ISR, 0);
      put(c, ROTATE_AEOI, 0);
      if (!(v & 1)) put(c, ICW4, 0);
    } else if (v & 0x08) {
      // OCW3
      if (v & 0x40) put(c, SMM, (v >> 5) & 1);
      if (v & 0x04) put(c, POLL, 1);
      if (v & 0x02) put(c, READ_ISR, v & 1);
    } else {
      ocw2(c, v);
    }
  } else {
    const step = get(c, STEP);
    if (step == 2) {
      put(c, BASE, v & 0xf8);
      put(c, STEP, (get(c, ICW1) & 2) ? ((get(c, ICW1) & 1) ? 4 : 0) : 3);
    } else if (step == 3) {
      put(c, ICW3, v);
      put(c, STEP, (get(c, ICW1) & 1) ? 4 : 0);
    } else if (step == 4) {
      put(c, ICW4, v);
      put(c, STEP, 0);
    } else {
      put(c, IMR, v); // OCW1
    }
  }
  picUpdate();
}

// OCW2: EOI and priority commands (bits 7-5: R SL EOI; bits 2-0: the level)
function ocw2(c: u32, v: u32): void {
  const cmd = v >> 5;
  const l = v & 7;
  switch (cmd) {
    case 1: case 5: { // non-specific EOI (5: and rotate)
      const s = highest(c, get(c, ISR));
      if (s == 8) return;
      put(c, ISR, get(c, ISR) & ~(1 << s));
      if (cmd == 5) put(c, LOWEST, s);
      return;
    }
    case 3: case 7: // specific EOI (7: and rotate)
      put(c, ISR, get(c, ISR) & ~(1 << l));
      if (cmd == 7) put(c, LOWEST, l);
      return;
    case 4: put(c, ROTATE_AEOI, 1); return;
    case 0: put(c, ROTATE_AEOI, 0); return;
    case 6: put(c, LOWEST, l); return; // set priority
  }
}
