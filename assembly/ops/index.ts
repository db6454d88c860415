// Every instruction handler, for the generated dispatcher (assembly/gen/dispatch.ts).
export * from './alu';
export * from './shift';
export * from './muldiv';
export * from './bcd';
export * from './data';
export * from './stack';
export * from './control';
export * from './string';
export * from './io';
export * from './bit';
export * from './system';
export { x87 } from '../gen/x87';
export { fxsave, fxrstor } from '../fpu/save';
export { ldmxcsr, stmxcsr, fence } from '../simd/mxcsr';
