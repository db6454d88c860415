/**
 * The PC: a Machine with the devices of an i440FX/PIIX3 board, the embedding API for Node and
 * the browser. In the core (no exits): the two 8259A PICs and the 8254 PIT. In the host, one
 * device per file (src/devices/): four 16550A UARTs, the MC146818 RTC/CMOS, the i8042 with a
 * PS/2 keyboard, port 0x92, PCI configuration mechanism #1 with the i440FX host bridge, the
 * PIIX3 ISA bridge (with the 0xCF9 reset register) and QEMU's pvpanic-pci, POST port 0x80,
 * and optionally QEMU's isa-debug-exit and ATA hard disks on the primary IDE channel
 * (1F0h/3F6h, IRQ 14; its geometry in CMOS as a BIOS would set it up; the PIIX3 IDE function
 * 00:01.1 in legacy mode, with bus-master DMA at its BAR4, C000h as a BIOS assigns it). A kernel
 * (bzImage, PVH vmlinux or Multiboot) boots directly through src/loaders; a -bios ROM starts
 * at the reset vector.
 *
 *   const pc = await Pc.create({ kernel, initrd, cmdline: 'console=ttyS0', memory: 64 << 20,
 *                                serial: [(b) => process.stdout.write(b)] });
 *   pc.sendSerial(new TextEncoder().encode('uname -a\n'));
 *   const stop = pc.machine.run();
 */
import { Machine, type MachineOptions } from './machine.js';
import type { IrqLine, Logger } from './devices/device.js';
import { Uart16550, COM_PORTS, type ByteSink } from './devices/uart16550.js';
import { Rtc } from './devices/rtc.js';
import { I8042 } from './devices/i8042.js';
import { Port92 } from './devices/port92.js';
import { PciHost, I440fx, Piix3 } from './devices/pci.js';
import { PvPanic } from './devices/pvpanic.js';
import { DebugExit } from './devices/debug-exit.js';
import { PostCodePort, DelayPorts } from './devices/post.js';
import { MmioBus } from './devices/mmio.js';
import { Vga, type VramHost } from './devices/vga.js';
import { VgaPci } from './devices/vga-pci.js';
import { AtaChannel } from './devices/ata.js';
import { DiskImage } from './devices/disk-image.js';
import { Piix3Ide } from './devices/piix3-ide.js';
import { BusMasterIde } from './devices/bmide.js';
import { P_RAM, type Core } from './core.js';
import { loadKernel } from './loaders/detect.js';
import type { BootModule } from './loaders/multiboot.js';
import type { BootPlan } from './loaders/plan.js';
import { applyBootPlan } from './boot.js';

export interface PcOptions {
  /** Guest RAM in bytes (default 128 MiB). */
  memory?: number;
  /** A firmware ROM; the CPU starts at its reset vector (ignored for the entry when a kernel is given). */
  bios?: Uint8Array;
  /** A VGA BIOS for the VGA's PCI expansion ROM, where firmware (SeaBIOS) finds it: e.g. Debian's
   * /usr/share/seabios/vgabios-stdvga.bin, which drives this VGA (Bochs VBE, 1234:1111). */
  vgaBios?: Uint8Array;
  /** A kernel to boot directly: bzImage, PVH ELF vmlinux or Multiboot image. */
  kernel?: Uint8Array;
  /** The Linux/PVH initrd, or a single Multiboot module. */
  initrd?: Uint8Array;
  /** Multiboot modules. */
  modules?: BootModule[];
  /** The kernel command line. */
  cmdline?: string;
  /** Name of the kernel file (Multiboot puts it before the command line, as QEMU does). */
  kernelName?: string;
  /** Where each COM port's output goes (index 0 = COM1); missing entries are not connected. */
  serial?: (ByteSink | undefined)[];
  /** Video memory of the VGA in bytes, a power of two of at least 256 KiB (default 8 MiB). */
  vgaMemory?: number;
  /** QEMU's isa-debug-exit device (-device isa-debug-exit[,iobase=..,iosize=..]). */
  debugExit?: { iobase?: number; iosize?: number };
  /** A raw hard disk image for the primary IDE master (a whole number of 512-byte sectors).
   * The bytes are not modified: the guest's writes stay in the DiskImage's overlay
   * (pc.ata.disk(0).changed(), .bytes()). */
  disk?: Uint8Array | DiskImage;
  /** A disk image for the primary IDE slave (device 1). */
  slaveDisk?: Uint8Array | DiskImage;
  /** Bus-master DMA's modelled rate in bytes per second of guest time (default 33 MB/s, see
   * src/devices/bmide.ts); 0 completes each transfer at the next device service. */
  dmaRate?: number;
  /** RTC time at guest time 0, seconds since the Unix epoch (default 2000-01-01T00:00:00Z). */
  rtcEpoch?: number;
  /** A reset (8042 pulse, 0x92, 0xCF9, triple fault) stops the VM instead of rebooting. */
  noReboot?: boolean;
  deterministic?: boolean;
  idle?: MachineOptions['idle'];
  /** Buffered I/O (MachineOptions.bufferedIo; default true). */
  bufferedIo?: boolean;
  stats?: boolean;
  /** The core's memory is a SharedArrayBuffer (MachineOptions.sharedMemory). */
  sharedMemory?: boolean;
  log?: Logger;
}

/** Where firmware would put PCI memory BARs: below the I/O APIC's 0xFEC00000, as SeaBIOS does. */
const PCI_MMIO_BASE = 0xfebf0000;
/** The VGA's linear framebuffer BAR, where SeaBIOS puts QEMU's. */
const VGA_LFB_BASE = 0xfd000000;
/** BMIBA as a BIOS assigns it (the I/O space above the ISA devices). */
const BMIBA_DEFAULT = 0xc000;

/** Video memory as wasm memory grown past guest RAM; the VGA maps guest pages onto it through the
 * core's page map, so that the guest writes it as RAM and a display reads it directly. */
function growVram(core: Core, size: number): VramHost {
  if (size < 0x40000 || (size & (size - 1)) !== 0) throw new Error(`VGA memory of ${size} bytes: a power of two of at least 256 KiB`);
  const mem = core.exports.memory;
  const offset = mem.buffer.byteLength;
  try {
    mem.grow(size >>> 16);
  } catch {
    throw new Error(`cannot allocate ${size} bytes of VGA memory`);
  }
  core.refresh();
  let view = new Uint8Array(mem.buffer, offset, size);
  return {
    vram: () => (view.buffer === mem.buffer ? view : (view = new Uint8Array(mem.buffer, offset, size))),
    map: (phys, bytes, off) => core.exports.mapPages(phys, bytes, off === undefined ? 0 : offset + off, off === undefined ? 0 : P_RAM),
  };
}

/** The hard disks in CMOS as an AT BIOS's setup leaves them: type 47 (user-defined, through
 * the extended type bytes 19h/1Ah) with the geometry at 1Bh-23h for drive 0 and 24h-2Ch for
 * drive 1 (cylinders, heads, write precompensation none, control byte, landing zone, sectors
 * per track). */
function setCmosDisks(rtc: Rtc, geo: ({ cylinders: number; heads: number; spt: number } | undefined)[]): void {
  const set = (i: number, v: number) => rtc.setCmosByte(i, v);
  set(0x12, (geo[0] ? 0xf0 : 0) | (geo[1] ? 0x0f : 0)); // type 15: see 19h / 1Ah
  geo.forEach((g, n) => {
    if (!g) return;
    const at = n === 0 ? 0x1b : 0x24;
    set(0x19 + n, 47);
    set(at, g.cylinders & 0xff);
    set(at + 1, g.cylinders >> 8);
    set(at + 2, g.heads);
    set(at + 3, 0xff); // no write precompensation
    set(at + 4, 0xff);
    set(at + 5, 0xc0 | (g.heads > 8 ? 0x08 : 0)); // no retries; more than 8 heads
    set(at + 6, g.cylinders & 0xff); // landing zone
    set(at + 7, g.cylinders >> 8);
    set(at + 8, g.spt);
  });
}

export class Pc {
  readonly uarts: Uart16550[] = [];
  readonly rtc: Rtc;
  readonly kbc: I8042;
  readonly port92: Port92;
  readonly pci: PciHost;
  readonly pvpanic: PvPanic;
  readonly mmio: MmioBus;
  readonly vga: Vga;
  /** The primary IDE channel, when a disk was given. */
  readonly ata: AtaChannel | undefined;
  /** Its bus master (BMIBA, BAR4 of the PIIX3 IDE function) and that function. */
  readonly bmide: BusMasterIde | undefined;
  readonly ide: Piix3Ide | undefined;
  readonly plan: BootPlan | undefined;

  private constructor(readonly machine: Machine, opts: PcOptions) {
    const m = machine;
    const log = opts.log ?? (() => {});
    m.noReboot = opts.noReboot ?? false;
    this.mmio = new MmioBus(log);
    m.core.mmio = this.mmio;
    COM_PORTS.forEach((p, i) => {
      const sink = opts.serial?.[i];
      const u = new Uart16550(p.name, p.base, m.irq(p.irq), m.clock, { ...(sink ? { sink } : {}), log });
      this.uarts.push(u);
      m.attach(u);
    });
    // the equipment byte reports the coprocessor the CPUID policy advertises
    const fpu = (m.cpuid.features & 1) !== 0;
    this.rtc = new Rtc(m.irq(8), m.clock, { memory: m.ramBytes, epoch: opts.rtcEpoch ?? 946684800, fpu, log });
    m.attach(this.rtc);
    let kbcA20 = true;
    let p92A20 = false;
    const a20 = () => m.setA20(kbcA20 || p92A20);
    this.kbc = new I8042(m.irq(1), m.irq(12), {
      onReset: () => m.requestReset('i8042 reset pulse'),
      onA20: (on) => { kbcA20 = on; a20(); },
      log,
    });
    m.attach(this.kbc);
    this.port92 = new Port92({
      onA20: (on) => { p92A20 = on; a20(); },
      onReset: () => m.requestReset('port 0x92 fast reset'),
      log,
    });
    m.attach(this.port92);
    this.pci = new PciHost({ onReset: (hard) => m.requestReset(`0xCF9 ${hard ? 'hard' : 'soft'} reset`), log });
    const i440fx = new I440fx({ log });
    // PAM0-PAM6: shadow RAM of 0xC0000-0xFFFFF (82441FX datasheet, PAM registers): per region
    // bit 0/4 RE (reads from DRAM) and bit 1/5 WE (writes to DRAM)
    i440fx.onPamChange = (i, v) => {
      const regions: [number, number][] = i === 0 ? [[0xf0000, v >> 4]] : [[0xc0000 + (i - 1) * 0x8000, v & 0xf], [0xc4000 + (i - 1) * 0x8000, v >> 4]];
      for (const [base, bits] of regions) {
        m.setShadow(base, i === 0 ? 0x10000 : 0x4000, bits & 1 ? (bits & 2 ? 'ram' : 'ram-ro') : 'rom');
      }
    };
    this.pci.add(i440fx);
    this.pci.add(new Piix3({ log }));
    this.pvpanic = new PvPanic(2, {
      onPanic: () => m.requestStop('panic', 'the guest kernel panicked (pvpanic)'),
      onCrashLoaded: () => log('pvpanic: the guest loaded a crash kernel'),
      log,
    });
    this.pvpanic.assignBar(0, PCI_MMIO_BASE);
    this.pci.add(this.pvpanic);
    const pv = this.pvpanic.mmio;
    this.mmio.add({
      name: 'pvpanic',
      get base() { return pv.base; }, // follows the BAR
      size: pv.size,
      read: (o, s) => pv.read(o, s),
      write: (o, s, v) => pv.write(o, s, v),
    });
    this.vga = new Vga(growVram(m.core, opts.vgaMemory ?? 8 << 20), { log });
    m.attach(this.vga);
    this.mmio.add(this.vga.mmio);
    const vgaPci = new VgaPci(3, this.vga, { log, ...(opts.vgaBios ? { rom: opts.vgaBios } : {}) });
    vgaPci.assignBar(0, VGA_LFB_BASE);
    this.pci.add(vgaPci);
    const vgaRom = vgaPci.romRegion();
    if (vgaRom) this.mmio.add(vgaRom);
    m.attach(this.pci);
    m.attach(new PostCodePort({ log }));
    m.attach(new DelayPorts());
    if (opts.disk || opts.slaveDisk) {
      const image = (d: Uint8Array | DiskImage | undefined) => (d === undefined || d instanceof DiskImage ? d : new DiskImage(d));
      // IRQ 14 passes the bus master, whose BMISTA.Interrupt follows it
      const irq14: IrqLine = { set: (l) => bmIrq.set(l) };
      this.ata = new AtaChannel(irq14, [image(opts.disk), image(opts.slaveDisk)], { log });
      const ide = new Piix3Ide({ log }); // 00:01.1, legacy mode: how a PCI IDE driver finds the channel
      const bm = new BusMasterIde(this.ata, { read: (a, n) => m.dmaRead(a, n), write: (a, b) => m.dmaWrite(a, b) }, m.clock, {
        ...(opts.dmaRate !== undefined ? { rate: opts.dmaRate } : {}),
        busMaster: () => ide.busMaster,
        log,
      });
      const bmIrq = bm.irqLine(m.irq(14));
      this.bmide = bm;
      m.attach(this.ata);
      m.attach(bm);
      ide.onBarChange = (i, base) => {
        if (i !== 4) return;
        bm.setBase(base);
        m.bus.remap(bm, bm.ports);
      };
      ide.assignBar(4, BMIBA_DEFAULT);
      setCmosDisks(this.rtc, [this.ata.geometry(0), this.ata.geometry(1)]);
      this.pci.add(ide);
      this.ide = ide;
    }
    if (opts.debugExit) {
      m.attach(new DebugExit({ ...opts.debugExit, onExit: (status) => m.requestStop('exit', `isa-debug-exit: status ${status}`, status) }));
    }
    if (opts.kernel) {
      this.plan = loadKernel(opts.kernel, {
        ramBytes: m.ramBytes,
        ...(opts.cmdline !== undefined ? { cmdline: opts.cmdline } : {}),
        ...(opts.initrd ? { initrd: opts.initrd } : {}),
        ...(opts.modules ? { modules: opts.modules } : {}),
        ...(opts.kernelName !== undefined ? { kernelName: opts.kernelName } : {}),
      });
      for (const n of this.plan.notes) log(`boot: ${n}`);
      applyBootPlan(m, this.plan);
    }
    const plan = this.plan;
    m.onReset = () => {
      m.setShadow(0xc0000, 0x40000, 'rom'); // PAM registers at their reset value 0: the ROM
      vgaPci.assignBar(0, VGA_LFB_BASE); // as firmware would
      this.ide?.assignBar(4, BMIBA_DEFAULT);
      kbcA20 = true;
      p92A20 = false;
      if (plan) applyBootPlan(m, plan); // as firmware would, the kernel is loaded again
    };
  }

  static async create(opts: PcOptions = {}): Promise<Pc> {
    const mo: MachineOptions = {};
    if (opts.memory !== undefined) mo.memory = opts.memory;
    if (opts.bios) mo.bios = opts.bios;
    if (opts.deterministic !== undefined) mo.deterministic = opts.deterministic;
    if (opts.idle) mo.idle = opts.idle;
    if (opts.bufferedIo !== undefined) mo.bufferedIo = opts.bufferedIo;
    if (opts.stats) mo.stats = opts.stats;
    if (opts.sharedMemory) mo.sharedMemory = true;
    if (opts.log) mo.log = opts.log;
    return new Pc(await Machine.create(mo), opts);
  }

  /** Bytes typed into a serial port (default COM1). */
  sendSerial(bytes: Uint8Array, port = 0): void {
    this.uarts[port]!.receive(bytes);
    this.machine.timersChanged();
  }
}
