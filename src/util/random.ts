/**
 * All seeded, platform-independent randomness of the engine, in one place:
 * - SeededRandom (xoshiro128**): the general generator (label noise, trust-check subsets, confident
 *   learning's folds, tests); new code uses it.
 * - hash32 / hashOrder: draws that depend only on a row's id (turn-over dropout's masks and epoch
 *   orders), so removing rows leaves every other row's draws unchanged.
 * - Rng (the networks' weight initialisation: turn-over dropout, autoencoder, k-means seeding) and
 *   seededRandom (mulberry32: the MLP's initialisation, LiSSA's minibatches, the power iteration's
 *   start) are older streams, kept so that trained networks and stochastic solves reproduce the
 *   results they gave before (switching them to SeededRandom changes every such result).
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

/**
 * A small seeded generator (xoshiro128**, state seeded by splitmix32): fast, 2^128 - 1 period,
 * identical streams on every platform. Not for cryptography.
 */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => mix32((x = (x + 0x9e3779b9) >>> 0)); // splitmix32
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3 >>> 0, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  nextInt(n: number): number {
    if (!(Number.isInteger(n) && n > 0 && n <= 2 ** 32)) throw new RangeError(`nextInt: bad bound ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const u = this.nextUint32();
      if (u < limit) return u % n;
    }
  }

  /** k distinct integers from [0, n), in the order drawn (partial Fisher-Yates). */
  sample(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`sample: ${k} of ${n}`);
    const pool = new Map<number, number>();
    const out: number[] = [];
    for (let i = 0; i < k; i++) {
      const j = i + this.nextInt(n - i);
      const vj = pool.get(j) ?? j;
      pool.set(j, pool.get(i) ?? i);
      out.push(vj);
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A small seeded generator (mulberry32) so that stochastic solvers are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
