/**
 * The page's side of the display: renders the VGA registers the worker publishes in the display
 * buffer and video memory, read in the core's shared memory (protocol.ts), onto a canvas, once
 * per animation frame when the worker's frame counter has moved or text blinks; and sends the
 * canvas's key events to the guest's keyboard (by KeyboardEvent.code: the i8042 makes scancodes).
 */
import { Renderer } from '../display/render.js';
import { decodeMode } from '../display/vga-state.js';
import * as P from './protocol.js';

const BLINK_MS = 267; // the VGA blinks text at about 1.9 Hz (cursor twice as fast; one rate here)

export class CanvasDisplay {
  private readonly renderer = new Renderer();
  private readonly header: Int32Array;
  private readonly regs: Uint8Array;
  private vram: Uint8Array | undefined;
  private seen = -1;
  private blinkOn = true;
  private raf = 0;
  private readonly ctx: CanvasRenderingContext2D;
  private image: ImageData | undefined;
  private lastBlink = 0;
  private blinkHold: boolean | undefined;

  constructor(readonly canvas: HTMLCanvasElement, buffer: SharedArrayBuffer, private readonly onKey: (code: string, down: boolean) => void) {
    this.header = new Int32Array(buffer, 0, P.D_HEADER_BYTES / 4);
    this.regs = new Uint8Array(buffer, P.D_REGS, P.D_REGS_SIZE);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    canvas.tabIndex = 0;
    canvas.addEventListener('keydown', this.keydown);
    canvas.addEventListener('keyup', this.keyup);
    canvas.addEventListener('pointerdown', () => canvas.focus());
    this.raf = requestAnimationFrame(this.frame);
  }

  private readonly keydown = (e: KeyboardEvent) => {
    e.preventDefault();
    this.onKey(e.code, true); // auto-repeat arrives as repeated makes, as from a PS/2 keyboard
  };

  private readonly keyup = (e: KeyboardEvent) => {
    e.preventDefault();
    this.onKey(e.code, false);
  };

  /** Video memory, once the worker has said where it is. */
  setVideoMemory(vram: Uint8Array): void {
    this.vram = vram;
    this.seen = -1;
  }

  private readonly frame = (t: number) => {
    this.raf = requestAnimationFrame(this.frame);
    if (!this.vram) return;
    const n = Atomics.load(this.header, P.D_FRAME);
    let dirty = n !== this.seen;
    if (this.blinkHold === undefined && t - this.lastBlink >= BLINK_MS) {
      this.lastBlink = t;
      this.blinkOn = !this.blinkOn;
      dirty ||= n > 0 && decodeMode(this.regs).kind === 'text'; // only text blinks
    }
    if (!dirty) return;
    this.seen = n;
    this.draw();
  };

  /** Renders the current state now. */
  draw(): void {
    if (!this.vram) return;
    const f = this.renderer.render(this.regs, this.vram, { blinkOn: this.blinkHold ?? this.blinkOn });
    if (this.canvas.width !== f.width || this.canvas.height !== f.height) {
      this.canvas.width = f.width;
      this.canvas.height = f.height;
    }
    if (!this.image || this.image.width !== f.width || this.image.height !== f.height) this.image = new ImageData(f.width, f.height);
    this.image.data.set(f.rgba);
    this.ctx.putImageData(this.image, 0, 0);
  }

  /** Holds blinking text and the cursor in one phase (true: shown), for stable screenshots. */
  holdBlink(on: boolean | undefined): void {
    this.blinkHold = on;
    this.seen = -1; // redraw at the next frame
  }

  destroy(): void {
    cancelAnimationFrame(this.raf);
    this.canvas.removeEventListener('keydown', this.keydown);
    this.canvas.removeEventListener('keyup', this.keyup);
  }
}
