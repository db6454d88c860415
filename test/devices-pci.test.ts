/**
 * PCI configuration mechanism #1, the i440FX and PIIX3 functions and pvpanic-pci
 * (src/devices/pci.ts, src/devices/pvpanic.ts) through the I/O bus, as a firmware or Linux PCI
 * scan uses them: the type 1 probe, a bus 0 scan, BAR sizing and assignment, the pvpanic MMIO.
 */
import { describe, expect, it } from 'vitest';
import { IoBus } from '../src/devices/device.js';
import { I440fx, PciHost, Piix3 } from '../src/devices/pci.js';
import { PvPanic } from '../src/devices/pvpanic.js';

function setup() {
  const events: string[] = [];
  const host = new PciHost({ onReset: (hard) => events.push(`reset:${hard}`) });
  const i440 = new I440fx();
  const piix = new Piix3();
  const pvp = new PvPanic(3, { onPanic: () => events.push('panic'), onCrashLoaded: () => events.push('crash-loaded') });
  const maps: [number, number | undefined][] = [];
  pvp.onBarChange = (bar, base) => maps.push([bar, base]);
  for (const f of [i440, piix, pvp]) host.add(f);
  const bus = new IoBus();
  bus.attach(host);
  const addr = (b: number, d: number, f: number, reg: number) => (0x80000000 | (b << 16) | (d << 11) | (f << 8) | (reg & 0xfc)) >>> 0;
  const cfgRead = (b: number, d: number, f: number, reg: number, size = 4) => {
    bus.write(0xcf8, 4, addr(b, d, f, reg));
    return bus.read(0xcfc + (reg & 3), size);
  };
  const cfgWrite = (b: number, d: number, f: number, reg: number, v: number, size = 4) => {
    bus.write(0xcf8, 4, addr(b, d, f, reg));
    bus.write(0xcfc + (reg & 3), size, v);
  };
  return { events, host, i440, piix, pvp, maps, bus, cfgRead, cfgWrite };
}

describe('PCI configuration mechanism #1 and the i440FX/PIIX3 chipset', () => {
  it('passes Linux\'s type 1 probe: CONFIG_ADDRESS reads back; a byte at 0xCFB goes elsewhere', () => {
    const { bus } = setup();
    bus.write(0xcfb, 1, 0x01);
    bus.write(0xcf8, 4, 0x80000000);
    expect(bus.read(0xcf8, 4)).toBe(0x80000000);
    bus.write(0xcfb, 1, 0x01);
    expect(bus.read(0xcf8, 4)).toBe(0x80000000);
    expect(bus.read(0xcfa, 1)).toBe(0xff);
    bus.write(0xcf8, 4, 0xffffffff);
    expect(bus.read(0xcf8, 4)).toBe(0x80fffffc);
  });

  it('finds exactly the host bridge, the ISA bridge and pvpanic on a bus 0 scan', () => {
    const { cfgRead } = setup();
    const found: string[] = [];
    for (let dev = 0; dev < 32; dev++) {
      const id0 = cfgRead(0, dev, 0, 0);
      if (id0 === 0xffffffff) continue;
      const multi = (cfgRead(0, dev, 0, 0x0c) >>> 16) & 0x80;
      for (let fn = 0; fn < (multi ? 8 : 1); fn++) {
        const id = cfgRead(0, dev, fn, 0);
        if (id === 0xffffffff) continue;
        const cls = cfgRead(0, dev, fn, 8);
        found.push(`${dev}.${fn} ${(id & 0xffff).toString(16)}:${(id >>> 16).toString(16)} class ${(cls >>> 8).toString(16).padStart(6, '0')} rev ${cls & 0xff}`);
      }
    }
    expect(found).toEqual([
      '0.0 8086:1237 class 060000 rev 2',
      '1.0 8086:7000 class 060100 rev 0',
      '3.0 1b36:11 class 088000 rev 1',
    ]);
    expect((cfgRead(0, 1, 0, 0x0c) >>> 16) & 0xff).toBe(0x80); // PIIX3: multifunction header
    expect(cfgRead(1, 0, 0, 0)).toBe(0xffffffff); // no other bus
  });

  it('reads bytes and words at CONFIG_DATA offsets; disabled CONFIG_ADDRESS reads all ones', () => {
    const { bus, cfgRead } = setup();
    bus.write(0xcf8, 4, 0x80000000);
    expect(bus.read(0xcfe, 2)).toBe(0x1237);
    expect(bus.read(0xcfd, 1)).toBe(0x80);
    expect(bus.read(0xcfc, 2)).toBe(0x8086);
    expect(cfgRead(0, 0, 0, 0x0b, 1)).toBe(0x06);
    bus.write(0xcf8, 4, 0x00000000);
    expect(bus.read(0xcfc, 4)).toBe(0xffffffff);
    expect(bus.read(0xcfc, 2)).toBe(0xffff);
  });

  it('keeps read-only registers and stores writable ones (PAM, SMRAM with D_LCK, PIRQ routing)', () => {
    const { cfgRead, cfgWrite, i440, piix } = setup();
    cfgWrite(0, 0, 0, 0, 0x12345678);
    expect(cfgRead(0, 0, 0, 0)).toBe(0x12378086);
    cfgWrite(0, 0, 0, 0x5a, 0x3333, 2);
    expect(i440.pam(1)).toBe(0x33);
    expect(i440.pam(2)).toBe(0x33);
    cfgWrite(0, 0, 0, 0x59, 0xff, 1);
    expect(i440.pam(0)).toBe(0x30);
    expect(cfgRead(0, 0, 0, 0x72, 1)).toBe(0x02);
    cfgWrite(0, 0, 0, 0x72, 0x4a, 1); // D_OPEN, G_SMRAME
    expect(i440.smram).toBe(0x4a);
    cfgWrite(0, 0, 0, 0x72, 0x1a, 1); // D_LCK
    cfgWrite(0, 0, 0, 0x72, 0x4a, 1); // cannot open or unlock again
    expect(i440.smram).toBe(0x1a);
    expect(cfgRead(0, 1, 0, 0x60)).toBe(0x80808080);
    expect(piix.pirqRoute(0)).toBeUndefined();
    cfgWrite(0, 1, 0, 0x60, 0x0b, 1);
    cfgWrite(0, 1, 0, 0x63, 0x0a, 1);
    expect(piix.pirqRoute(0)).toBe(11);
    expect(piix.pirqRoute(3)).toBe(10);
    expect(cfgRead(0, 1, 0, 0x69, 1)).toBe(0x02);
    i440.reset();
    expect(i440.smram).toBe(0x02);
  });

  it('sizes pvpanic\'s BAR0 (16-byte memory) and maps it only with memory decoding on', () => {
    const { cfgRead, cfgWrite, pvp, maps } = setup();
    expect(cfgRead(0, 3, 0, 0x10)).toBe(0);
    cfgWrite(0, 3, 0, 0x10, 0xffffffff);
    expect(cfgRead(0, 3, 0, 0x10)).toBe(0xfffffff0);
    for (let i = 1; i < 6; i++) {
      cfgWrite(0, 3, 0, 0x10 + 4 * i, 0xffffffff);
      expect(cfgRead(0, 3, 0, 0x10 + 4 * i)).toBe(0); // no other BARs
    }
    cfgWrite(0, 3, 0, 0x30, 0xfffff800);
    expect(cfgRead(0, 3, 0, 0x30)).toBe(0); // no expansion ROM
    cfgWrite(0, 3, 0, 0x10, 0xfebff000);
    expect(pvp.mmio.base).toBeUndefined(); // memory decoding is off
    expect(maps).toEqual([]);
    cfgWrite(0, 3, 0, 0x04, 0x0002, 2);
    expect(pvp.mmio.base).toBe(0xfebff000);
    expect(maps).toEqual([[0, 0xfebff000]]);
    cfgWrite(0, 3, 0, 0x10, 0xffffffff); // sizing with decoding on: not mapped past 4 GiB
    expect(maps).toEqual([[0, 0xfebff000], [0, undefined]]);
    cfgWrite(0, 3, 0, 0x10, 0xfebff000);
    cfgWrite(0, 3, 0, 0x04, 0x0000, 2);
    expect(maps).toEqual([[0, 0xfebff000], [0, undefined], [0, 0xfebff000], [0, undefined]]);
    pvp.assignBar(0, 0xfe000000); // as firmware would
    expect(pvp.mmio.base).toBe(0xfe000000);
    expect(cfgRead(0, 3, 0, 0x04, 2) & 0x2).toBe(0x2);
  });

  it('pvpanic: the register reads the supported events; writes report panic / crash-loaded', () => {
    const { pvp, events, cfgRead } = setup();
    pvp.assignBar(0, 0xfebff000);
    expect(pvp.mmio.size).toBe(16);
    expect(pvp.mmio.read(0, 1)).toBe(0x03);
    expect(pvp.mmio.read(0, 4)).toBe(0x03);
    expect(pvp.mmio.read(4, 4)).toBe(0);
    pvp.mmio.write(0, 1, 0x02);
    expect(events).toEqual(['crash-loaded']);
    pvp.mmio.write(0, 1, 0x01);
    expect(events).toEqual(['crash-loaded', 'panic']);
    pvp.mmio.write(8, 1, 0x01); // not the register
    expect(events).toEqual(['crash-loaded', 'panic']);
    expect(cfgRead(0, 3, 0, 0x2c)).toBe(0x11001af4);
    expect(cfgRead(0, 3, 0, 0x3c) >>> 8 & 0xff).toBe(0); // no interrupt pin
  });

  it('status bits are write-1-to-clear, not writable', () => {
    const { cfgRead, cfgWrite } = setup();
    cfgWrite(0, 0, 0, 0x06, 0xffff, 2);
    expect(cfgRead(0, 0, 0, 0x06, 2)).toBe(0x0280);
  });

  it('save, load, save gives identical state and restores BAR mappings', () => {
    const a = setup();
    a.cfgWrite(0, 1, 0, 0x61, 0x05, 1);
    a.pvp.assignBar(0, 0xfebff000);
    a.cfgWrite(0, 0, 0, 0x72, 0x1a, 1);
    const s1 = a.host.save();
    const b = setup();
    b.host.load(JSON.parse(JSON.stringify(s1)));
    expect(JSON.stringify(b.host.save())).toBe(JSON.stringify(s1));
    expect(b.maps).toEqual([[0, 0xfebff000]]);
    expect(b.piix.pirqRoute(1)).toBe(5);
    b.cfgWrite(0, 0, 0, 0x72, 0x4a, 1);
    expect(b.i440.smram).toBe(0x1a); // the lock survived
    b.host.reset();
    expect(b.maps).toEqual([[0, 0xfebff000], [0, undefined]]);
    expect(b.i440.smram).toBe(0x02);
  });
});
