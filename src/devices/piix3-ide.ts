/**
 * The PIIX3's IDE function (Intel 82371SB datasheet, function 1: 8086:7010, class 0101) in
 * legacy (compatibility) mode, at 00:01.1 beside the ISA bridge, so that a guest's PCI IDE
 * driver (Linux's ata_piix) finds the primary channel that src/devices/ata.ts emulates at its
 * fixed ISA addresses (1F0h-1F7h, 3F6h, IRQ 14).
 *
 * Registers: PCICMD with I/O decode and bus master enable on (as firmware leaves them),
 * programming interface 80h (legacy mode for both channels, bus-master capable), BMIBA (BAR4,
 * offset 20h: 16 bytes of I/O space for the Bus Master IDE registers of src/devices/bmide.ts;
 * the machine assigns it as a BIOS would and follows the guest's reprogramming through
 * onBarChange), IDETIM (40h-43h) with the primary channel's IDE Decode Enable (bit 15) set and
 * the secondary's clear (there is no secondary channel), SIDETIM (44h). Deviations: the command
 * register's I/O bit and the decode-enable bits do not switch the legacy ports off (the I/O bit
 * does switch BMIBA off); the timing registers (IDETIM, SIDETIM, UDMACTL does not exist on the
 * PIIX3) are stored and change nothing.
 */
import type { Logger } from './device.js';
import { PCI_COMMAND_MASTER, PciFunctionBase } from './pci.js';

export class Piix3Ide extends PciFunctionBase {
  constructor(opts: { dev?: number; log?: Logger } = {}) {
    super('piix3-ide', 0, opts.dev ?? 1, 1, opts.log);
    this.reset();
  }

  protected setup(): void {
    this.ids(0x8086, 0x7010, 0x00, 0x010180);
    this.set16(0x04, 0x0005); // I/O space, bus master
    this.defineBar(4, { type: 'io', size: 16 }); // BMIBA
    this.set16(0x06, 0x0280); // fast back-to-back, medium DEVSEL
    this.set16(0x40, 0x8000); // IDETIM primary: IDE decode enabled
    this.set16(0x42, 0x0000); // IDETIM secondary: off
    this.set8(0x44, 0x00); // SIDETIM
  }

  /** PCICMD's Bus Master Enable. */
  get busMaster(): boolean {
    return (this.command & PCI_COMMAND_MASTER) !== 0;
  }
}
