// The one declaration of where the core keeps its state in wasm linear memory.
// tools/gen.mjs turns it into assembly/gen/layout.ts (constants for the core) and
// src/gen/layout.ts (offsets and typed field tables for the host); test/layout.test.ts
// checks that both agree and are current.
//
//  wasm linear memory
//  0x0000_0000 +------------------------------+
//              | CPU state: GPRs, EIP, flags, |  STATE (4 KiB): registers, segment caches,
//              | segment caches, CRs, DRs,    |  control registers, the exit record, the
//              | exit record, controls,       |  VMCS-like controls and the counters
//              | counters                     |
//  0x0000_1000 +------------------------------+
//              | I/O bitmap, 64 Ki bits       |  1 = an access to that port exits (reason 30)
//  0x0000_3000 +------------------------------+
//              | MSR bitmap (VMX layout)      |  1 = RDMSR/WRMSR of that MSR exits (31/32)
//  0x0000_4000 +------------------------------+
//              | core device state (PIC, PIT) |  reserved for the in-core devices
//  0x0000_E000 +------------------------------+
//              | buffered I/O read stream     |  the next bytes a port returns (an ATA sector)
//  0x0001_0000 +------------------------------+
//              | TLB valid-page list          |  linear pages with a live TLB entry
//  0x0010_0000 +------------------------------+
//              | soft TLB, 1 Mi x u32         |  by linear page: (wasm page ^ linear page) | flags
//  0x0050_0000 +------------------------------+
//              | physical page map, 1 Mi x u32|  by physical page: wasm page address | type
//  0x0090_0000 +------------------------------+
//              | ROM image (up to 1 MiB)      |  mapped below 1 MiB and below 4 GiB
//  0x00A0_0000 +------------------------------+
//              | (reserved: decode cache)     |
//  0x00F0_0000 +------------------------------+
//              | AssemblyScript static data   |  lookup tables (asconfig.json memoryBase)
//  0x0100_0000 +------------------------------+
//              | guest RAM                    |  guest physical 0 .. ramSize
//              +------------------------------+

export const regions = [
  { name: 'STATE', base: 0x0000_0000, size: 0x1000 },
  { name: 'IO_BITMAP', base: 0x0000_1000, size: 0x2000 },
  { name: 'MSR_BITMAP', base: 0x0000_3000, size: 0x1000 },
  { name: 'DEVICES', base: 0x0000_4000, size: 0xA000 },
  { name: 'BUFIO_STREAM', base: 0x0000_E000, size: 0x2000 },
  { name: 'TLB_LIST', base: 0x0001_0000, size: 0x000F_0000 },
  { name: 'TLB', base: 0x0010_0000, size: 0x0040_0000 },
  { name: 'PMAP', base: 0x0050_0000, size: 0x0040_0000 },
  { name: 'ROM', base: 0x0090_0000, size: 0x0010_0000 },
  { name: 'CODE_CACHE', base: 0x00A0_0000, size: 0x0050_0000 },
  { name: 'AS_DATA', base: 0x00F0_0000, size: 0x0010_0000 },
  { name: 'RAM', base: 0x0100_0000, size: 0 },
];

// Fields of STATE: [name, type, count, gloss]. Offsets are assigned in order, each aligned
// to its size. Renaming or reordering a field changes the save-state version.
export const fields = [
  // general registers in encoding order: EAX ECX EDX EBX ESP EBP ESI EDI
  ['REGS', 'u32', 8, 'general-purpose registers, encoding order'],
  ['EIP', 'u32', 1, 'instruction pointer'],
  ['EFLAGS', 'u32', 1, 'EFLAGS without the six arithmetic flags while CC_OP is live'],
  ['CC_OP', 'u32', 1, 'lazy flags: which operation last set the arithmetic flags (cpu/flags.ts)'],
  ['CC_DST', 'u32', 1, 'lazy flags: result'],
  ['CC_SRC', 'u32', 1, 'lazy flags: second operand (or the flags themselves for CC_EFLAGS)'],
  ['CC_SRC2', 'u32', 1, 'lazy flags: carry-in or shift count'],
  // segment registers in encoding order ES CS SS DS FS GS, then LDTR and TR
  ['SEG_SEL', 'u32', 8, 'selectors: ES CS SS DS FS GS LDTR TR'],
  ['SEG_BASE', 'u32', 8, 'descriptor cache: base'],
  ['SEG_LIMIT', 'u32', 8, 'descriptor cache: limit in bytes'],
  ['SEG_ATTR', 'u32', 8, 'descriptor cache: attribute bits 8-15 and 20-23 of the descriptor high word'],
  ['GDTR_BASE', 'u32', 1, ''],
  ['GDTR_LIMIT', 'u32', 1, ''],
  ['IDTR_BASE', 'u32', 1, ''],
  ['IDTR_LIMIT', 'u32', 1, ''],
  ['CR', 'u32', 8, 'CR0..CR7 (CR1, CR5-7 unused)'],
  ['DR', 'u32', 8, 'DR0..DR7'],
  ['CPL', 'u32', 1, 'current privilege level'],
  ['EFER', 'u32', 1, 'IA32_EFER (low half): bit 11 NXE'],
  ['MSRS', 'u64', 48, 'model-specific registers kept as storage (assembly/cpu/msr.ts slots)'],
  ['A20_MASK', 'u32', 1, 'AND mask applied to physical addresses (bit 20 clear when the gate is closed)'],
  ['ACTIVITY', 'u32', 1, '0 active, 1 HLT, 2 shutdown'],
  ['SHADOW', 'u32', 1, 'interrupt shadow: 1 after STI, MOV SS, POP SS for one instruction'],
  ['INTR_LINE', 'u32', 1, 'the INTR pin as the host drives it'],
  ['INTR_VECTOR', 'u32', 1, 'vector supplied with INTR (the acknowledge cycle)'],
  ['NMI_PENDING', 'u32', 1, 'an NMI edge waits to be taken'],
  ['NMI_BLOCKED', 'u32', 1, 'in the NMI handler until IRET'],
  ['GUEST_RAM_BYTES', 'u32', 1, 'bytes of guest RAM'],
  ['GUEST_ROM_BYTES', 'u32', 1, 'bytes of the ROM image'],
  // the exit record (SDM Vol. 3C 25.9 and appendix C)
  ['EXIT_REASON', 'u32', 1, 'basic exit reason of the last exit'],
  ['EXIT_QUAL', 'u32', 1, 'exit qualification'],
  ['EXIT_INSN_LEN', 'u32', 1, 'length of the instruction that exited'],
  ['EXIT_GUEST_LINEAR', 'u32', 1, 'guest linear address (string I/O, EPT violation)'],
  ['EXIT_GUEST_PHYS', 'u32', 1, 'guest physical address (EPT violation)'],
  ['EXIT_INTR_INFO', 'u32', 1, 'exit interruption information: vector, type, error-code valid, valid'],
  ['EXIT_INTR_ERROR', 'u32', 1, 'exit interruption error code'],
  ['EXIT_DATA', 'u32', 1, 'I/O data: what OUT wrote, where the host puts what IN reads'],
  ['EXIT_PENDING', 'u32', 1, 'the exiting instruction waits for the host to complete it on resume'],
  ['ENTRY_INTR_INFO', 'u32', 1, 'VM-entry event injection: vector, type, error-code valid, valid (bit 31)'],
  ['ENTRY_INTR_ERROR', 'u32', 1, 'error code for the injected event'],
  // VMCS-like controls, set by the host
  ['CTL_HLT_EXIT', 'u32', 1, 'HLT exits (reason 12)'],
  ['CTL_RDTSC_EXIT', 'u32', 1, 'RDTSC exits (reason 16)'],
  ['CTL_INTWIN_EXIT', 'u32', 1, 'exit (reason 7) as soon as the guest can take an interrupt'],
  ['CTL_EXC_BITMAP', 'u32', 1, 'exceptions whose bit is set exit (reason 0) instead of being delivered'],
  ['CTL_DETERMINISTIC', 'u32', 1, 'guest time derives from the instruction counter'],
  ['CTL_CR0_MASK', 'u32', 1, 'CR0 guest/host mask: bits the host owns (writes that change them exit, reason 28)'],
  ['CTL_CR0_SHADOW', 'u32', 1, 'CR0 read shadow: what the guest reads for the owned bits'],
  ['CTL_CR4_MASK', 'u32', 1, 'CR4 guest/host mask'],
  ['CTL_CR4_SHADOW', 'u32', 1, 'CR4 read shadow'],
  ['TSC_OFFSET', 'u64', 1, 'added to the guest TSC'],
  ['HOST_TSC', 'u64', 1, 'the host clock in TSC ticks, written by the host when not deterministic'],
  // in-core devices (assembly/devices/*.ts)
  ['PIC_ENABLED', 'u32', 1, 'the two 8259A PICs are in the core: 1 they drive INTR, 2 they do not (a diff injects the reference\'s interrupts)'],
  ['PIC', 'u32', 32, 'master (0-15) and slave (16-31) 8259A registers: assembly/devices/pic.ts'],
  ['PIT_ENABLED', 'u32', 1, 'the 8254 PIT and port 61h are in the core'],
  ['PIT', 'u32', 48, '8254 channels 0-2, 16 registers each: assembly/devices/pit.ts'],
  ['PIT_START', 'u64', 3, 'per channel: the PIT tick at which the current count was loaded'],
  ['PIT_PORT61', 'u32', 1, 'port 61h bits 0-1 (timer 2 gate, speaker data)'],
  ['IDLE_NS', 'u64', 1, 'guest time spent halted (deterministic mode): guest ns = ICOUNT + IDLE_NS'],
  ['HOST_DEADLINE', 'u64', 1, 'guest ns of the next host-device event: the run stops there (reason 52); ~0 = none'],
  ['CTL_IDLE_SKIP', 'u32', 1, 'HLT jumps guest time to the next in-core timer event (else it exits, reason 12)'],
  // counters
  ['ICOUNT', 'u64', 1, 'retired instructions (each REP iteration counts once)'],
  ['TLB_HITS', 'u64', 1, 'data accesses the TLB fast path served (counted in the stats build only)'],
  ['TLB_MISSES', 'u64', 1, 'TLB fills by page walk'],
  ['TLB_FLUSH_FULL', 'u64', 1, 'full flushes'],
  ['TLB_FLUSH_ONE', 'u64', 1, 'single-page flushes (INVLPG)'],
  ['PAGE_FAULTS', 'u64', 1, '#PF raised by the page walk'],
  ['EXIT_COUNT', 'u64', 64, 'exits per basic reason'],
  // the x87 FPU (assembly/fpu/*.ts; SDM Vol. 1 chapter 8)
  ['FPU_REGS', 'u64', 16, 'physical registers R0-R7, 16 bytes each: u64 significand, then u16 sign and exponent'],
  ['FPU_CW', 'u32', 1, 'control word'],
  ['FPU_SW', 'u32', 1, 'status word, TOP in bits 13:11'],
  ['FPU_TAG', 'u32', 1, 'abridged tag (FXSAVE form): bit i set = physical register i is not empty'],
  ['FPU_FIP', 'u32', 1, 'last non-control instruction: offset'],
  ['FPU_FCS', 'u32', 1, 'last non-control instruction: CS selector'],
  ['FPU_FOP', 'u32', 1, 'last non-control instruction: opcode (11 bits)'],
  ['FPU_FDP', 'u32', 1, 'its memory operand: offset'],
  ['FPU_FDS', 'u32', 1, 'its memory operand: segment selector'],
  ['MXCSR', 'u32', 1, 'SSE control and status: flags 5:0, DAZ 6, masks 12:7, RC 14:13, FTZ 15'],
  ['FPU_FERR', 'u32', 1, 'the FERR# output (CR0.NE = 0 error reporting); drives IRQ 13 of the in-core PIC'],
  ['FPU_IGNNE', 'u32', 1, 'the IGNNE# input (set by a write to port F0h, cleared when FERR# goes inactive)'],
  // SSE/SSE2 (assembly/simd/*.ts; SDM Vol. 1 chapters 10-11). MM0-MM7 alias FPU_REGS' significands.
  ['XMM', 'u64', 16, 'XMM0-XMM7, 16 bytes each, low quadword first'],
  // buffered I/O (assembly/cpu/io.ts; Xen's buffered ioreq page): written by the host before each
  // entry, drained by it after each exit
  ['BUFIO_PORTS', 'u32', 8, 'fast-path ports: port | 1<<16 byte writes queue | 1<<17 byte reads return bits 31:24; 0 ends the list'],
  ['BUFIO_COUNT', 'u32', 1, 'queued writes in BUFIO_RING'],
  ['BUFIO_FLUSH_NS', 'u32', 1, 'guest ns after the first queued write by which the core exits so the host drains the queue'],
  ['BUFIO_RING', 'u32', 64, 'queued byte writes in order: port << 16 | value'],
  ['BUFIO_WRITES', 'u64', 1, 'byte writes queued instead of exiting'],
  ['BUFIO_READS', 'u64', 1, 'byte reads answered from the shadow value instead of exiting'],
  ['BUFIO_STREAM_PORT', 'u32', 1, 'the port whose reads come from BUFIO_STREAM (bit 16 set), else 0'],
  ['BUFIO_STREAM_LEN', 'u32', 1, 'bytes in BUFIO_STREAM'],
  ['BUFIO_STREAM_POS', 'u32', 1, 'bytes the guest has read from it since the host filled it'],
];
