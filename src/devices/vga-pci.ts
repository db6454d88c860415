/**
 * The VGA's PCI function, as QEMU's "std" VGA: 1234:1111 (the Bochs/QEMU display ids), class
 * 0300 (VGA-compatible controller), subsystem 1af4:1100, with BAR0 the prefetchable linear
 * framebuffer (all of video memory). The VGA maps the framebuffer as RAM wherever the BAR
 * decodes (onBarChange -> Vga.setLfb). Bochs VBE drivers (Linux's bochs-drm, vesafb through a
 * BIOS) find the framebuffer here. With a VGA BIOS image (e.g. Debian's vgabios-stdvga.bin for
 * SeaBIOS) the function has it as its expansion ROM, where firmware looks for the option ROM.
 */
import type { Logger } from './device.js';
import { PciFunctionBase } from './pci.js';
import type { Vga } from './vga.js';

export class VgaPci extends PciFunctionBase {
  constructor(dev: number, private readonly vga: Vga, opts: { log?: Logger; rom?: Uint8Array } = {}) {
    super('vga-pci', 0, dev, 0, opts.log);
    this.romImage = opts.rom;
    this.onBarChange = (bar, base) => {
      if (bar === 0) this.vga.setLfb(base);
    };
    this.reset();
  }

  protected setup(): void {
    this.ids(0x1234, 0x1111, 0x02, 0x030000);
    this.set16(0x2c, 0x1af4); // subsystem vendor
    this.set16(0x2e, 0x1100); // subsystem
    this.defineBar(0, { type: 'mem', size: this.vga.vramSize, prefetchable: true });
    if (this.romImage) this.defineRom(this.romImage);
  }

  private romImage: Uint8Array | undefined;
}
