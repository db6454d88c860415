/** A seeded PRNG for deterministic test data: xorshift128 (Marsaglia 2003), 32-bit output. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  let y = 0x9e3779b9;
  let z = 0x243f6a88;
  let w = 0xb7e15162;
  const next = () => {
    const t = (x ^ (x << 11)) >>> 0;
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return w;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}
