// Faults and exits abort the current instruction. Handlers test `aborted` after any access that
// can fail and return at once; the run loop (cpu/exec.ts) then delivers the fault or returns the
// exit. EIP in memory still holds the start of the instruction, so nothing needs undoing except
// ESP, which the loop restores.
export let aborted: bool = false;
export let faultVector: i32 = -1; // pending exception, or -1
export let faultError: i32 = -1; // its error code, or -1 for none
export let exitReason: i32 = -1; // a VM exit requested by the instruction, or -1

// exception vectors (SDM Vol. 3A 6.3.1)
export const DE: u32 = 0;
export const DB: u32 = 1;
export const NMI: u32 = 2;
export const BP: u32 = 3;
export const OF: u32 = 4;
export const BR: u32 = 5;
export const UD: u32 = 6;
export const NM: u32 = 7;
export const DF: u32 = 8;
export const TS: u32 = 10;
export const NP: u32 = 11;
export const SS_: u32 = 12;
export const GP: u32 = 13;
export const PF: u32 = 14;
export const MF: u32 = 16;
export const AC: u32 = 17;
export const XM: u32 = 19; // SIMD floating-point exception

export function raise(vector: u32, error: i32): void {
  if (aborted) return; // the first fault wins
  aborted = true;
  faultVector = <i32>vector;
  faultError = error;
}
export function ud(): void { raise(UD, -1); }
export function gp(error: u32): void { raise(GP, <i32>error); }

export function requestExit(reason: u32): void {
  aborted = true;
  exitReason = <i32>reason;
}

export function clearAbort(): void {
  aborted = false;
  faultVector = -1;
  faultError = -1;
  exitReason = -1;
}
