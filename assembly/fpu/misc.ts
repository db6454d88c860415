// FPREM, FPREM1, FSCALE, FXTRACT (SDM Vol. 2 instruction pages).
export function fprem(ieee: bool): void {}
export function fscale(): void {}
export function fxtract(): void {}
