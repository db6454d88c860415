/**
 * The page's control panel: MIPS, instructions and exits per second by reason (the CLI's
 * --stats figures, live), and the pause / resume / reset / save / restore buttons.
 */
import type { VmStats } from './protocol.js';
import type { Wasmvisor } from './wasmvisor.js';

export class Panel {
  private vm: Wasmvisor | undefined;
  private saved: Uint8Array | undefined;
  private readonly stats: HTMLElement;

  constructor(private readonly root: HTMLElement, private readonly report: (msg: string, error?: boolean) => void) {
    this.stats = root.querySelector('#stats')!;
    const on = (id: string, f: () => void | Promise<void>) =>
      root.querySelector(`#${id}`)!.addEventListener('click', () => {
        if (!this.vm) return this.report('no VM is running', true);
        Promise.resolve(f()).catch((e: unknown) => this.report((e as Error).message, true));
      });
    on('pause', () => this.vm!.pause());
    on('resume', () => this.vm!.resume());
    on('reset', () => this.vm!.reset());
    on('save', async () => {
      this.saved = await this.vm!.save();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([this.saved as Uint8Array<ArrayBuffer>]));
      a.download = 'wasmvisor.state';
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      this.report(`state saved (${(this.saved.length / 1048576).toFixed(1)} MiB)`);
    });
    on('restore', async () => {
      const input = root.querySelector<HTMLInputElement>('#state-file')!;
      const file = input.files?.[0];
      const state = file ? new Uint8Array(await file.arrayBuffer()) : this.saved;
      if (!state) throw new Error('nothing to restore: save first, or choose a state file');
      await this.vm!.restore(state);
      this.report(`state restored${file ? ` from ${file.name}` : ''}`);
    });
  }

  attach(vm: Wasmvisor | undefined): void {
    this.vm = vm;
    this.stats.textContent = '';
  }

  show(s: VmStats): void {
    const rows = s.exits
      .map((e) => `<tr><td>${e.name} (${e.reason})</td><td>${Math.round(e.perSecond).toLocaleString('en')}</td><td>${e.total.toLocaleString('en')}</td><td>${Math.round(e.avgNs).toLocaleString('en')}</td></tr>`)
      .join('');
    this.stats.innerHTML =
      `<div><b id="mips">${s.mips.toFixed(1)}</b> MIPS · <span id="insns">${s.instructions.toLocaleString('en')}</span> instructions · ${s.running ? 'running' : 'paused'}</div>` +
      `<table><thead><tr><th>exit reason</th><th>per second</th><th>total</th><th>avg host ns</th></tr></thead><tbody>${rows}</tbody></table>`;
  }
}
