// The 8254 programmable interval timer (Intel 8254 datasheet) and port 61h (PC AT system control
// port B: timer 2 gate, speaker data, refresh toggle, timer 2 output), in the core.
// Counters are not stepped: the count and OUT of a channel follow from the ticks elapsed since its
// count was loaded (1.193182 MHz from guest time: deterministic mode runs on the instruction
// counter plus the time spent halted). Channel 0's OUT rising edges raise IRQ 0 on the in-core PIC
// at the exact guest time (the run loop stops its slice there).
// Modes 0-5, binary and BCD, lo/hi/lo-hi access, counter latch, read-back (count and status).
// Deviation: in mode 3 the count read back is the period position, not the 2-step count.
import { PIT, PIT_START, PIT_ENABLED, PIT_PORT61 } from '../gen/layout';
import { picSetIrq } from './pic';

const HZ: u64 = 1193182;
// channel registers
const MODE: u32 = 0;
const ACCESS: u32 = 1; // 1 lo, 2 hi, 3 lo then hi
const BCD: u32 = 2;
const RELOAD: u32 = 3; // the count written (0 means 65536, or 10000 in BCD)
const RUNNING: u32 = 4; // counting (modes 1 and 5 wait for a gate trigger)
const GATE: u32 = 5;
const LATCHED: u32 = 6; // 0 none, 1 lo pending then hi (lo-hi), 2 one byte pending
const LATCH: u32 = 7;
const READ_HI: u32 = 8; // the next read returns the high byte (lo-hi access)
const WRITE_HI: u32 = 9; // the next write is the high byte
const WRITE_LO: u32 = 10; // the low byte written so far
const STATUS: u32 = 11; // a latched status byte, or 0x100 | status when pending
const NULL_COUNT: u32 = 12;
const LAST_OUT: u32 = 13; // channel 0: OUT at the last service (edge detection)
const LAST_SEEN: u32 = 14; // channel 0: ticks since the load at the last service

@inline function slot(c: u32, r: u32): u32 { return PIT + (c << 6) + (r << 2); }
@inline function get(c: u32, r: u32): u32 { return load<u32>(slot(c, r)); }
@inline function put(c: u32, r: u32, v: u32): void { store<u32>(slot(c, r), v); }
@inline function start(c: u32): u64 { return load<u64>(PIT_START + (c << 3)); }
@inline function setStart(c: u32, t: u64): void { store<u64>(PIT_START + (c << 3), t); }

// PIT ticks at guest time ns
@inline export function ticksAt(ns: u64): u64 { return (ns / 1000000000) * HZ + ((ns % 1000000000) * HZ) / 1000000000; }
// the guest time (ns) at which tick t begins
@inline function nsAtTick(t: u64): u64 { return (t / HZ) * 1000000000 + ((t % HZ) * 1000000000 + HZ - 1) / HZ; }

export function pitReset(): void {
  for (let c: u32 = 0; c < 3; c++) {
    for (let r: u32 = 0; r < 16; r++) put(c, r, 0);
    setStart(c, 0);
    put(c, GATE, c == 2 ? 0 : 1);
    put(c, LAST_OUT, 0);
  }
  store<u32>(PIT_PORT61, 0);
}

// ticks counted since the load (0 before the first tick after the write)
@inline function elapsed(c: u32, t: u64): u64 { const s = start(c); return t > s ? t - s : 0; }

@inline function period(c: u32): u64 {
  const n = get(c, RELOAD);
  if (n != 0) return <u64>n;
  return get(c, BCD) ? 10000 : 65536;
}

// OUT of channel c at tick t
function outAt(c: u32, t: u64): bool {
  const mode = get(c, MODE);
  if (!get(c, RUNNING)) return mode != 0; // mode 0 starts low, the others high
  const n = period(c);
  const e = elapsed(c, t);
  switch (mode) {
    case 0: case 1: return e >= n;
    case 2: return e % n != n - 1;
    case 3: return e % n < (n + 1) / 2;
    default: return e != n; // 4, 5: a one-tick low pulse at terminal count
  }
}

// the count of channel c at tick t
function countAt(c: u32, t: u64): u32 {
  if (!get(c, RUNNING)) return get(c, RELOAD);
  const n = period(c);
  const e = elapsed(c, t);
  const mode = get(c, MODE);
  let v: u64;
  if (mode == 2 || mode == 3) v = n - e % n;
  else v = (n - e) & (get(c, BCD) ? 0xffffffffffffffff : 0xffff);
  if (get(c, BCD)) { const x = <u32>(v % 10000); return ((x / 1000) << 12) | (((x / 100) % 10) << 8) | (((x / 10) % 10) << 4) | (x % 10); }
  return <u32>v & 0xffff;
}

// the tick at which channel 0's OUT next rises after tick t, or u64.MAX_VALUE
function nextRise(t: u64): u64 {
  if (!get(0, RUNNING)) return u64.MAX_VALUE;
  const n = period(0);
  const s = start(0);
  const e = elapsed(0, t);
  switch (get(0, MODE)) {
    case 0: case 1: return e < n ? s + n : u64.MAX_VALUE;
    case 2: return s + (e / n + 1) * n; // OUT goes high again at each period start
    case 3: return s + (e / n + 1) * n;
    default: return e <= n ? s + n + 1 : u64.MAX_VALUE;
  }
}

// the guest time (ns) of the next IRQ 0 edge after now, or u64.MAX_VALUE
export function pitNextEvent(nowNs: u64): u64 {
  if (!load<u32>(PIT_ENABLED)) return u64.MAX_VALUE;
  const r = nextRise(ticksAt(nowNs));
  return r == u64.MAX_VALUE ? r : nsAtTick(r);
}

// brings IRQ 0 up to date at guest time now: a rising edge of OUT 0 since the last service
export function pitService(nowNs: u64): void {
  if (!load<u32>(PIT_ENABLED)) return;
  const t = ticksAt(nowNs);
  const out = outAt(0, t);
  const was = get(0, LAST_OUT) != 0;
  // a periodic channel may have risen and fallen since the last look: compare periods too
  const rose = (out && !was) || risenSince(t);
  put(0, LAST_OUT, out ? 1 : 0);
  put(0, LAST_SEEN, <u32>elapsed(0, t)); // where we looked (periods elapsed)
  if (rose) { picSetIrq(0, false); picSetIrq(0, true); }
  else picSetIrq(0, out);
}

// for modes 2 and 3: a period boundary passed since the last service
function risenSince(t: u64): bool {
  const mode = get(0, MODE);
  if (!get(0, RUNNING) || (mode != 2 && mode != 3)) return false;
  const n = period(0);
  const last = <u64>get(0, LAST_SEEN);
  return elapsed(0, t) / n > last / n;
}

export function pitOwns(port: u32): bool {
  return load<u32>(PIT_ENABLED) != 0 && ((port >= 0x40 && port <= 0x43) || port == 0x61);
}

export function pitRead(port: u32, nowNs: u64): u32 {
  const t = ticksAt(nowNs);
  if (port == 0x61) {
    // bit 4 toggles with the DRAM refresh (every 15.085 us), bit 5 is timer 2's OUT
    const refresh: u32 = <u32>((nowNs / 15085) & 1) << 4;
    return (load<u32>(PIT_PORT61) & 3) | refresh | (outAt(2, t) ? 0x20 : 0);
  }
  if (port == 0x43) return 0xff; // the control word register cannot be read
  const c = port - 0x40;
  const st = get(c, STATUS);
  if (st & 0x100) { put(c, STATUS, 0); return st & 0xff; }
  let v: u32;
  if (get(c, LATCHED)) v = get(c, LATCH);
  else v = countAt(c, t);
  const access = get(c, ACCESS);
  let b: u32;
  if (access == 1) b = v & 0xff;
  else if (access == 2) b = (v >> 8) & 0xff;
  else {
    b = get(c, READ_HI) ? (v >> 8) & 0xff : v & 0xff;
    put(c, READ_HI, get(c, READ_HI) ^ 1);
    if (get(c, READ_HI)) return b; // the latch holds until both bytes are read
  }
  put(c, LATCHED, 0);
  return b;
}

export function pitWrite(port: u32, v: u32, nowNs: u64): void {
  const t = ticksAt(nowNs);
  v &= 0xff;
  if (port == 0x61) {
    const old = load<u32>(PIT_PORT61);
    store<u32>(PIT_PORT61, v & 3);
    gate(2, (v & 1) != 0, (old & 1) == 0, t);
    return;
  }
  if (port == 0x43) { control(v, t); pitService(nowNs); return; }
  const c = port - 0x40;
  const access = get(c, ACCESS);
  let count: u32;
  if (access == 1) count = v;
  else if (access == 2) count = v << 8;
  else if (!get(c, WRITE_HI)) { put(c, WRITE_LO, v); put(c, WRITE_HI, 1); if (get(c, MODE) == 0) put(c, RUNNING, 0); return; }
  else { count = get(c, WRITE_LO) | (v << 8); put(c, WRITE_HI, 0); }
  if (get(c, BCD)) count = (count >> 12) * 1000 + ((count >> 8) & 15) * 100 + ((count >> 4) & 15) * 10 + (count & 15);
  const mode = get(c, MODE);
  put(c, RELOAD, count);
  put(c, NULL_COUNT, 0);
  // modes 0, 2, 3 and 4 start counting on the write (deviation: a running mode 2/3 counter takes
  // the new count now rather than at the end of its period); 1 and 5 wait for a gate trigger
  if ((mode == 0 || mode == 2 || mode == 3 || mode == 4) && get(c, GATE)) {
    setStart(c, t + 1);
    put(c, RUNNING, 1);
  }
  if (c == 0) { put(0, LAST_OUT, outAt(0, t) ? 1 : 0); put(0, LAST_SEEN, 0); pitService(nowNs); }
}

function control(v: u32, t: u64): void {
  const sc = v >> 6;
  if (sc == 3) {
    // read-back: bit 5 clear latches counts, bit 4 clear latches status, bits 1-3 select
    for (let c: u32 = 0; c < 3; c++) {
      if (!((v >> (c + 1)) & 1)) continue;
      if (!(v & 0x20) && !get(c, LATCHED)) { put(c, LATCH, countAt(c, t)); put(c, LATCHED, 1); put(c, READ_HI, 0); }
      if (!(v & 0x10) && !(get(c, STATUS) & 0x100)) {
        const st = (outAt(c, t) ? 0x80 : 0) | (get(c, NULL_COUNT) ? 0x40 : 0) | (get(c, ACCESS) << 4) | (get(c, MODE) << 1) | get(c, BCD);
        put(c, STATUS, 0x100 | st);
      }
    }
    return;
  }
  const c = sc;
  const access = (v >> 4) & 3;
  if (access == 0) {
    // counter latch command
    if (!get(c, LATCHED)) { put(c, LATCH, countAt(c, t)); put(c, LATCHED, 1); put(c, READ_HI, 0); }
    return;
  }
  let mode = (v >> 1) & 7;
  if (mode > 5) mode -= 4; // 6 and 7 are modes 2 and 3
  put(c, ACCESS, access);
  put(c, MODE, mode);
  put(c, BCD, v & 1);
  put(c, RUNNING, 0);
  put(c, LATCHED, 0);
  put(c, READ_HI, 0);
  put(c, WRITE_HI, 0);
  put(c, NULL_COUNT, 1);
  // a control word sets OUT (low for mode 0, high otherwise) without an interrupt edge
  if (c == 0) put(0, LAST_OUT, outAt(0, t) ? 1 : 0);
}

// the GATE input of channel c (only channel 2's is wired, through port 61h bit 0)
function gate(c: u32, level: bool, wasLow: bool, t: u64): void {
  put(c, GATE, level ? 1 : 0);
  const mode = get(c, MODE);
  if (level && wasLow) {
    // a rising edge triggers modes 1 and 5 and restarts 2 and 3
    if (mode == 1 || mode == 5 || mode == 2 || mode == 3) { setStart(c, t + 1); put(c, RUNNING, 1); }
    else if (!get(c, RUNNING) && get(c, NULL_COUNT) == 0) { setStart(c, t + 1); put(c, RUNNING, 1); }
  } else if (!level && (mode == 2 || mode == 3 || mode == 0 || mode == 4)) {
    put(c, RUNNING, 0); // counting stops (OUT of modes 2 and 3 goes high)
  }
}
