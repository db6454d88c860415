// Every MMX/SSE/SSE2 handler, for the generated SIMD dispatcher (assembly/gen/simd.ts).
export * from './move';
export * from './int';
export * from './int-shift';
export * from './int-pack';
export * from './fp-move';
export * from './fp';
export * from './fp-compare';
export * from './convert';
