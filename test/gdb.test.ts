/**
 * The GDB remote stub (src/gdb/stub.ts): protocol framing, then the stub driven by our own
 * client (src/gdb/client.ts), then by Debian's gdb in batch mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { Machine } from '../src/machine.js';
import * as L from '../src/gen/layout.js';
import { startGdbServer, type GdbServer } from '../src/gdb/stub.js';
import { GdbClient } from '../src/gdb/client.js';
import { FrameDecoder, frame, checksum, unescape } from '../src/gdb/protocol.js';
import { requireTool } from './helpers/tools.js';

const ORG = 0x7c00;
// mov ax,0x1234 ; mov bx,0x5678 ; inc ax ; mov [0x500],ax ; inc bx ; mov [0x502],bx ; hlt
const PROGRAM = [0xb8, 0x34, 0x12, 0xbb, 0x78, 0x56, 0x40, 0xa3, 0x00, 0x05, 0x43, 0x89, 0x1e, 0x02, 0x05, 0xf4];
// inc ax ; jmp short $-3 (forever)
const LOOP = [0x40, 0xeb, 0xfd];

/** Real mode with CS = 0, so linear addresses equal EIP: code at 0000:7C00, stack at 0000:7000. */
async function flatVm(code: number[]): Promise<Machine> {
  const m = await Machine.create({ memory: 1 << 20, flat: true });
  const c = m.core;
  c.exports.reset();
  c.setSeg(1, 0, 0, 0xffff, 0x9b00);
  for (const s of [0, 2, 3, 4, 5]) c.setSeg(s, 0, 0, 0xffff, 0x9300);
  c.eip = ORG;
  c.setReg32(4, 0x7000);
  m.writePhys(ORG, Uint8Array.from(code));
  c.exports.stateChanged();
  return m;
}

const ram = (m: Machine, addr: number, len: number) => [...m.core.ram().subarray(addr, addr + len)];

let servers: GdbServer[] = [];
let clients: GdbClient[] = [];

async function serve(m: Machine, waitForAttach = true): Promise<GdbServer> {
  const s = await startGdbServer(m, { port: 0, waitForAttach });
  servers.push(s);
  return s;
}

async function attach(s: GdbServer): Promise<GdbClient> {
  const c = await GdbClient.connect(s.port, { timeoutMs: 10_000 });
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
  clients = [];
  servers = [];
});

describe('gdb protocol framing', () => {
  it('frames with checksums and escapes, decodes acks, interrupts and packets', () => {
    expect(frame('g')).toBe('$g#67');
    expect(frame('a#b')).toBe(`$a}\x03b#${checksum('a}\x03b').toString(16).padStart(2, '0')}`);
    const d = new FrameDecoder();
    const evs = d.push('+$m7c00,3#' + checksum('m7c00,3').toString(16).padStart(2, '0') + '\x03$g#00-');
    expect(evs).toEqual([
      { type: 'ack' },
      { type: 'packet', payload: 'm7c00,3', ok: true },
      { type: 'interrupt' },
      { type: 'packet', payload: 'g', ok: false },
      { type: 'nak' },
    ]);
    // split across chunks, with an escaped '#' in binary data
    const body = 'X0,1:}\x03';
    const wire = frame(unescape(body).replace(/^X0,1:/, 'X0,1:'));
    const half = Math.floor(wire.length / 2);
    expect([...d.push(wire.slice(0, half)), ...d.push(wire.slice(half))]).toEqual([{ type: 'packet', payload: body, ok: true }]);
    expect(unescape(body)).toBe('X0,1:#');
  });
});

describe('gdb stub with the node client', () => {
  it('reports the target, reads and writes registers and memory', async () => {
    const m = await flatVm(PROGRAM);
    const s = await serve(m);
    const g = await attach(s);
    const sup = await g.request('qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386');
    expect(sup).toContain('PacketSize=');
    expect(sup).toContain('qXfer:features:read+');
    expect(sup).toContain('swbreak+');
    expect(await g.startNoAck()).toBe(true);
    expect(await g.request('?')).toBe('S05');
    expect(await g.request('qAttached')).toBe('1');
    expect(await g.request('qC')).toBe('QC01');
    expect(await g.request('qfThreadInfo')).toBe('m01');
    expect(await g.request('qsThreadInfo')).toBe('l');
    expect(await g.request('Hg0')).toBe('OK');
    expect(await g.request('vMustReplyEmpty')).toBe('');

    // the target description, read in small pieces
    let xml = '';
    for (;;) {
      const r = await g.request(`qXfer:features:read:target.xml:${xml.length.toString(16)},40`);
      xml += r.slice(1);
      if (r[0] === 'l') break;
      expect(r[0]).toBe('m');
    }
    expect(xml).toContain('<architecture>i386</architecture>');
    expect(xml).toContain('org.gnu.gdb.i386.core');
    expect(xml).toContain('org.gnu.gdb.i386.sse');
    expect(xml.match(/<reg /g)).toHaveLength(41); // 16 general, 16 x87, xmm0-xmm7, mxcsr

    const regs = await g.readRegisters();
    expect(regs[8]).toBe(ORG); // eip
    expect(regs[4]).toBe(0x7000); // esp
    expect(regs[9]).toBe(m.core.eflags);
    expect(regs.slice(10)).toEqual([0, 0, 0, 0, 0, 0]); // cs ss ds es fs gs
    const graw = await g.request('g');
    expect(graw.length).toBe(16 * 8 + 8 * 20 + 8 * 8 + 8 * 32 + 8);
    expect(await g.request('p28')).toBe('801f0000'); // mxcsr after RESET
    // x87 state after RESET: every register +0.0 and valid, FCW 0040h, tag word 5555h (all zero)
    expect(await g.request('p10')).toBe('0'.repeat(20)); // st0
    expect(await g.request('p18')).toBe('40000000'); // fctrl
    expect(await g.request('p1a')).toBe('55550000'); // ftag

    await g.writeRegister(2, 0xdeadbeef); // edx
    expect(m.core.reg32(2)).toBe(0xdeadbeef);
    expect(await g.readRegister(2)).toBe(0xdeadbeef);
    // a real-mode segment write loads base = selector * 16
    await g.writeRegister(13, 0x1234); // es
    expect(m.core.segSel(0)).toBe(0x1234);
    expect(m.core.segBase(0)).toBe(0x12340);
    // G writes back what g read, with one change
    const before = await g.request('g');
    const ebx = 'efbeadde';
    expect(await g.request('G' + before.slice(0, 24) + ebx + before.slice(32))).toBe('OK');
    expect(m.core.reg32(3)).toBe(0xdeadbeef);
    expect(m.core.eip).toBe(ORG);
    expect(m.core.segBase(0)).toBe(0x12340);

    expect([...(await g.readMemory(ORG, 3))]).toEqual([0xb8, 0x34, 0x12]);
    await g.writeMemory(0x600, Uint8Array.of(1, 2, 3, 0x23));
    expect(ram(m, 0x600, 4)).toEqual([1, 2, 3, 0x23]);
    // X with a binary payload: the client's framing escapes the '#', the stub undoes it
    expect(await g.request('X604,2:#\x7f')).toBe('OK');
    expect(await g.request('X604,0:')).toBe('OK'); // gdb's probe for X support
    expect(ram(m, 0x604, 2)).toEqual([0x23, 0x7f]);
    // beyond RAM: an error, and a read that starts in RAM and runs off the end is cut short
    expect(await g.request('m200000,4')).toBe('E14');
    expect((await g.readMemory(0xffffe, 4)).length).toBe(2);
    expect(await g.request('M200000,1:00')).toBe('E14');
  });

  it('single-steps, stops at breakpoints and write watchpoints, reports the halt', async () => {
    const m = await flatVm(PROGRAM);
    const s = await serve(m);
    const g = await attach(s);
    await g.request('qSupported:swbreak+;hwbreak+');

    expect(await g.step()).toBe('T05thread:01;');
    expect(m.core.eip).toBe(ORG + 3);
    expect(await g.readRegister(8)).toBe(ORG + 3);
    expect((await g.readRegister(0)) & 0xffff).toBe(0x1234);
    expect(m.instructions).toBe(1n);
    expect(await g.step()).toBe('T05thread:01;');
    expect(await g.readRegister(8)).toBe(ORG + 6);

    // software breakpoint on `inc bx` (after the store to 0x500)
    expect(await g.request(`Z0,${(ORG + 10).toString(16)},1`)).toBe('OK');
    expect(await g.cont()).toBe('T05swbreak:;thread:01;');
    expect(m.core.eip).toBe(ORG + 10);
    expect(m.instructions).toBe(4n); // the breakpointed instruction has not run
    expect(ram(m, 0x500, 2)).toEqual([0x35, 0x12]);
    expect(await g.request(`z0,${(ORG + 10).toString(16)},1`)).toBe('OK');

    // write watchpoint on the word at 0x502
    expect(await g.request('Z2,502,2')).toBe('OK');
    expect(await g.cont()).toBe('T05watch:502;thread:01;');
    expect(m.core.eip).toBe(ORG + 15); // stops after the writing instruction, as x86 data breakpoints do
    expect(ram(m, 0x502, 2)).toEqual([0x79, 0x56]);
    expect(await g.request('z2,502,2')).toBe('OK');
    // read/access watchpoints are not supported
    expect(await g.request('Z3,502,2')).toBe('');
    expect(await g.request('Z4,502,2')).toBe('');

    // hlt with IF=0: the machine is finished
    expect(await g.cont()).toBe('W00');
    expect(s.state).toBe('exited');
    expect(await g.request('?')).toBe('W00');
  });

  it('a hardware breakpoint and a breakpoint at the resume address', async () => {
    const m = await flatVm(PROGRAM);
    const s = await serve(m);
    const g = await attach(s);
    await g.request('qSupported:swbreak+;hwbreak+');
    expect(await g.request(`Z1,${(ORG + 6).toString(16)},1`)).toBe('OK');
    expect(await g.request(`Z0,${ORG.toString(16)},1`)).toBe('OK'); // where we stand: not hit on resume
    expect(await g.cont()).toBe('T05hwbreak:;thread:01;');
    expect(m.core.eip).toBe(ORG + 6);
    expect(m.instructions).toBe(2n);
  });

  it('Ctrl-C interrupts a running loop, continue resumes it, k kills', async () => {
    const m = await flatVm(LOOP);
    const s = await serve(m);
    const g = await attach(s);
    g.send('c');
    await new Promise((r) => setTimeout(r, 100));
    expect(s.state).toBe('running');
    g.interrupt();
    expect(await g.waitReply(5000)).toBe('T02thread:01;');
    expect(s.state).toBe('stopped');
    const n1 = m.instructions;
    expect(n1).toBeGreaterThan(1000n);
    const eip = await g.readRegister(8);
    expect(eip === ORG || eip === ORG + 1).toBe(true);
    expect((await g.readRegister(0)) & 0xffff).toBe(Number((n1 + 1n) / 2n) & 0xffff); // inc ax per two instructions
    await new Promise((r) => setTimeout(r, 30));
    expect(m.instructions).toBe(n1); // stopped means stopped

    // again, with a breakpoint set somewhere never reached (the stepping path)
    expect(await g.request('Z0,1234,1')).toBe('OK');
    g.send('c');
    await new Promise((r) => setTimeout(r, 50));
    g.interrupt();
    expect(await g.waitReply(5000)).toBe('T02thread:01;');
    expect(m.instructions).toBeGreaterThan(n1);

    // `c` and Ctrl-C arriving in one chunk: the interrupt is not lost
    g.sendRaw('$c#63\x03');
    expect(await g.waitReply(5000)).toBe('T02thread:01;');

    g.send('k');
    await new Promise((r) => setTimeout(r, 50));
    expect(s.state).toBe('killed');
  });

  it('without waitForAttach the VM runs; attaching stops it; detaching resumes it', async () => {
    const m = await flatVm(LOOP);
    const s = await serve(m, false);
    await new Promise((r) => setTimeout(r, 30));
    expect(s.state).toBe('running');
    const g = await attach(s);
    expect(await g.request('?')).toBe('T05thread:01;');
    expect(s.state).toBe('stopped');
    const n = m.instructions;
    expect(n).toBeGreaterThan(0n);
    await new Promise((r) => setTimeout(r, 30));
    expect(m.instructions).toBe(n);
    // one client at a time: a second connection is dropped
    const other = await GdbClient.connect(s.port, { timeoutMs: 2000 });
    clients.push(other);
    await expect(other.request('?', 2000)).rejects.toThrow();
    expect(await g.request('qC')).toBe('QC01');
    expect(await g.request('D')).toBe('OK');
    await new Promise((r) => setTimeout(r, 50));
    expect(s.state).toBe('running');
    expect(m.instructions).toBeGreaterThan(n);
  });

  it('translates linear addresses through the guest page tables when paging is on', async () => {
    const m = await flatVm(PROGRAM);
    const s = await serve(m);
    const g = await attach(s);
    const c = m.core;
    const w32 = (addr: number, v: number) => m.writePhys(addr, Uint8Array.of(v, v >>> 8, v >>> 16, v >>> 24));
    m.writePhys(0x20000, Uint8Array.of(0xa1, 0xa2, 0xa3, 0xa4));
    // 32-bit paging: PD at 0x10000; 0x400000 -> PT at 0x11000 -> page 0x20000; 0x800000 is a 4 MiB page at 0
    w32(0x10000 + 1 * 4, 0x11000 | 3);
    w32(0x11000 + 0 * 4, 0x20000 | 3);
    w32(0x10000 + 2 * 4, 0x00000083);
    c.set32(L.CR + 12, 0x10000);
    c.set32(L.CR + 16, 0x10); // PSE
    c.set32(L.CR, c.get32(L.CR) | 0x80000001);
    expect([...(await g.readMemory(0x400000, 4))]).toEqual([0xa1, 0xa2, 0xa3, 0xa4]);
    expect([...(await g.readMemory(0x800000 + ORG, 3))]).toEqual([0xb8, 0x34, 0x12]);
    expect(await g.request('mc00000,4')).toBe('E14'); // not present
    expect((await g.readMemory(0x400ffe, 4)).length).toBe(2); // the next page is not present
    await g.writeMemory(0x400002, Uint8Array.of(0x55));
    expect(ram(m, 0x20002, 1)).toEqual([0x55]);
    expect(ram(m, 0x10004, 4)).toEqual([3, 0x10, 1, 0]); // no accessed bit set by the debugger

    // PAE: PDPT at 0x12000 -> PD at 0x13000; 0x400000 -> PT at 0x14000 -> 0x20000; 0x600000 is a 2 MiB page at 0
    w32(0x12000, 0x13000 | 1);
    w32(0x13000 + 2 * 8, 0x14000 | 3);
    w32(0x14000, 0x20000 | 3);
    w32(0x13000 + 3 * 8, 0x00000083);
    c.set32(L.CR + 12, 0x12000);
    c.set32(L.CR + 16, 0x20); // PAE
    expect([...(await g.readMemory(0x400000, 4))]).toEqual([0xa1, 0xa2, 0x55, 0xa4]);
    expect([...(await g.readMemory(0x600000 + ORG, 3))]).toEqual([0xb8, 0x34, 0x12]);
    expect(await g.request('m800000,1')).toBe('E14');
  });

  it('resends on a bad checksum and answers nak with the last reply', async () => {
    const m = await flatVm(PROGRAM);
    const s = await serve(m);
    const g = await attach(s);
    expect(await g.request('qC')).toBe('QC01');
    g.sendRaw('$qC#00'); // bad checksum: the stub naks and ignores it
    g.sendRaw('-'); // "resend your last packet"
    expect(await g.waitReply(2000)).toBe('QC01');
    expect(g.badPackets).toBe(0);
  });
});

function runGdb(args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('gdb', ['-nx', '-batch', ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err && (err as { killed?: boolean }).killed) reject(new Error(`gdb timed out\n${stdout}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

const hasGdb = requireTool('gdb', 'gdb');

describe.skipIf(!hasGdb)('gdb stub with Debian gdb', () => {
  it('breakpoint, stepi, registers, memory, register write, watchpoint', async () => {
    const m = await flatVm(PROGRAM);
    const s = await serve(m);
    const out = await runGdb([
      '-ex', 'set architecture i386',
      '-ex', `target remote 127.0.0.1:${s.port}`,
      '-ex', 'echo @@start\\n', '-ex', 'info registers eip esp',
      '-ex', 'break *0x7c06',
      '-ex', 'continue',
      '-ex', 'echo @@bp\\n', '-ex', 'info registers eip eax ebx',
      '-ex', 'stepi',
      '-ex', 'echo @@stepi\\n', '-ex', 'info registers eip eax',
      '-ex', 'echo @@mem\\n', '-ex', 'x/4xb 0x7c00',
      '-ex', 'set $ecx = 0xabcd',
      '-ex', 'set *(unsigned char *)0x600 = 0x5a',
      '-ex', 'echo @@ecx\\n', '-ex', 'p/x $ecx',
      '-ex', 'delete',
      '-ex', 'watch *(unsigned short *)0x502',
      '-ex', 'continue',
      '-ex', 'echo @@watch\\n', '-ex', 'info registers eip ebx',
      '-ex', 'kill',
    ]);
    const section = (name: string) => {
      const i = out.indexOf(`@@${name}\n`);
      expect(i, `section ${name} in:\n${out}`).toBeGreaterThanOrEqual(0);
      return out.slice(i, out.indexOf('@@', i + 2) >= 0 ? out.indexOf('@@', i + 2) : undefined);
    };
    const reg = (text: string, r: string) => {
      const mm = new RegExp(`^${r}\\s+(0x[0-9a-f]+)`, 'm').exec(text);
      expect(mm, `${r} in:\n${text}\n--- full output:\n${out}`).not.toBeNull();
      return parseInt(mm![1]!, 16);
    };
    expect(out).not.toMatch(/Remote 'g' packet reply is too long|Could not fetch register/);
    expect(reg(section('start'), 'eip')).toBe(ORG);
    expect(reg(section('start'), 'esp')).toBe(0x7000);
    expect(out).toMatch(/Breakpoint 1 at 0x7c06/);
    expect(reg(section('bp'), 'eip')).toBe(ORG + 6);
    expect(reg(section('bp'), 'eax')).toBe(0x1234);
    expect(reg(section('bp'), 'ebx')).toBe(0x5678);
    expect(reg(section('stepi'), 'eip')).toBe(ORG + 7);
    expect(reg(section('stepi'), 'eax')).toBe(0x1235);
    expect(section('mem')).toMatch(/0x7c00:\s+0xb8\s+0x34\s+0x12\s+0xbb/);
    expect(section('ecx')).toMatch(/= 0xabcd/);
    expect(out).toMatch(/watchpoint 2: \*\(unsigned short \*\)0x502/i);
    expect(out).toMatch(/Old value = 0\s+New value = 22137/);
    const w = section('watch');
    expect(reg(w, 'eip')).toBe(ORG + 15);
    expect(reg(w, 'ebx')).toBe(0x5679);
    // what gdb saw and did is the VM's own state
    expect(m.core.eip).toBe(ORG + 15);
    expect(m.core.reg32(1)).toBe(0xabcd);
    expect(m.core.reg32(3) & 0xffff).toBe(0x5679);
    expect(ram(m, 0x600, 1)).toEqual([0x5a]);
    expect(s.state).toBe('killed');
  });

  it('shows the SSE registers (org.gnu.gdb.i386.sse): xmm0-xmm7 as vectors and mxcsr with its flags', async () => {
    const m = await flatVm(LOOP);
    const c = m.core;
    [0x11111111, 0x22222222, -3, 0x7fffffff].forEach((v, k) => c.set32(L.XMM + 16 * 1 + 4 * k, v >>> 0));
    c.u8.set(new Uint8Array(new Float64Array([1.5, -0.25]).buffer), L.XMM + 16 * 7);
    c.set32(L.MXCSR, 0x1f80 | 0x21); // all masked; IE and PE raised
    const s = await serve(m);
    const out = await runGdb([
      '-ex', `target remote 127.0.0.1:${s.port}`,
      '-ex', 'echo @@x1\n', '-ex', 'p $xmm1.v4_int32',
      '-ex', 'echo @@x7\n', '-ex', 'p $xmm7.v2_double',
      '-ex', 'echo @@mx\n', '-ex', 'info registers mxcsr',
      '-ex', 'kill',
    ]);
    expect(out).not.toMatch(/Remote 'g' packet reply is too long|Could not fetch register|Invalid/);
    expect(out).toMatch(/@@x1\n\$1 = \{286331153, 572662306, -3, 2147483647\}/);
    expect(out).toMatch(/@@x7\n\$2 = \{1\.5, -0\.25\}/);
    expect(out).toMatch(/@@mx\nmxcsr\s+0x1fa1\s+\[ IE PE IM DM ZM OM UM PM \]/);
  });

  it('works without set architecture (the target description says i386)', async () => {
    const m = await flatVm(LOOP);
    const s = await serve(m);
    const out = await runGdb([
      '-ex', `target remote 127.0.0.1:${s.port}`,
      '-ex', 'show architecture',
      '-ex', 'stepi', '-ex', 'stepi', '-ex', 'stepi',
      '-ex', 'info registers eip eax',
      '-ex', 'kill',
    ]);
    expect(out).toMatch(/architecture is set to "auto" \(currently "i386"\)/);
    expect(out).toMatch(/^eip\s+0x7c01/m);
    expect(out).toMatch(/^eax\s+0x2\s/m);
    expect(m.instructions).toBe(3n);
  });
});
