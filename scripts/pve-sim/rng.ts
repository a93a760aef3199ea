// Deterministic hashing and smooth noise: every simulated value is a pure function of
// (seed, entity key, time), so the same seed and clock always give the same answer.

function mix(h: number, p: number): number {
  let k = Math.imul(p | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** 32-bit integer hash of up to four integers (murmur3-style; values above 2^32 fold their high part in). */
export function hashInts(a: number, b = 0, c = 0, d = 0, ...rest: number[]): number {
  let h = 0x9e3779b9 | 0;
  h = mix(h, a ^ ((a / 4294967296) | 0));
  h = mix(h, b ^ ((b / 4294967296) | 0));
  h = mix(h, c ^ ((c / 4294967296) | 0));
  h = mix(h, d ^ ((d / 4294967296) | 0));
  for (const p of rest) h = mix(h, p ^ ((p / 4294967296) | 0));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform float in [0, 1) from integers. */
export function unit(a: number, b = 0, c = 0, d = 0): number {
  return hashInts(a, b, c, d) / 4294967296;
}

/** Smooth value noise in [0, 1): hashed lattice every periodSec, smoothstep-interpolated. */
export function smoothNoise(key: number, tSec: number, periodSec: number): number {
  const x = tSec / periodSec;
  const i = Math.floor(x);
  const f = x - i;
  const s = f * f * (3 - 2 * f);
  const a = unit(key, i);
  const b = unit(key, i + 1);
  return a + (b - a) * s;
}

export interface Rng {
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

/** A small deterministic generator for world building. */
export function createRng(seed: number): Rng {
  let n = 0;
  const next = () => unit(seed, 0x5eed, n++);
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}
