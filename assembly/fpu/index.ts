// The x87 FPU: every handler the generated dispatcher (assembly/gen/x87.ts) calls.
export { x87Absent, x87Begin, x87End } from './state';
export * from './arith';
export * from './loadstore';
export * from './control';
export * from './misc';
export * from './transcendental';
