/**
 * `node --import tsx bench/kernels.ts`: the gemmNT kernel of src/linalg/kernels.ts in GFLOP/s on the
 * shapes the exact scan gives it (WebAssembly SIMD, and the JavaScript fallback with --js), timed in
 * CPU time (best of 7 rounds), so that the other load on a shared machine does not count. Shapes:
 * m x n x kk = rows of A x rows of B x inner length. 64 x 32 x 300 / 600: a chunk of right-hand sides
 * against a block of L in the triangular solves (digits, P = 620); 64 x 56 x 1953: a chunk of packed
 * outer products against the packed blocks of H^-1 (digits' kron route); 8 x 62 x 256: a strip of a
 * Hessian block; 240 x 240 x 240: square.
 */
import { KernelSpace } from '../src/linalg/kernels';

const js = process.argv.includes('--js');
const shapes: [number, number, number][] = [
  [64, 32, 300],
  [64, 32, 600],
  [64, 56, 1953],
  [8, 62, 256],
  [240, 240, 240],
];
console.log(`gemmNT, ${js ? 'JavaScript' : 'WebAssembly SIMD'} kernel, CPU time, best of 7`);
for (const [m, n, kk] of shapes) {
  const ks = KernelSpace.create(m * kk + n * kk + m * n + 16, js);
  const a = ks.alloc(m * kk), b = ks.alloc(n * kk), c = ks.alloc(m * n);
  for (let i = 0; i < m * kk; i++) ks.f64[a + i] = Math.sin(i);
  for (let i = 0; i < n * kk; i++) ks.f64[b + i] = Math.cos(i);
  const reps = Math.max(1, Math.ceil((js ? 2e7 : 1e8) / (2 * m * n * kk)));
  let best = Infinity;
  for (let round = 0; round < 7; round++) {
    const t = process.cpuUsage();
    for (let r = 0; r < reps; r++) ks.gemmNT(a, kk, b, kk, c, n, m, n, kk, 1, 1);
    const u = process.cpuUsage(t);
    best = Math.min(best, (u.user + u.system) / 1e6);
  }
  console.log(`${m} x ${n} x ${kk}: ${((2 * m * n * kk * reps) / best / 1e9).toFixed(1)} GFLOP/s`);
}
