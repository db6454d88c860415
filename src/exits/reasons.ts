/** Basic VM-exit reasons (Intel SDM Vol. 3C, appendix C) that the core produces. */
export const ExitReason = {
  EXCEPTION_OR_NMI: 0,
  TRIPLE_FAULT: 2,
  INTERRUPT_WINDOW: 7,
  CPUID: 10,
  HLT: 12,
  RDTSC: 16,
  VMCALL: 18,
  CR_ACCESS: 28,
  IO_INSTRUCTION: 30,
  RDMSR: 31,
  WRMSR: 32,
  EPT_VIOLATION: 48,
  PREEMPTION_TIMER: 52,
} as const;

export const EXIT_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ExitReason).map(([k, v]) => [v, k]),
);

export function exitName(reason: number): string {
  return EXIT_NAMES[reason] ?? `REASON_${reason}`;
}

/** EXIT_PENDING values (assembly/cpu/exec.ts). */
export const PENDING_REPLAY = 1;
export const PENDING_SKIP = 2;

/** What an exit handler tells the run loop. */
export type ExitAction = { stop: false } | { stop: true; why: StopWhy; message?: string; waitNs?: number };
/** halted: HLT with interrupts off (a guest's power-off); wait: halted until a timer (waitNs)
 * or external event (idle 'sleep' mode); reset: the guest reset the machine under -no-reboot;
 * exit: isa-debug-exit; panic: the guest reported a panic (pvpanic); yield: Machine.run's
 * host-time slice ended (the guest goes on at the next run). */
export type StopWhy = 'halted' | 'triple-fault' | 'limit' | 'exception' | 'idle' | 'shutdown' | 'error' | 'wait' | 'reset' | 'exit' | 'panic' | 'yield';

export const CONTINUE: ExitAction = { stop: false };
