/** Stable LSD radix sort of row indices by float64 keys, read in place (no copy of the keys). */

/** The radix sort reads the keys' float64 bits through a Uint32Array view, which assumes little-endian words. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Indices of `v` in ascending order of value (descending when `descending`), ties in ascending index
 * order. Each value's float64 bits are read in place (a Uint32Array view) and mapped, digit by digit, to
 * an unsigned key of the same order: negative numbers flip every bit, the others flip the sign bit; -0
 * is read as +0 and every NaN as the largest key, so keys are equal exactly where the values are === or
 * both NaN (descending complements every key, so NaN comes first there). Four 16-bit passes, counted in
 * one read; a digit that is the same in every key skips its pass. Memory: the indices and their scratch
 * copy, 2 x 4 N bytes. Callers check LITTLE_ENDIAN.
 */
export function radixOrder(v: Float64Array, descending = false): Int32Array {
  const n = v.length;
  const u = new Uint32Array(v.buffer, v.byteOffset, 2 * n);
  const flip = descending ? 0xffff : 0;
  /** Digit d (0 = lowest 16 bits) of value i's key. */
  const digit = (i: number, d: number): number => {
    let h = u[2 * i + 1];
    let l = u[2 * i];
    if ((h & 0x7ff00000) === 0x7ff00000 && ((h & 0xfffff) | l) !== 0) return 0xffff ^ flip; // NaN: every digit 0xffff
    if (h === 0x80000000 && l === 0) h = 0; // -0 as +0
    if (h & 0x80000000) {
      h = ~h;
      l = ~l;
    } else h ^= 0x80000000;
    const w = d < 2 ? l : h;
    return ((w >>> ((d & 1) << 4)) & 0xffff) ^ flip;
  };
  const count = new Int32Array(4 * 65536);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < 4; d++) count[(d << 16) | digit(i, d)]++;
  }
  let idx = new Int32Array(n);
  let tmp = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let d = 0; d < 4; d++) {
    const base = d << 16;
    let trivial = false;
    let sum = 0;
    for (let k = 0; k < 65536; k++) {
      const c = count[base + k];
      if (c === n) trivial = true;
      count[base + k] = sum;
      sum += c;
    }
    if (trivial) continue;
    for (let r = 0; r < n; r++) {
      const i = idx[r];
      tmp[count[base + digit(i, d)]++] = i;
    }
    const t = idx;
    idx = tmp;
    tmp = t;
  }
  return idx;
}
