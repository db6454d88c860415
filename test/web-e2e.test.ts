/**
 * The browser build end to end, in headless Chromium (Debian's chromium, driven by
 * playwright-core): `npm run web`'s server and bundle; the tiny Linux booting to its shell in
 * the page's terminal and running a typed command; keys on the canvas reaching the guest's
 * i8042; the panel's pause, save, restore and reset; the VGA test ROMs (picked with the file input) showing on the
 * canvas exactly the pixels the renderer gives in Node (test/helpers/vga-guests.ts); a disk
 * image and the ata-read ROM picked with the file inputs, its COM1 output in the terminal; and
 * bad images reported in the page. Under CI=true a missing chromium fails; elsewhere it skips.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { requireTool } from './helpers/tools.js';
import { VGA_GUESTS, VGA_GUEST_DIR, type VgaGuest } from './helpers/vga-guests.js';
import { ATA_ROM, ataExpected, ataImage } from './helpers/ata-guest.js';
import { SEABIOS, VGABIOS, haveSeabios, haveSyslinuxTools, syslinuxDisk } from './helpers/syslinux-disk.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PROMPT = '~ # ';

/** The page's window as the tests see it (main.ts puts the VM at window.wasmvisor). */
interface PageWindow {
  wasmvisor: {
    terminalText(): string;
    display: { holdBlink(on: boolean | undefined): void };
    terminal: { focus(): void };
  };
}

describe('browser (headless Chromium)', () => {
  const hasChromium = requireTool('chromium', 'chromium');
  let server: ChildProcess | undefined;
  let base = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!hasChromium) return;
    execFileSync('node', ['tools/build-web.mjs'], { stdio: 'inherit' });
    const srv = spawn('node', ['tools/serve-web.mjs', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    server = srv;
    base = await new Promise<string>((resolve, reject) => {
      srv.once('exit', (code) => reject(new Error(`the web server exited (${code})`)));
      srv.stdout!.on('data', (d: Buffer) => {
        const m = /http:\/\/\S+/.exec(String(d));
        if (m) resolve(m[0]);
      });
    });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 300_000); // build-web may compile the shared core (asc)

  afterAll(async () => {
    await browser?.close();
    server?.kill();
  });

  async function open(query = ''): Promise<{ page: Page; errors: string[] }> {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}${query}`);
    return { page, errors };
  }

  const terminal = (page: Page) => page.evaluate(() => (window as unknown as PageWindow).wasmvisor.terminalText());
  const status = (page: Page) => page.evaluate(() => document.getElementById('status')!.textContent ?? '');

  /** Waits until the terminal's text satisfies `ok` (checked every 100 ms). */
  async function waitTerminal(page: Page, ok: (text: string) => boolean, ms: number, what: string): Promise<string> {
    const deadline = Date.now() + ms;
    let text = '';
    while (Date.now() < deadline) {
      text = await terminal(page).catch(() => '');
      if (ok(text)) return text;
      await page.waitForTimeout(100);
    }
    throw new Error(`${what}: not seen in ${ms / 1000} s; the terminal shows:\n${text.trimEnd().split('\n').slice(-15).join('\n')}\nstatus: ${await status(page)}`);
  }

  /** Types on the terminal, as a user would (xterm.js turns keys into serial input). */
  async function typeLine(page: Page, line: string): Promise<void> {
    await page.evaluate(() => (window as unknown as PageWindow).wasmvisor.terminal.focus());
    await page.keyboard.type(`${line}\n`);
  }

  /** Lines that start with the shell's prompt (the terminal trims trailing blanks, and kernel
   * messages may follow a prompt on its line, as the clocksource switch does after boot). */
  const promptLines = (text: string) => text.split('\n').filter((l) => l.startsWith(PROMPT.trimEnd())).length;
  const booted = (text: string) => promptLines(text) >= 1;

  /** Runs a shell command and returns the lines between it and the next prompt. */
  async function shell(page: Page, cmd: string, ms = 15_000): Promise<string[]> {
    await page.waitForTimeout(300); // let the terminal answer the shell's cursor query (ESC[6n) first
    const n = promptLines(await terminal(page));
    await typeLine(page, cmd);
    const lines = (await waitTerminal(page, (t) => promptLines(t) > n, ms, `the output of '${cmd}'`)).split('\n');
    let at = lines.length - 1;
    // the command's echo: after its prompt, or alone on a line when a kernel message followed the prompt
    while (at >= 0 && !lines[at]!.trimEnd().endsWith(cmd)) at--;
    let end = at + 1;
    while (end < lines.length && !lines[end]!.startsWith(PROMPT.trimEnd())) end++;
    return lines.slice(at + 1, end).map((l) => l.trimEnd());
  }

  it.runIf(hasChromium)('serves the page cross-origin isolated, and nothing outside its folders', async () => {
    const res = await fetch(base);
    expect(res.status).toBe(200);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    for (const path of ['build/core-shared.wasm', 'images/bzImage', 'worker.js', 'wasmvisor.js', 'xterm.css']) expect((await fetch(base + path)).status, path).toBe(200);
    for (const path of ['images/..%2fpackage.json', 'build/..%2f..%2fetc/passwd', 'no-such-file']) expect((await fetch(base + path)).status, path).toBe(404);
  });

  it.runIf(hasChromium)('boots the tiny Linux to its shell in the terminal and runs a typed command', async () => {
    const t0 = Date.now(); // from loading the page: bundle, core, images, boot
    const { page, errors } = await open('?boot=1');
    await waitTerminal(page, booted, 90_000, 'the shell prompt');
    const bootMs = Date.now() - t0;
    const out = await shell(page, 'echo $((6 * 7)); uname -s');
    expect(out).toEqual(expect.arrayContaining(['42', 'Linux'])); // kernel messages may come between
    await page.waitForTimeout(600); // the next statistics
    const insns = Number((await page.locator('#insns').textContent())?.replace(/,/g, ''));
    console.log(`browser: Linux to its shell prompt in ${(bootMs / 1000).toFixed(1)} s from loading the page; ${(insns / 1e6).toFixed(1)} M instructions by now`);
    // keys on the canvas go to the i8042: the keyboard interrupt count moves
    const irq1 = async () => Number(/^\s*1:\s+(\d+)/m.exec((await shell(page, 'cat /proc/interrupts')).join('\n'))?.[1] ?? NaN);
    const before = await irq1();
    await page.locator('canvas').click();
    await page.keyboard.press('a');
    await page.keyboard.press('Enter');
    let after = await irq1();
    for (let i = 0; i < 10 && after < before + 4; i++) after = await irq1(); // the guest takes its time
    expect(after, `IRQ 1 count before ${before}; terminal:\n${await terminal(page)}`).toBeGreaterThanOrEqual(before + 4); // make and break of two keys
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it.runIf(hasChromium)('pauses, saves, restores and resets the machine from the panel', async () => {
    const { page } = await open('?boot=1');
    await waitTerminal(page, booted, 90_000, 'the shell prompt');
    // the panel's buttons: save (a download, kept for restore), restore (the last save)
    const download = page.waitForEvent('download');
    await page.click('#save');
    expect((await download).suggestedFilename()).toBe('wasmvisor.state');
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('state saved'));
    expect(await shell(page, 'touch /made-after-save && ls /made-after-save')).toContain('/made-after-save');
    await page.click('#restore');
    await page.waitForFunction(() => document.getElementById('status')!.textContent === 'state restored');
    const out = await shell(page, 'ls /made-after-save 2>&1');
    expect(out.join(' ')).toMatch(/No such file/);
    // paused: no instructions retire
    await page.click('#pause');
    await page.waitForTimeout(1200);
    const a = await page.locator('#insns').textContent();
    await page.waitForTimeout(1100);
    expect(await page.locator('#insns').textContent()).toBe(a);
    await page.click('#resume');
    expect(await shell(page, 'echo resumed')).toContain('resumed');
    // reset: the kernel boots again (reloaded as firmware would) to a fresh shell
    const boots = (t: string) => t.split('Linux version').length - 1;
    expect(boots(await terminal(page))).toBe(1);
    await shell(page, 'touch /before-reset');
    await page.click('#reset');
    await waitTerminal(page, (t) => boots(t) === 2 && promptLines(t.slice(t.lastIndexOf('Linux version'))) >= 1, 90_000, 'a second boot');
    expect((await shell(page, 'ls /before-reset 2>&1')).join(' ')).toMatch(/No such file/);
    await page.close();
  }, 150_000);

  /** Boots a ROM picked with the BIOS file input and returns the SHA-256 of the canvas's RGBA
   * pixels once it is the expected one (or the last one after 20 s). */
  async function canvasOf(name: VgaGuest): Promise<{ digest: string; width: number; height: number }> {
    const { page, errors } = await open();
    await page.fill('#kernel-url', '');
    await page.fill('#initrd-url', '');
    await page.setInputFiles('#bios-file', join(VGA_GUEST_DIR, `${name}.bin`));
    await page.click('#boot');
    await page.evaluate(() => (window as unknown as PageWindow).wasmvisor.display.holdBlink(true));
    const want = VGA_GUESTS[name];
    const deadline = Date.now() + 20_000;
    let got = { digest: '', width: 0, height: 0 };
    while (Date.now() < deadline) {
      await page.waitForTimeout(200);
      got = await page.evaluate(async () => {
        const c = document.querySelector('canvas')!;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', d));
        return { width: c.width, height: c.height, digest: Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('') };
      });
      if (got.digest === want.sha256) break;
    }
    expect(errors).toEqual([]);
    await page.close();
    return got;
  }

  for (const name of Object.keys(VGA_GUESTS) as VgaGuest[]) {
    it.runIf(hasChromium)(`the canvas shows ${name}'s screen pixel for pixel`, async () => {
      const got = await canvasOf(name);
      expect([got.width, got.height]).toEqual([VGA_GUESTS[name].width, VGA_GUESTS[name].height]);
      expect(got.digest).toBe(VGA_GUESTS[name].sha256);
    }, 60_000);
  }

  it.runIf(hasChromium)('a disk image picked with the file input: the ata-read ROM reads and writes it (COM1 in the terminal)', async () => {
    const { page, errors } = await open();
    await page.fill('#kernel-url', '');
    await page.fill('#initrd-url', '');
    await page.setInputFiles('#bios-file', ATA_ROM);
    const img = ataImage();
    await page.setInputFiles('#disk-file', { name: 'disk.img', mimeType: 'application/octet-stream', buffer: Buffer.from(img) });
    await page.click('#boot');
    const text = await waitTerminal(page, (t) => /^done$/m.test(t), 20_000, 'the ata-read ROM\'s output');
    const lines = text.split('\n').map((l) => l.trimEnd());
    const at = lines.findIndex((l) => l.startsWith('model: '));
    expect(lines[at]).toBe('model: WASMVISOR HARDDISK');
    expect(lines.slice(at + 1, at + 1 + ataExpected(img).length)).toEqual(ataExpected(img));
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  const hasBiosBoot = hasChromium && haveSeabios() && haveSyslinuxTools();
  it.runIf(hasBiosBoot)('SeaBIOS with its VGA BIOS boots a SYSLINUX disk picked in the page: Linux in the terminal, the BIOS on the canvas', async () => {
    const { page, errors } = await open();
    await page.fill('#kernel-url', '');
    await page.fill('#initrd-url', '');
    await page.setInputFiles('#bios-file', SEABIOS);
    await page.setInputFiles('#vgabios-file', VGABIOS);
    await page.setInputFiles('#disk-file', { name: 'syslinux.img', mimeType: 'application/octet-stream', buffer: Buffer.from(syslinuxDisk()) });
    await page.fill('#cmdline', '');
    await page.click('#boot');
    await waitTerminal(page, booted, 120_000, 'the shell prompt of the Linux that SYSLINUX loaded');
    const out = await shell(page, 'cat /proc/cmdline');
    expect(out).toEqual(expect.arrayContaining(['BOOT_IMAGE=bzImage console=ttyS0 initrd=initrd']));
    // the canvas shows what SeaBIOS printed through SeaVGABIOS: not one colour
    const colours = await page.evaluate(() => {
      const c = document.querySelector('canvas')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 4) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      return seen.size;
    });
    expect(colours).toBeGreaterThan(1);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it.runIf(hasChromium)('reports bad images in the page instead of hanging', async () => {
    const cases: [string, (p: Page) => Promise<void>, RegExp][] = [
      ['a missing URL', (p) => p.fill('#kernel-url', 'images/no-such-kernel'), /no-such-kernel: HTTP 404/],
      ['not a kernel', async (p) => {
        await p.fill('#kernel-url', '');
        await p.setInputFiles('#kernel-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, not a kernel\n'.repeat(100)) });
      }, /notes\.txt: .+/],
      ['a truncated bzImage', async (p) => {
        await p.fill('#kernel-url', '');
        await p.setInputFiles('#kernel-file', { name: 'bzImage-cut', mimeType: 'application/octet-stream', buffer: readFileSync('images/bzImage').subarray(0, 100_000) });
      }, /bzImage-cut: .*(truncated|short|past the end|overrun)/i],
      ['a disk image that is not whole sectors', (p) => p.setInputFiles('#disk-file', { name: 'odd.img', mimeType: 'application/octet-stream', buffer: Buffer.alloc(1000) }),
        /odd\.img: disk image of 1000 bytes: not a whole number of 512-byte sectors/],
    ];
    for (const [what, setup, message] of cases) {
      const { page } = await open();
      await setup(page);
      await page.click('#boot');
      await page.waitForFunction(() => document.getElementById('status')!.className === 'error', undefined, { timeout: 20_000 });
      const text = await status(page);
      console.log(`browser: ${what}: ${text}`);
      expect(text, what).toMatch(message);
      await page.close();
    }
  }, 90_000);
});
