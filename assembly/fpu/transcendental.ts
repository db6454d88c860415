// F2XM1 FYL2X FYL2XP1 FPTAN FPATAN FSIN FCOS FSINCOS.
export function f2xm1(): void {}
export function fyl2x(): void {}
export function fyl2xp1(): void {}
export function fptan(): void {}
export function fpatan(): void {}
export function fsin(): void {}
export function fcos(): void {}
export function fsincos(): void {}
