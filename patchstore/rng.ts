/**
 * Seeded pseudo-random numbers for reproducible synthesis (sr-midas sets no seed; §12.1-12).
 *
 * The generator is sfc32 seeded through splitmix32, so any 32-bit integer seed (or a tuple of
 * them, e.g. `[seed, patchIndex]`) gives an independent, reproducible stream. Deriving one stream
 * per patch makes patch i identical whatever the order or number of workers that render it.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * const rng = new Rng(42, 7); // stream for seed 42, patch 7
 * rng.uniform(3, 177); // a float in [3, 177)
 * rng.int(5); // an integer in 0 … 4
 * ```
 * @module
 */

/** splitmix32 step: mixes a 32-bit state into a well-distributed 32-bit output. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** A small, fast, seedable PRNG (sfc32). Not cryptographic. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spareNormal: number | undefined;

  /** Seeds from one or more integers; equal key tuples give equal streams. */
  constructor(...key: number[]) {
    if (key.length === 0) throw new Error("Rng: at least one seed integer is required");
    let h = 0x6a09e667;
    for (const k of key) {
      if (!Number.isSafeInteger(k)) throw new Error(`Rng: seed parts must be integers, got ${k}`);
      // Fold both 32-bit halves so large seeds still differ.
      h = splitmix32(h ^ (k >>> 0));
      h = splitmix32(h ^ Math.floor(k / 0x100000000));
    }
    this.#a = splitmix32(h);
    this.#b = splitmix32(this.#a);
    this.#c = splitmix32(this.#b);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32(); // discard the warm-up outputs
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.#c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }

  /** Uniform integer in 0 … n−1. */
  int(n: number): number {
    if (!(n >= 1) || !Number.isInteger(n)) {
      throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    }
    return Math.floor(this.random() * n);
  }

  /** Standard normal (Box–Muller, second value cached), scaled to N(mean, sd²). */
  normal(mean = 0, sd = 1): number {
    let z = this.#spareNormal;
    if (z === undefined) {
      let u = 0;
      while (u === 0) u = this.random();
      const rad = Math.sqrt(-2 * Math.log(u));
      const th = 2 * Math.PI * this.random();
      z = rad * Math.cos(th);
      this.#spareNormal = rad * Math.sin(th);
    } else {
      this.#spareNormal = undefined;
    }
    return mean + sd * z;
  }

  /** One element of a non-empty array, uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.choice: empty list");
    return items[this.int(items.length)];
  }

  /** k distinct indices from 0 … n−1 (partial Fisher–Yates), in draw order. */
  sampleIndices(n: number, k: number): number[] {
    if (k > n) throw new Error(`Rng.sampleIndices: cannot draw ${k} distinct items from ${n}`);
    const pool = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = pool[i];
      pool[i] = pool[j];
      pool[j] = t;
    }
    return pool.slice(0, k);
  }
}
