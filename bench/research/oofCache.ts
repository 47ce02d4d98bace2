/**
 * The file format of the development cache of out-of-sample probabilities (written by
 * bench/research/cache-oof.ts, read by bench/label-errors.ts --cache and the research scripts):
 * per task DIR/<set>-<noise>-<seed>.{lr,knn,rf}.f64, each an N x K float64 array (label suspicion's
 * reweighted leave-one-out logistic p', 5-fold kNN, the out-of-bag forest). No other imports, so
 * bench/label-errors.ts can use it without a cycle.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type CachedCandidate = 'lr' | 'knn' | 'rf';

/** The file of one task's candidate. */
export function cacheFile(dir: string, set: string, noise: string, seed: number, candidate: CachedCandidate): string {
  return path.join(dir, `${set}-${noise}-${seed}.${candidate}.f64`);
}

export function readF64(file: string): Float64Array {
  const b = readFileSync(file);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function writeF64(file: string, a: Float64Array): void {
  writeFileSync(file, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}

/** One task's cached candidate, or undefined where the cache does not hold it. */
export function readCached(dir: string, set: string, noise: string, seed: number, candidate: CachedCandidate): Float64Array | undefined {
  const f = cacheFile(dir, set, noise, seed, candidate);
  return existsSync(f) ? readF64(f) : undefined;
}
