/**
 * The 8042 keyboard controller, keyboard and mouse (src/devices/i8042.ts) through the I/O bus,
 * driven as Linux's i8042/atkbd/psmouse drivers and a BIOS drive them; A20 and reset through
 * the 8042, port 0x92 and the PIIX3's 0xCF9.
 */
import { describe, expect, it } from 'vitest';
import { IoBus } from '../src/devices/device.js';
import { I8042, SET1_MAKE, SET2_TO_SET1, set1Sequence, set2Sequence } from '../src/devices/i8042.js';
import { Port92 } from '../src/devices/port92.js';
import { PciHost } from '../src/devices/pci.js';
import { FakeIrq } from './helpers/device-fakes.js';

function setup(commandByte?: number) {
  const irq1 = new FakeIrq();
  const irq12 = new FakeIrq();
  const events: string[] = [];
  const opts = {
    onReset: () => events.push('reset'),
    onA20: (on: boolean) => events.push(`a20:${on}`),
    ...(commandByte === undefined ? {} : { commandByte }),
  };
  const kbc = new I8042(irq1, irq12, opts);
  const bus = new IoBus();
  bus.attach(kbc);
  const status = () => bus.read(0x64, 1);
  const cmd = (c: number) => bus.write(0x64, 1, c);
  const data = (v: number) => bus.write(0x60, 1, v);
  /** Reads every byte in the output buffer (as i8042_flush), with its AUX flag. */
  const drain = () => {
    const got: number[] = [];
    for (let i = 0; i < 64 && status() & 1; i++) got.push(bus.read(0x60, 1));
    return got;
  };
  return { irq1, irq12, events, kbc, bus, status, cmd, data, drain };
}

describe('i8042 keyboard controller', () => {
  it('passes the self test (AA -> 55) and sets the system flag', () => {
    const k = setup(0x01);
    expect(k.status() & 0x04).toBe(0);
    k.cmd(0xaa);
    expect(k.status() & 0x01).toBe(1);
    expect(k.bus.read(0x60, 1)).toBe(0x55);
    expect(k.status() & 0x05).toBe(0x04); // OBF clear, SYS set
    k.cmd(0xab);
    expect(k.drain()).toEqual([0x00]);
    k.cmd(0xa9);
    expect(k.drain()).toEqual([0x00]);
  });

  it('round-trips the command byte (20h/60h), and IRQ 1 follows its bit 0', () => {
    const k = setup();
    k.cmd(0x20);
    expect(k.drain()).toEqual([0x45]);
    expect(k.irq1.rises).toBe(1); // the reply raised IRQ 1 (bit 0 set)
    k.cmd(0x60);
    expect(k.status() & 0x08).toBe(0x08); // A2: the last write was a command
    k.data(0x74);
    expect(k.status() & 0x08).toBe(0x00); // ... and now data
    k.cmd(0x20);
    expect(k.status() & 0x08).toBe(0x08);
    expect(k.irq1.level).toBe(false); // bit 0 now clear
    expect(k.drain()).toEqual([0x74]);
    expect(k.kbc.commandByte).toBe(0x74);
    expect(k.status() & 0x04).toBe(0x04); // SYS follows bit 2
  });

  it('A7/A8 and AD/AE flip the disable bits Linux checks in the command byte', () => {
    const k = setup();
    k.cmd(0xa7);
    k.cmd(0x20);
    expect(k.drain()[0]! & 0x20).toBe(0x20);
    k.cmd(0xa8);
    k.cmd(0x20);
    expect(k.drain()[0]! & 0x20).toBe(0);
    k.cmd(0xad);
    k.cmd(0x20);
    expect(k.drain()[0]! & 0x10).toBe(0x10);
    k.cmd(0xae);
    k.cmd(0x20);
    expect(k.drain()[0]! & 0x10).toBe(0);
  });

  it('passes Linux\'s AUX loop test (D3) with AUX OBF and an IRQ 12 edge', () => {
    const k = setup();
    k.cmd(0xd3);
    k.data(0x5a);
    expect(k.status() & 0x21).toBe(0x21);
    expect(k.bus.read(0x60, 1)).toBe(0x5a);
    expect(k.irq12.rises).toBe(0); // IRQ 12 disabled in the command byte
    // i8042_enable_aux_port, then the IRQ delivery test
    k.cmd(0x60);
    k.data(0x47);
    k.cmd(0xd3);
    k.data(0xa5);
    expect(k.irq12.level).toBe(true);
    expect(k.irq1.level).toBe(false);
    expect(k.status() & 0x20).toBe(0x20);
    expect(k.bus.read(0x60, 1)).toBe(0xa5);
    expect(k.irq12.level).toBe(false);
    expect(k.irq12.rises).toBe(1);
  });

  it('resets the keyboard (FF -> FA AA) and identifies it (F2 -> FA AB 41 translated, 83 raw)', () => {
    const k = setup();
    k.data(0xff);
    expect(k.drain()).toEqual([0xfa, 0xaa]);
    k.data(0xf2);
    expect(k.drain()).toEqual([0xfa, 0xab, 0x41]);
    k.cmd(0x60);
    k.data(0x05); // translation off
    k.data(0xf2);
    expect(k.drain()).toEqual([0xfa, 0xab, 0x83]);
  });

  it('answers get/set scancode set, LEDs, echo, typematic, enable/disable and rejects unknown commands', () => {
    const k = setup();
    k.data(0xf0);
    k.data(0x00);
    expect(k.drain()).toEqual([0xfa, 0xfa, 0x41]); // set 2, translated
    k.data(0xed);
    k.data(0x07);
    expect(k.drain()).toEqual([0xfa, 0xfa]);
    expect(k.kbc.leds).toBe(7);
    k.data(0xee);
    expect(k.drain()).toEqual([0xee]);
    k.data(0xf3);
    k.data(0x20);
    expect(k.drain()).toEqual([0xfa, 0xfa]);
    k.data(0xab);
    expect(k.drain()).toEqual([0xfe]);
    k.data(0xf5); // disable scanning: keys are not reported
    expect(k.drain()).toEqual([0xfa]);
    k.kbc.keyDown('KeyA');
    expect(k.drain()).toEqual([]);
    k.data(0xf4);
    expect(k.drain()).toEqual([0xfa]);
    k.kbc.keyDown('KeyA');
    expect(k.drain()).toEqual([0x1e]);
  });

  it('delivers key presses as set 1 with translation, set 2 without; one IRQ 1 edge per byte', () => {
    const k = setup();
    const before = k.irq1.rises;
    k.kbc.keyDown('KeyA');
    k.kbc.keyUp('KeyA');
    k.kbc.keyDown('ArrowUp');
    k.kbc.keyUp('ArrowUp');
    const got = k.drain();
    expect(got).toEqual([0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8]);
    expect(k.irq1.rises - before).toBe(got.length);
    k.cmd(0x60);
    k.data(0x05);
    k.kbc.keyDown('Enter');
    k.kbc.keyUp('Enter');
    k.kbc.keyUp('ControlRight');
    expect(k.drain()).toEqual([0x5a, 0xf0, 0x5a, 0xe0, 0xf0, 0x14]);
    // the guest may select set 1 itself
    k.data(0xf0);
    k.data(0x01);
    expect(k.drain()).toEqual([0xfa, 0xfa]);
    k.kbc.keyDown('Escape');
    expect(k.drain()).toEqual([0x01]);
  });

  it('holds keyboard bytes while the interface is disabled; sendScancodes bypasses translation', () => {
    const k = setup();
    k.cmd(0xad);
    k.kbc.keyDown('KeyB');
    expect(k.status() & 1).toBe(0);
    k.cmd(0xae);
    expect(k.drain()).toEqual([0x30]);
    k.kbc.sendScancodes([0x1c, 0x9c]);
    expect(k.drain()).toEqual([0x1c, 0x9c]);
  });

  it('has a minimal PS/2 mouse behind D4: reset -> FA AA 00, get ID -> FA 00, status, poll', () => {
    const k = setup();
    k.cmd(0xd4);
    k.data(0xff);
    expect(k.status() & 0x21).toBe(0x21);
    expect(k.drain()).toEqual([0xfa, 0xaa, 0x00]);
    // IntelliMouse knock (200, 100, 80) does not make it a wheel mouse
    for (const r of [200, 100, 80]) {
      k.cmd(0xd4);
      k.data(0xf3);
      k.cmd(0xd4);
      k.data(r);
    }
    expect(k.drain()).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa]);
    k.cmd(0xd4);
    k.data(0xf2);
    expect(k.drain()).toEqual([0xfa, 0x00]);
    k.cmd(0xd4);
    k.data(0xe9);
    expect(k.drain()).toEqual([0xfa, 0x00, 0x02, 80]);
    k.cmd(0xd4);
    k.data(0xeb);
    expect(k.drain()).toEqual([0xfa, 0x08, 0x00, 0x00]);
    k.cmd(0xd4);
    k.data(0xf4);
    k.kbc.mouseMove(3, -2, 1);
    expect(k.drain()).toEqual([0xfa, 0x29, 0x03, 0xfe]);
  });

  it('gates A20 through the output port (D1, DD/DF) and reads it back (D0)', () => {
    const k = setup();
    expect(k.kbc.a20).toBe(true);
    k.cmd(0xd1);
    k.data(0xdd);
    expect(k.events).toEqual(['a20:false']);
    expect(k.kbc.a20).toBe(false);
    k.cmd(0xd0);
    expect(k.drain()).toEqual([0xdd & ~0x30]);
    k.cmd(0xdf);
    expect(k.events).toEqual(['a20:false', 'a20:true']);
    k.cmd(0xd0);
    expect(k.drain()[0]! & 0x03).toBe(0x03);
  });

  it('resets the CPU by pulsing output port bit 0 (FE) or writing it low (D1)', () => {
    const k = setup();
    k.cmd(0xff); // pulses nothing
    expect(k.events).toEqual([]);
    k.cmd(0xfe);
    expect(k.events).toEqual(['reset']);
    k.cmd(0xd1);
    k.data(0x02);
    expect(k.events).toEqual(['reset', 'reset']);
  });

  it('port 0x92: bit 1 gates A20, a 0->1 edge of bit 0 resets, reads return the value', () => {
    const events: string[] = [];
    const p = new Port92({ onA20: (on) => events.push(`a20:${on}`), onReset: () => events.push('reset') });
    const bus = new IoBus();
    bus.attach(p);
    bus.write(0x92, 1, 0x02);
    expect(events).toEqual(['a20:true']);
    expect(bus.read(0x92, 1)).toBe(0x02);
    bus.write(0x92, 1, 0x03);
    expect(events).toEqual(['a20:true', 'reset']);
    bus.write(0x92, 1, 0x03); // no edge
    expect(events).toEqual(['a20:true', 'reset']);
    expect(bus.read(0x92, 1)).toBe(0x03);
    expect(p.a20).toBe(true);
    p.reset();
    expect(bus.read(0x92, 1)).toBe(0x00);
    expect(p.a20).toBe(false);
    bus.write(0x92, 1, 0x02); // the gate opens again after a reset
    expect(events).toEqual(['a20:true', 'reset', 'a20:true']);
  });

  it('resets through the PIIX3 reset control register at 0xCF9', () => {
    const resets: boolean[] = [];
    const pci = new PciHost({ onReset: (hard) => resets.push(hard) });
    const bus = new IoBus();
    bus.attach(pci);
    bus.write(0xcf9, 1, 0x02);
    expect(bus.read(0xcf9, 1)).toBe(0x02);
    expect(resets).toEqual([]);
    bus.write(0xcf9, 1, 0x06);
    bus.write(0xcf9, 1, 0x04);
    expect(resets).toEqual([true, false]);
  });

  it('maps KeyboardEvent.code names to set 1 and set 2 scancodes', () => {
    expect(SET1_MAKE.KeyA).toEqual([0x1e]);
    expect(SET1_MAKE.Enter).toEqual([0x1c]);
    expect(SET1_MAKE.Escape).toEqual([0x01]);
    expect(SET1_MAKE.ShiftLeft).toEqual([0x2a]);
    expect(SET1_MAKE.ControlRight).toEqual([0xe0, 0x1d]);
    expect(SET1_MAKE.AltRight).toEqual([0xe0, 0x38]);
    expect(SET1_MAKE.ArrowLeft).toEqual([0xe0, 0x4b]);
    expect(SET1_MAKE.F7).toEqual([0x41]);
    expect(SET1_MAKE.F12).toEqual([0x58]);
    expect(SET1_MAKE.NumpadEnter).toEqual([0xe0, 0x1c]);
    expect(SET1_MAKE.PrintScreen).toEqual([0xe0, 0x2a, 0xe0, 0x37]);
    expect(set1Sequence('PrintScreen', false)).toEqual([0xe0, 0xb7, 0xe0, 0xaa]);
    expect(SET1_MAKE.Pause).toEqual([0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
    expect(set1Sequence('Delete', false)).toEqual([0xe0, 0xd3]);
    expect(set2Sequence('Delete', false)).toEqual([0xe0, 0xf0, 0x71]);
    expect(set2Sequence('NoSuchKey', true)).toBeUndefined();
    // every make code is distinct in set 1
    const seen = new Set(Object.values(SET1_MAKE).map((s) => s.join(',')));
    expect(seen.size).toBe(Object.keys(SET1_MAKE).length);
    expect(SET2_TO_SET1[0xfa]).toBe(0xfa);
  });

  it('save, load, save gives identical state, and the loaded controller carries on', () => {
    const a = setup();
    a.kbc.keyDown('KeyQ');
    a.kbc.keyDown('KeyW');
    a.cmd(0xd1); // a command waiting for data
    const s1 = a.kbc.save();
    const b = setup();
    b.kbc.load(JSON.parse(JSON.stringify(s1)));
    expect(JSON.stringify(b.kbc.save())).toBe(JSON.stringify(s1));
    expect(b.irq1.level).toBe(true);
    b.data(0xdd);
    expect(b.events).toEqual(['a20:false']);
    expect(b.drain()).toEqual([0x10, 0x11]);
  });
});
