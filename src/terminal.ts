/**
 * The host terminal as a serial console, as QEMU's -nographic / -serial stdio: a TTY goes into
 * raw mode and every key goes to the guest, except the escape Ctrl-A followed by x (quit),
 * Ctrl-A (send one Ctrl-A), h (help); a pipe is read as it is, and its end is reported.
 */
export interface TerminalOptions {
  input: NodeJS.ReadStream;
  output: (bytes: Uint8Array) => void;
  onData: (bytes: Uint8Array) => void;
  onQuit: () => void;
  onEnd?: () => void;
}

const CTRL_A = 0x01;

export class Terminal {
  private escape = false;
  private readonly raw: boolean;
  ended = false;
  private readonly listener = (chunk: Buffer) => this.data(chunk);
  private readonly endListener = () => {
    this.ended = true;
    this.opts.onEnd?.();
  };

  constructor(private readonly opts: TerminalOptions) {
    const input = opts.input;
    this.raw = !!input.isTTY && typeof input.setRawMode === 'function';
    if (this.raw) input.setRawMode(true);
    input.on('data', this.listener);
    input.on('end', this.endListener);
    input.resume();
  }

  private data(chunk: Buffer): void {
    if (!this.raw) {
      this.opts.onData(new Uint8Array(chunk));
      return;
    }
    const out: number[] = [];
    for (const b of chunk) {
      if (this.escape) {
        this.escape = false;
        if (b === 0x78 || b === 0x58) { // x
          this.flush(out);
          this.opts.onQuit();
          return;
        }
        if (b === CTRL_A) out.push(CTRL_A);
        else if (b === 0x68) this.opts.output(new TextEncoder().encode('\r\nC-a h    print this help\r\nC-a x    exit wasmvisor\r\nC-a C-a  send C-a\r\n'));
        continue;
      }
      if (b === CTRL_A) this.escape = true;
      else out.push(b);
    }
    this.flush(out);
  }

  private flush(out: number[]): void {
    if (out.length) this.opts.onData(Uint8Array.from(out));
  }

  close(): void {
    const input = this.opts.input;
    input.off('data', this.listener);
    input.off('end', this.endListener);
    if (this.raw) input.setRawMode(false);
    input.pause();
  }
}
