/**
 * Small ISA devices: QEMU's isa-debug-exit, the POST code port 0x80 and I/O-delay ports,
 * through the I/O bus.
 */
import { describe, expect, it } from 'vitest';
import { IoBus } from '../src/devices/device.js';
import { DebugExit } from '../src/devices/debug-exit.js';
import { DelayPorts, PostCodePort } from '../src/devices/post.js';

describe('isa-debug-exit', () => {
  it('exits with status (v << 1) | 1 for byte, word and dword writes', () => {
    const st: number[] = [];
    const bus = new IoBus();
    bus.attach(new DebugExit({ onExit: (s) => st.push(s) }));
    bus.write(0xf4, 1, 0x00);
    bus.write(0xf4, 1, 0x10);
    bus.write(0xf4, 2, 0x1234);
    bus.write(0xf4, 4, 0xffffffff);
    bus.write(0xf7, 1, 0x01);
    expect(st).toEqual([1, 0x21, 0x2469, 0x1ffffffff, 3]);
    expect(st[1]! & 0xff).toBe(0x21);
    expect(bus.claims(0xf8)).toBe(false);
  });

  it('honours iobase and iosize', () => {
    const st: number[] = [];
    const bus = new IoBus();
    bus.attach(new DebugExit({ iobase: 0x501, iosize: 2, onExit: (s) => st.push(s) }));
    expect(bus.claims(0xf4)).toBe(false);
    expect(bus.claims(0x502)).toBe(true);
    expect(bus.claims(0x503)).toBe(false);
    bus.write(0x501, 1, 0x31);
    expect(st).toEqual([0x63]);
  });
});

describe('POST code port and delay ports', () => {
  it('keeps the last POST code, reads it back, logs it when verbose', () => {
    const logs: string[] = [];
    const codes: number[] = [];
    const post = new PostCodePort({ verbose: true, log: (m) => logs.push(m), onCode: (c) => codes.push(c) });
    const bus = new IoBus();
    bus.attach(post);
    bus.write(0x80, 1, 0x55);
    bus.write(0x80, 1, 0xaa);
    expect(bus.read(0x80, 1)).toBe(0xaa);
    expect(post.code).toBe(0xaa);
    expect(codes).toEqual([0x55, 0xaa]);
    expect(logs).toEqual(['post: 0x55', 'post: 0xaa']);
    const s = post.save();
    const p2 = new PostCodePort();
    p2.load(JSON.parse(JSON.stringify(s)));
    expect(JSON.stringify(p2.save())).toBe(JSON.stringify(s));
    post.reset();
    expect(bus.read(0x80, 1)).toBe(0);
  });

  it('swallows I/O-delay writes without reaching the unclaimed-port log', () => {
    const logs: string[] = [];
    const bus = new IoBus((m) => logs.push(m));
    bus.attach(new DelayPorts());
    bus.write(0xed, 1, 0);
    bus.write(0xed, 4, 0);
    expect(bus.read(0xed, 1)).toBe(0xff);
    expect(logs).toEqual([]);
    bus.write(0xee, 1, 0);
    expect(logs.length).toBe(1);
  });
});
