// Every MMX/SSE/SSE2 handler, for the generated SIMD dispatcher (assembly/gen/simd.ts).
export * from './move';
export * from './int';
export * from './int-shift';
export * from './int-pack';
