/**
 * Turn-over dropout masks (Kobayashi et al., "Efficient Estimation of Influence of a Training
 * Instance", 2020): every training instance owns one FIXED Bernoulli(1/2) mask over the hidden
 * units, derived from (seed, instance id) alone, so the same instance gets the same mask in every
 * run and the mask of one instance does not depend on which other instances are present.
 *
 * Unit u of instance `id` is kept when the top bit of hash32(seed, id, u) is 1. A mask that keeps
 * every unit or none (probability 2^(1-U)) would leave one side of the turn-over empty; the last unit
 * is then flipped so that both the mask and its complement keep at least one unit.
 */
import { hash32 } from '../util/random';

/** The mask of one instance over `units` hidden units (1 = kept). */
export function instanceMask(seed: number, id: number, units: number, out: Uint8Array = new Uint8Array(units), offset = 0): Uint8Array {
  let kept = 0;
  const base = hash32(seed, id);
  for (let u = 0; u < units; u++) {
    const bit = hash32(base, u) >>> 31;
    out[offset + u] = bit;
    kept += bit;
  }
  if (units > 1 && (kept === 0 || kept === units)) out[offset + units - 1] ^= 1;
  return out;
}

/** N x units masks (row-major) for the instances `ids`. */
export function instanceMasks(seed: number, ids: ArrayLike<number>, units: number): Uint8Array {
  const out = new Uint8Array(ids.length * units);
  for (let r = 0; r < ids.length; r++) instanceMask(seed, ids[r], units, out, r * units);
  return out;
}
