/**
 * Seeded, platform-independent randomness for the neural methods: a 32-bit hash of integer tuples
 * (for masks and per-epoch orders that depend only on a row's id, so removing rows leaves every other
 * row's draws unchanged) and a small generator with normal draws (for weight initialisation).
 */

/** The murmur3 32-bit finaliser: a bijective avalanche mix of x. */
export function mix32(x: number): number {
  x >>>= 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hash of a tuple of integers (each taken mod 2^32, negatives and fractions truncated first). */
export function hash32(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    const v = Math.trunc(p);
    h = mix32(h ^ mix32((v >>> 0) + 0x9e3779b9));
    const hi = Math.floor(v / 4294967296);
    if (hi !== 0) h = mix32(h ^ mix32((hi >>> 0) + 0x7f4a7c15));
  }
  return h;
}

/** splitmix32-style generator: uniform floats and standard normals, reproducible from the seed. */
export class Rng {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.state = hash32(seed, 0x5eed);
  }

  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return mix32(this.state);
  }

  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Rows 0..n-1 ordered by hash32(seed, salt, ids[r]): a permutation determined by the ids alone. */
export function hashOrder(ids: ArrayLike<number>, seed: number, salt: number): Int32Array {
  const n = ids.length;
  const keys = new Float64Array(n);
  for (let r = 0; r < n; r++) keys[r] = hash32(seed, salt, ids[r]);
  const order = Int32Array.from({ length: n }, (_, r) => r);
  order.sort((a, b) => keys[a] - keys[b] || a - b);
  return order;
}
