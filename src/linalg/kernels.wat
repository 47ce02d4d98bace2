;; The dense kernels of src/linalg/kernels.ts, in WebAssembly text with 128-bit SIMD (f64x2 lanes).
;; `node scripts/build-kernels.mjs` assembles this file (wabt, a dev dependency) into
;; src/linalg/kernelsWasm.ts, the bytes the engine embeds; test/unit/kernels.test.ts checks that the
;; committed bytes are this file's.
;;
;; Conventions: every address is a byte offset into the imported memory; leading dimensions (lda,
;; ldb, ldc) are in float64 elements; matrices are row-major.
(module
  (import "env" "mem" (memory 1))

  ;; gemmNT(a, lda, b, ldb, c, ldc, m, n, kk, alpha, beta), m and n even, any kk >= 0:
  ;; C[i, j] = beta C[i, j] + alpha sum_{k < kk} A[i, k] B[j, k] for i < m, j < n ("rows of A dotted
  ;; with rows of B"). Register tiles of 4 rows of A by 2 rows of B: eight f64x2 sums, six loads per
  ;; eight multiply-adds; a last pair of rows (m = 2 mod 4) goes through $gemm22, the 2 x 2 tile.
  ;; An odd last k is one more step with v128.load64_zero (upper lanes zero).
  ;; Measured on Node 20 (V8 11.3, AMD EPYC, CPU time, best of 7) on the shapes of the solves and
  ;; the Hessian: 4 x 2 and 2 x 4 reach 22-24 GFLOP/s, 2 x 2 18, 3 x 2 21; wider tiles (5 x 2, 6 x 2,
  ;; 3 x 3) and any unrolling of the k loop (shared or separate sums) spill registers and fall to
  ;; 4-15 GFLOP/s; and this 4 x 2 loop ran 1.3x slower when the function had no second loop after it
  ;; (register allocation; the odd-k step keeps it fast). Fused multiply-adds need relaxed SIMD,
  ;; behind a flag on Node 20.
  (func $gemmNT (export "gemmNT")
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $kk i32) (param $alpha f64) (param $beta f64)
    (local $i i32) (local $j i32) (local $k i32) (local $kb i32) (local $kb2 i32) (local $m4 i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $b0 i32) (local $b1 i32)
    (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $p i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $y0 v128) (local $y1 v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    ;; the last two rows (if m = 2 mod 4) by the 2 x 2 tile, before the strides are scaled to bytes
    (if (i32.lt_s (local.get $m4) (local.get $m))
      (then (call $gemm22
        (i32.add (local.get $a) (i32.shl (i32.mul (local.get $m4) (local.get $lda)) (i32.const 3))) (local.get $lda)
        (local.get $b) (local.get $ldb)
        (i32.add (local.get $c) (i32.shl (i32.mul (local.get $m4) (local.get $ldc)) (i32.const 3))) (local.get $ldc)
        (i32.sub (local.get $m) (local.get $m4)) (local.get $n) (local.get $kk) (local.get $alpha) (local.get $beta))))
    (local.set $lda (i32.shl (local.get $lda) (i32.const 3)))
    (local.set $ldb (i32.shl (local.get $ldb) (i32.const 3)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 3)))
    (local.set $kb (i32.shl (local.get $kk) (i32.const 3)))
    (local.set $kb2 (i32.and (local.get $kb) (i32.const -16)))
    (local.set $i (i32.const 0))
    (block $iend (loop $iloop
      (br_if $iend (i32.ge_s (local.get $i) (local.get $m4)))
      (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
      (local.set $a1 (i32.add (local.get $a0) (local.get $lda)))
      (local.set $a2 (i32.add (local.get $a1) (local.get $lda)))
      (local.set $a3 (i32.add (local.get $a2) (local.get $lda)))
      (local.set $c0 (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))))
      (local.set $c1 (i32.add (local.get $c0) (local.get $ldc)))
      (local.set $c2 (i32.add (local.get $c1) (local.get $ldc)))
      (local.set $c3 (i32.add (local.get $c2) (local.get $ldc)))
      (local.set $j (i32.const 0))
      (block $jend (loop $jloop
        (br_if $jend (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $ldb))))
        (local.set $b1 (i32.add (local.get $b0) (local.get $ldb)))
        (local.set $s00 (v128.const i64x2 0 0)) (local.set $s01 (v128.const i64x2 0 0))
        (local.set $s10 (v128.const i64x2 0 0)) (local.set $s11 (v128.const i64x2 0 0))
        (local.set $s20 (v128.const i64x2 0 0)) (local.set $s21 (v128.const i64x2 0 0))
        (local.set $s30 (v128.const i64x2 0 0)) (local.set $s31 (v128.const i64x2 0 0))
        (local.set $k (i32.const 0))
        (block $kend (loop $kloop
          (br_if $kend (i32.ge_s (local.get $k) (local.get $kb2)))
          (local.set $x0 (v128.load (i32.add (local.get $a0) (local.get $k))))
          (local.set $x1 (v128.load (i32.add (local.get $a1) (local.get $k))))
          (local.set $x2 (v128.load (i32.add (local.get $a2) (local.get $k))))
          (local.set $x3 (v128.load (i32.add (local.get $a3) (local.get $k))))
          (local.set $y0 (v128.load (i32.add (local.get $b0) (local.get $k))))
          (local.set $y1 (v128.load (i32.add (local.get $b1) (local.get $k))))
          (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $x0) (local.get $y0))))
          (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $x0) (local.get $y1))))
          (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $x1) (local.get $y0))))
          (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $x1) (local.get $y1))))
          (local.set $s20 (f64x2.add (local.get $s20) (f64x2.mul (local.get $x2) (local.get $y0))))
          (local.set $s21 (f64x2.add (local.get $s21) (f64x2.mul (local.get $x2) (local.get $y1))))
          (local.set $s30 (f64x2.add (local.get $s30) (f64x2.mul (local.get $x3) (local.get $y0))))
          (local.set $s31 (f64x2.add (local.get $s31) (f64x2.mul (local.get $x3) (local.get $y1))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $kloop)))
        (if (i32.lt_s (local.get $k) (local.get $kb)) (then
          (local.set $x0 (v128.load64_zero (i32.add (local.get $a0) (local.get $k))))
          (local.set $x1 (v128.load64_zero (i32.add (local.get $a1) (local.get $k))))
          (local.set $x2 (v128.load64_zero (i32.add (local.get $a2) (local.get $k))))
          (local.set $x3 (v128.load64_zero (i32.add (local.get $a3) (local.get $k))))
          (local.set $y0 (v128.load64_zero (i32.add (local.get $b0) (local.get $k))))
          (local.set $y1 (v128.load64_zero (i32.add (local.get $b1) (local.get $k))))
          (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $x0) (local.get $y0))))
          (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $x0) (local.get $y1))))
          (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $x1) (local.get $y0))))
          (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $x1) (local.get $y1))))
          (local.set $s20 (f64x2.add (local.get $s20) (f64x2.mul (local.get $x2) (local.get $y0))))
          (local.set $s21 (f64x2.add (local.get $s21) (f64x2.mul (local.get $x2) (local.get $y1))))
          (local.set $s30 (f64x2.add (local.get $s30) (f64x2.mul (local.get $x3) (local.get $y0))))
          (local.set $s31 (f64x2.add (local.get $s31) (f64x2.mul (local.get $x3) (local.get $y1))))))
        (local.set $p (i32.add (local.get $c0) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store offset=0 (local.get $p)
          (f64.add (f64.mul (f64.load offset=0 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s00)) (f64x2.extract_lane 1 (local.get $s00))) (local.get $alpha))))
        (f64.store offset=8 (local.get $p)
          (f64.add (f64.mul (f64.load offset=8 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01))) (local.get $alpha))))
        (local.set $p (i32.add (local.get $c1) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store offset=0 (local.get $p)
          (f64.add (f64.mul (f64.load offset=0 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s10)) (f64x2.extract_lane 1 (local.get $s10))) (local.get $alpha))))
        (f64.store offset=8 (local.get $p)
          (f64.add (f64.mul (f64.load offset=8 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s11)) (f64x2.extract_lane 1 (local.get $s11))) (local.get $alpha))))
        (local.set $p (i32.add (local.get $c2) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store offset=0 (local.get $p)
          (f64.add (f64.mul (f64.load offset=0 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s20)) (f64x2.extract_lane 1 (local.get $s20))) (local.get $alpha))))
        (f64.store offset=8 (local.get $p)
          (f64.add (f64.mul (f64.load offset=8 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s21)) (f64x2.extract_lane 1 (local.get $s21))) (local.get $alpha))))
        (local.set $p (i32.add (local.get $c3) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store offset=0 (local.get $p)
          (f64.add (f64.mul (f64.load offset=0 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s30)) (f64x2.extract_lane 1 (local.get $s30))) (local.get $alpha))))
        (f64.store offset=8 (local.get $p)
          (f64.add (f64.mul (f64.load offset=8 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s31)) (f64x2.extract_lane 1 (local.get $s31))) (local.get $alpha))))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $jloop)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $iloop))))

  ;; $gemm22: gemmNT's contract with register tiles of 2 rows of A by 2 rows of B (four f64x2 sums).
  (func $gemm22
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $kk i32) (param $alpha f64) (param $beta f64)
    (local $i i32) (local $j i32) (local $k i32) (local $kb i32) (local $kb2 i32)
    (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32) (local $c0 i32) (local $c1 i32) (local $p i32)
    (local $x0 v128) (local $x1 v128) (local $y0 v128) (local $y1 v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local.set $lda (i32.shl (local.get $lda) (i32.const 3)))
    (local.set $ldb (i32.shl (local.get $ldb) (i32.const 3)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 3)))
    (local.set $kb (i32.shl (local.get $kk) (i32.const 3)))
    (local.set $kb2 (i32.and (local.get $kb) (i32.const -16)))
    (local.set $i (i32.const 0))
    (block $iend (loop $iloop
      (br_if $iend (i32.ge_s (local.get $i) (local.get $m)))
      (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
      (local.set $a1 (i32.add (local.get $a0) (local.get $lda)))
      (local.set $c0 (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))))
      (local.set $c1 (i32.add (local.get $c0) (local.get $ldc)))
      (local.set $j (i32.const 0))
      (block $jend (loop $jloop
        (br_if $jend (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $ldb))))
        (local.set $b1 (i32.add (local.get $b0) (local.get $ldb)))
        (local.set $s00 (v128.const i64x2 0 0)) (local.set $s01 (v128.const i64x2 0 0))
        (local.set $s10 (v128.const i64x2 0 0)) (local.set $s11 (v128.const i64x2 0 0))
        (local.set $k (i32.const 0))
        (block $kend (loop $kloop
          (br_if $kend (i32.ge_s (local.get $k) (local.get $kb2)))
          (local.set $x0 (v128.load (i32.add (local.get $a0) (local.get $k))))
          (local.set $x1 (v128.load (i32.add (local.get $a1) (local.get $k))))
          (local.set $y0 (v128.load (i32.add (local.get $b0) (local.get $k))))
          (local.set $y1 (v128.load (i32.add (local.get $b1) (local.get $k))))
          (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $x0) (local.get $y0))))
          (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $x0) (local.get $y1))))
          (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $x1) (local.get $y0))))
          (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $x1) (local.get $y1))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $kloop)))
        (if (i32.lt_s (local.get $k) (local.get $kb)) (then
          (local.set $x0 (v128.load64_zero (i32.add (local.get $a0) (local.get $k))))
          (local.set $x1 (v128.load64_zero (i32.add (local.get $a1) (local.get $k))))
          (local.set $y0 (v128.load64_zero (i32.add (local.get $b0) (local.get $k))))
          (local.set $y1 (v128.load64_zero (i32.add (local.get $b1) (local.get $k))))
          (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $x0) (local.get $y0))))
          (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $x0) (local.get $y1))))
          (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $x1) (local.get $y0))))
          (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $x1) (local.get $y1))))))
        ;; C[i + di, j + dj] = beta C + alpha (both lanes of the sum added)
        (local.set $p (i32.add (local.get $c0) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store offset=0 (local.get $p)
          (f64.add (f64.mul (f64.load offset=0 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s00)) (f64x2.extract_lane 1 (local.get $s00))) (local.get $alpha))))
        (f64.store offset=8 (local.get $p)
          (f64.add (f64.mul (f64.load offset=8 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01))) (local.get $alpha))))
        (local.set $p (i32.add (local.get $c1) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store offset=0 (local.get $p)
          (f64.add (f64.mul (f64.load offset=0 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s10)) (f64x2.extract_lane 1 (local.get $s10))) (local.get $alpha))))
        (local.set $p (i32.add (local.get $c1) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store offset=8 (local.get $p)
          (f64.add (f64.mul (f64.load offset=8 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s11)) (f64x2.extract_lane 1 (local.get $s11))) (local.get $alpha))))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $jloop)))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $iloop))))

  ;; potrf(at, ld, w, diag, damping) -> -1 or a failing row: the unblocked Cholesky factorisation of
  ;; the w x w block at `at` (row stride ld elements), in place on its lower triangle, row by row:
  ;; L[i, c] = (A[i, c] - sum_{k<c} L[i, k] L[c, k]) / L[c, c], L[i, i] = sqrt(A[i, i] + damping -
  ;; sum_{k<i} L[i, k]^2). A pivot d is accepted when d > 1e-14 |a| with a = diag[i] + damping (the
  ;; matrix's original diagonal entry, at `diag`, f64 per row); otherwise d is left in A[i, i] and i
  ;; returned (the caller reports it).
  (func $potrf (export "potrf") (param $at i32) (param $ld i32) (param $w i32) (param $diag i32) (param $damping f64) (result i32)
    (local $i i32) (local $c i32) (local $k i32) (local $ri i32) (local $rc i32) (local $s f64) (local $a f64)
    (local.set $ld (i32.shl (local.get $ld) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $iend (loop $iloop
      (br_if $iend (i32.ge_s (local.get $i) (local.get $w)))
      (local.set $ri (i32.add (local.get $at) (i32.mul (local.get $i) (local.get $ld))))
      (local.set $c (i32.const 0))
      (block $cend (loop $cloop
        (br_if $cend (i32.ge_s (local.get $c) (local.get $i)))
        (local.set $rc (i32.add (local.get $at) (i32.mul (local.get $c) (local.get $ld))))
        (local.set $s (f64.load (i32.add (local.get $ri) (i32.shl (local.get $c) (i32.const 3)))))
        (local.set $k (i32.const 0))
        (block $kend (loop $kloop
          (br_if $kend (i32.ge_s (local.get $k) (local.get $c)))
          (local.set $s (f64.sub (local.get $s)
            (f64.mul (f64.load (i32.add (local.get $ri) (i32.shl (local.get $k) (i32.const 3))))
                     (f64.load (i32.add (local.get $rc) (i32.shl (local.get $k) (i32.const 3)))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $kloop)))
        (f64.store (i32.add (local.get $ri) (i32.shl (local.get $c) (i32.const 3)))
          (f64.div (local.get $s) (f64.load (i32.add (local.get $rc) (i32.shl (local.get $c) (i32.const 3))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cloop)))
      (local.set $s (f64.add (f64.load (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3)))) (local.get $damping)))
      (local.set $k (i32.const 0))
      (block $dend (loop $dloop
        (br_if $dend (i32.ge_s (local.get $k) (local.get $i)))
        (local.set $a (f64.load (i32.add (local.get $ri) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $s (f64.sub (local.get $s) (f64.mul (local.get $a) (local.get $a))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $dloop)))
      (local.set $a (f64.add (f64.load (i32.add (local.get $diag) (i32.shl (local.get $i) (i32.const 3)))) (local.get $damping)))
      ;; accept d only if d > 1e-14 |a| and d is finite (d - d == 0 fails for inf and NaN)
      (if (i32.eqz (i32.and
            (f64.gt (local.get $s) (f64.mul (f64.const 1e-14) (f64.abs (local.get $a))))
            (f64.eq (f64.sub (local.get $s) (local.get $s)) (f64.const 0))))
        (then
          (f64.store (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3))) (local.get $s))
          (return (local.get $i))))
      (f64.store (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3))) (f64.sqrt (local.get $s)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $iloop)))
    (i32.const -1))

  ;; $gemmAny(a, lda, b, ldb, c, ldc, m, n, kk, alpha): C[i, j] += alpha sum_{k < kk} A[i, k] B[j, k]
  ;; for any m, n (beta 1): the even part by $gemmNT, an odd last column and row by scalar dots.
  (func $gemmAny
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $kk i32) (param $alpha f64)
    (local $m2 i32) (local $n2 i32) (local $i i32)
    (local.set $m2 (i32.and (local.get $m) (i32.const -2)))
    (local.set $n2 (i32.and (local.get $n) (i32.const -2)))
    (if (i32.and (i32.gt_s (local.get $m2) (i32.const 0)) (i32.gt_s (local.get $n2) (i32.const 0)))
      (then (call $gemmNT (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb) (local.get $c) (local.get $ldc)
        (local.get $m2) (local.get $n2) (local.get $kk) (local.get $alpha) (f64.const 1))))
    (if (i32.lt_s (local.get $n2) (local.get $n)) (then
      (local.set $i (i32.const 0))
      (block $iend (loop $iloop
        (br_if $iend (i32.ge_s (local.get $i) (local.get $m)))
        (call $edge (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb) (local.get $c) (local.get $ldc)
          (local.get $i) (local.get $n2) (local.get $kk) (local.get $alpha))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iloop)))))
    (if (i32.lt_s (local.get $m2) (local.get $m)) (then
      (local.set $i (i32.const 0))
      (block $jend (loop $jloop
        (br_if $jend (i32.ge_s (local.get $i) (local.get $n2)))
        (call $edge (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb) (local.get $c) (local.get $ldc)
          (local.get $m2) (local.get $i) (local.get $kk) (local.get $alpha))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $jloop))))))

  ;; $edge: the one entry C[i, j] += alpha sum_{k < kk} A[i, k] B[j, k] of $gemmAny (strides in elements).
  (func $edge
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $i i32) (param $j i32) (param $kk i32) (param $alpha f64)
    (local $k i32) (local $s f64) (local $p i32) (local $q i32)
    (local.set $p (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $lda)) (i32.const 3))))
    (local.set $q (i32.add (local.get $b) (i32.shl (i32.mul (local.get $j) (local.get $ldb)) (i32.const 3))))
    (local.set $k (i32.const 0))
    (block $kend (loop $kloop
      (br_if $kend (i32.ge_s (local.get $k) (local.get $kk)))
      (local.set $s (f64.add (local.get $s)
        (f64.mul (f64.load (i32.add (local.get $p) (i32.shl (local.get $k) (i32.const 3))))
                 (f64.load (i32.add (local.get $q) (i32.shl (local.get $k) (i32.const 3)))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $kloop)))
    (local.set $p (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 3))))
    (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.mul (local.get $alpha) (local.get $s)))))

  ;; cholBlocked(L, n, nb, c0, c1, dinv, T, rc, diag, damping) -> -1 or a failing row: block columns
  ;; [c0, c1) (c0 a multiple of nb; columns before c0 already factored) of the blocked left-looking
  ;; Cholesky factorisation of the n x n matrix at L (row stride n), in place on its lower triangle.
  ;; Per block column C = [c, c + w): one $gemmNT call updates the whole column on and below the
  ;; diagonal block, A[>=c, C] -= L[>=c, <c] L[C, <c]^T; $potrf factors the diagonal block (pivot
  ;; test against diag, the original diagonal); $trtri inverts it into dinv (block c / nb, nb x nb,
  ;; row stride nb); the panel below becomes L[>=c+w, C] = A[>=c+w, C] L_CC^-T by products with that
  ;; inverse, rc rows at a time through the scratch T (rc x nb); and the rows of the block get zeros
  ;; right of their diagonal. The whole factorisation is one call from JavaScript: no JavaScript loop
  ;; runs (cold, interpreted) per block or per row. A failing pivot returns its row i (its pivot d
  ;; left in L[i, i], as $potrf does).
  (func (export "cholBlocked") (param $L i32) (param $n i32) (param $nb i32) (param $c0 i32) (param $c1 i32)
    (param $dinv i32) (param $T i32) (param $rc i32) (param $diag i32) (param $damping f64) (result i32)
    (local $c i32) (local $w i32) (local $cc i32) (local $bad i32) (local $inv i32) (local $r0 i32) (local $h i32) (local $r i32)
    (local.set $c (local.get $c0))
    (block $cend (loop $cloop
      (br_if $cend (i32.ge_s (local.get $c) (local.get $c1)))
      (local.set $w (i32.sub (local.get $n) (local.get $c)))
      (if (i32.gt_s (local.get $w) (local.get $nb)) (then (local.set $w (local.get $nb))))
      (local.set $cc (i32.add (local.get $L) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $n)) (local.get $c)) (i32.const 3))))
      (if (i32.gt_s (local.get $c) (i32.const 0)) (then
        (call $gemmAny
          (i32.add (local.get $L) (i32.shl (i32.mul (local.get $c) (local.get $n)) (i32.const 3))) (local.get $n)
          (i32.add (local.get $L) (i32.shl (i32.mul (local.get $c) (local.get $n)) (i32.const 3))) (local.get $n)
          (local.get $cc) (local.get $n)
          (i32.sub (local.get $n) (local.get $c)) (local.get $w) (local.get $c) (f64.const -1))))
      (local.set $bad (call $potrf (local.get $cc) (local.get $n) (local.get $w)
        (i32.add (local.get $diag) (i32.shl (local.get $c) (i32.const 3))) (local.get $damping)))
      (if (i32.ge_s (local.get $bad) (i32.const 0)) (then (return (i32.add (local.get $c) (local.get $bad)))))
      (local.set $inv (i32.add (local.get $dinv)
        (i32.shl (i32.mul (i32.div_u (local.get $c) (local.get $nb)) (i32.mul (local.get $nb) (local.get $nb))) (i32.const 3))))
      (call $trtri (local.get $cc) (local.get $n) (local.get $w) (local.get $inv) (local.get $nb))
      (local.set $r0 (i32.add (local.get $c) (local.get $w)))
      (block $pend (loop $ploop
        (br_if $pend (i32.ge_s (local.get $r0) (local.get $n)))
        (local.set $h (i32.sub (local.get $n) (local.get $r0)))
        (if (i32.gt_s (local.get $h) (local.get $rc)) (then (local.set $h (local.get $rc))))
        (memory.fill (local.get $T) (i32.const 0) (i32.shl (i32.mul (local.get $h) (local.get $nb)) (i32.const 3)))
        (call $gemmAny
          (i32.add (local.get $L) (i32.shl (i32.add (i32.mul (local.get $r0) (local.get $n)) (local.get $c)) (i32.const 3))) (local.get $n)
          (local.get $inv) (local.get $nb) (local.get $T) (local.get $nb)
          (local.get $h) (local.get $w) (local.get $w) (f64.const 1))
        (local.set $r (i32.const 0))
        (block $rend (loop $rloop
          (br_if $rend (i32.ge_s (local.get $r) (local.get $h)))
          (memory.copy
            (i32.add (local.get $L) (i32.shl (i32.add (i32.mul (i32.add (local.get $r0) (local.get $r)) (local.get $n)) (local.get $c)) (i32.const 3)))
            (i32.add (local.get $T) (i32.shl (i32.mul (local.get $r) (local.get $nb)) (i32.const 3)))
            (i32.shl (local.get $w) (i32.const 3)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rloop)))
        (local.set $r0 (i32.add (local.get $r0) (local.get $h)))
        (br $ploop)))
      ;; zeros right of the diagonal in the block's rows (only the lower triangle is read after this)
      (local.set $r (local.get $c))
      (block $zend (loop $zloop
        (br_if $zend (i32.ge_s (local.get $r) (i32.add (local.get $c) (local.get $w))))
        (memory.fill
          (i32.add (local.get $L) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $n)) (i32.add (local.get $r) (i32.const 1))) (i32.const 3)))
          (i32.const 0)
          (i32.shl (i32.sub (i32.sub (local.get $n) (local.get $r)) (i32.const 1)) (i32.const 3)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $zloop)))
      (local.set $c (i32.add (local.get $c) (local.get $w)))
      (br $cloop)))
    (i32.const -1))

  ;; trtri(at, ld, w, inv, ldi): the inverse of the w x w lower-triangular block at `at` (row stride
  ;; ld) into `inv` (row stride ldi, zero above the diagonal): column c by forward substitution on
  ;; e_c, inv[c, c] = 1 / L[c, c], inv[i, c] = -(sum_{c<=k<i} L[i, k] inv[k, c]) / L[i, i].
  (func $trtri (export "trtri") (param $at i32) (param $ld i32) (param $w i32) (param $inv i32) (param $ldi i32)
    (local $i i32) (local $c i32) (local $k i32) (local $li i32) (local $s f64)
    (local.set $ld (i32.shl (local.get $ld) (i32.const 3)))
    (local.set $ldi (i32.shl (local.get $ldi) (i32.const 3)))
    ;; zero the block of inv
    (local.set $i (i32.const 0))
    (block $zend (loop $zloop
      (br_if $zend (i32.ge_s (local.get $i) (local.get $w)))
      (memory.fill (i32.add (local.get $inv) (i32.mul (local.get $i) (local.get $ldi))) (i32.const 0) (i32.shl (local.get $w) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $zloop)))
    (local.set $c (i32.const 0))
    (block $cend (loop $cloop
      (br_if $cend (i32.ge_s (local.get $c) (local.get $w)))
      (f64.store (i32.add (i32.add (local.get $inv) (i32.mul (local.get $c) (local.get $ldi))) (i32.shl (local.get $c) (i32.const 3)))
        (f64.div (f64.const 1)
          (f64.load (i32.add (i32.add (local.get $at) (i32.mul (local.get $c) (local.get $ld))) (i32.shl (local.get $c) (i32.const 3))))))
      (local.set $i (i32.add (local.get $c) (i32.const 1)))
      (block $iend (loop $iloop
        (br_if $iend (i32.ge_s (local.get $i) (local.get $w)))
        (local.set $li (i32.add (local.get $at) (i32.mul (local.get $i) (local.get $ld))))
        (local.set $s (f64.const 0))
        (local.set $k (local.get $c))
        (block $kend (loop $kloop
          (br_if $kend (i32.ge_s (local.get $k) (local.get $i)))
          (local.set $s (f64.sub (local.get $s)
            (f64.mul (f64.load (i32.add (local.get $li) (i32.shl (local.get $k) (i32.const 3))))
                     (f64.load (i32.add (i32.add (local.get $inv) (i32.mul (local.get $k) (local.get $ldi))) (i32.shl (local.get $c) (i32.const 3)))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $kloop)))
        (f64.store (i32.add (i32.add (local.get $inv) (i32.mul (local.get $i) (local.get $ldi))) (i32.shl (local.get $c) (i32.const 3)))
          (f64.div (local.get $s) (f64.load (i32.add (local.get $li) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iloop)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cloop))))

  ;; transpose(src, lds, dst, ldd, m, n): dst[j, i] = src[i, j] for i < m, j < n (row strides lds, ldd
  ;; in elements), in bands of 8 rows of src so that the 8 entries written per row of dst share cache
  ;; lines. (The factor's L^T for back substitution: a cold one-shot JavaScript loop took 20-30 ms
  ;; on 620 x 620 in a fresh process.)
  (func (export "transpose") (param $src i32) (param $lds i32) (param $dst i32) (param $ldd i32) (param $m i32) (param $n i32)
    (local $i i32) (local $i0 i32) (local $i1 i32) (local $j i32) (local $s i32) (local $d i32)
    (local.set $lds (i32.shl (local.get $lds) (i32.const 3)))
    (local.set $ldd (i32.shl (local.get $ldd) (i32.const 3)))
    (local.set $i0 (i32.const 0))
    (block $bend (loop $bloop
      (br_if $bend (i32.ge_s (local.get $i0) (local.get $m)))
      (local.set $i1 (i32.add (local.get $i0) (i32.const 8)))
      (if (i32.gt_s (local.get $i1) (local.get $m)) (then (local.set $i1 (local.get $m))))
      (local.set $j (i32.const 0))
      (block $jend (loop $jloop
        (br_if $jend (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $d (i32.add (i32.add (local.get $dst) (i32.mul (local.get $j) (local.get $ldd))) (i32.shl (local.get $i0) (i32.const 3))))
        (local.set $s (i32.add (i32.add (local.get $src) (i32.mul (local.get $i0) (local.get $lds))) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $i (local.get $i0))
        (block $iend (loop $iloop
          (br_if $iend (i32.ge_s (local.get $i) (local.get $i1)))
          (f64.store (local.get $d) (f64.load (local.get $s)))
          (local.set $d (i32.add (local.get $d) (i32.const 8)))
          (local.set $s (i32.add (local.get $s) (local.get $lds)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $iloop)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jloop)))
      (local.set $i0 (local.get $i1))
      (br $bloop))))

  ;; symOuter(x, ldx, m, d, q, ldq): for every row i < m of x (d entries, row stride ldx elements),
  ;; its packed outer product into row i of q (row stride ldq): q[i, t(a, b)] = x[i, a] x[i, b] for
  ;; a <= b < d, in the order (0, 0), (0, 1), .., (0, d - 1), (1, 1), .., (d - 1, d - 1). Two
  ;; products per step (f64x2), unaligned loads and stores; an odd last b singly.
  (func (export "symOuter") (param $x i32) (param $ldx i32) (param $m i32) (param $d i32) (param $q i32) (param $ldq i32)
    (local $i i32) (local $a i32) (local $b i32) (local $xr i32) (local $t i32) (local $xa v128)
    (local.set $ldx (i32.shl (local.get $ldx) (i32.const 3)))
    (local.set $ldq (i32.shl (local.get $ldq) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $iend (loop $iloop
      (br_if $iend (i32.ge_s (local.get $i) (local.get $m)))
      (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $ldx))))
      (local.set $t (i32.add (local.get $q) (i32.mul (local.get $i) (local.get $ldq))))
      (local.set $a (i32.const 0))
      (block $aend (loop $aloop
        (br_if $aend (i32.ge_s (local.get $a) (local.get $d)))
        (local.set $xa (v128.load64_splat (i32.add (local.get $xr) (i32.shl (local.get $a) (i32.const 3)))))
        (local.set $b (local.get $a))
        (block $bend (loop $bloop
          (br_if $bend (i32.ge_s (i32.add (local.get $b) (i32.const 1)) (local.get $d)))
          (v128.store (local.get $t)
            (f64x2.mul (local.get $xa) (v128.load (i32.add (local.get $xr) (i32.shl (local.get $b) (i32.const 3))))))
          (local.set $t (i32.add (local.get $t) (i32.const 16)))
          (local.set $b (i32.add (local.get $b) (i32.const 2)))
          (br $bloop)))
        (if (i32.lt_s (local.get $b) (local.get $d)) (then
          (f64.store (local.get $t)
            (f64.mul (f64x2.extract_lane 0 (local.get $xa)) (f64.load (i32.add (local.get $xr) (i32.shl (local.get $b) (i32.const 3))))))
          (local.set $t (i32.add (local.get $t) (i32.const 8)))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $aloop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $iloop))))

  ;; kronQuad(S, P, K, D, xi, np, out): label suspicion's first-stage blocks M_i[k, l] = x_i^T S_kl x_i
  ;; (S: P x P, P = K D, row stride P; S_kl its D x D block at row k D, column l D) for np pairs of rows
  ;; whose entries are interleaved at xi: pair p, entry b is the f64x2 (x_2p[b], x_2p+1[b]) at
  ;; xi + (p D + b) 16. Writes rows 2p and 2p + 1 of out (K x K each, row-major, both triangles).
  ;; The arithmetic of every lane is that of kron.ts's kronQuadForms for one row of a pair, in its
  ;; order (sums over b from 0, a in pairs (a, a + 1), an odd last a alone; no fused multiply-add),
  ;; so the blocks are equal to the bit: rows only share the loads of S. Two pairs at a time (four
  ;; independent sums per b, so the adds' latency overlaps; $kronQuad1 alone was latency-bound), an
  ;; odd last pair by $kronQuad1.
  (func (export "kronQuad") (param $S i32) (param $P i32) (param $K i32) (param $D i32) (param $xi i32) (param $np i32) (param $out i32)
    (local $p i32) (local $k i32) (local $l i32) (local $a i32) (local $b i32) (local $xp i32) (local $xq i32) (local $base i32)
    (local $s0 i32) (local $s1 i32) (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $KK8 i32) (local $Pb i32)
    (local $xb i32) (local $yb i32) (local $e0 i32) (local $e1 i32) (local $np2 i32)
    (local $v v128) (local $w v128) (local $u0 v128) (local $u1 v128)
    (local $T0 v128) (local $T1 v128) (local $U0 v128) (local $U1 v128) (local $M v128) (local $N v128)
    (local.set $Pb (i32.shl (local.get $P) (i32.const 3)))
    (local.set $KK8 (i32.shl (i32.mul (local.get $K) (local.get $K)) (i32.const 3)))
    (local.set $np2 (i32.and (local.get $np) (i32.const -2)))
    (if (i32.lt_s (local.get $np2) (local.get $np)) (then
      (call $kronQuad1 (local.get $S) (local.get $P) (local.get $K) (local.get $D)
        (i32.add (local.get $xi) (i32.shl (i32.mul (local.get $np2) (local.get $D)) (i32.const 4)))
        (i32.const 1)
        (i32.add (local.get $out) (i32.mul (i32.shl (local.get $np2) (i32.const 1)) (local.get $KK8))))))
    (local.set $p (i32.const 0))
    (block $pend (loop $ploop
      (br_if $pend (i32.ge_s (local.get $p) (local.get $np2)))
      (local.set $xp (i32.add (local.get $xi) (i32.shl (i32.mul (local.get $p) (local.get $D)) (i32.const 4))))
      (local.set $xq (i32.add (local.get $xp) (i32.shl (local.get $D) (i32.const 4))))
      (local.set $o0 (i32.add (local.get $out) (i32.mul (i32.shl (local.get $p) (i32.const 1)) (local.get $KK8))))
      (local.set $o1 (i32.add (local.get $o0) (local.get $KK8)))
      (local.set $o2 (i32.add (local.get $o1) (local.get $KK8)))
      (local.set $o3 (i32.add (local.get $o2) (local.get $KK8)))
      (local.set $k (i32.const 0))
      (block $kend (loop $kloop
        (br_if $kend (i32.ge_s (local.get $k) (local.get $K)))
        (local.set $l (local.get $k))
        (block $lend (loop $lloop
          (br_if $lend (i32.ge_s (local.get $l) (local.get $K)))
          (local.set $base (i32.add (local.get $S)
            (i32.shl (i32.add (i32.mul (i32.mul (local.get $k) (local.get $D)) (local.get $P)) (i32.mul (local.get $l) (local.get $D))) (i32.const 3))))
          (local.set $M (v128.const i64x2 0 0))
          (local.set $N (v128.const i64x2 0 0))
          (local.set $a (i32.const 0))
          (block $aend (loop $aloop
            (br_if $aend (i32.ge_s (i32.add (local.get $a) (i32.const 1)) (local.get $D)))
            (local.set $s0 (i32.add (local.get $base) (i32.mul (local.get $a) (local.get $Pb))))
            (local.set $s1 (i32.add (local.get $s0) (local.get $Pb)))
            (local.set $T0 (v128.const i64x2 0 0))
            (local.set $T1 (v128.const i64x2 0 0))
            (local.set $U0 (v128.const i64x2 0 0))
            (local.set $U1 (v128.const i64x2 0 0))
            (local.set $xb (local.get $xp))
            (local.set $yb (local.get $xq))
            (local.set $b (i32.const 0))
            (block $bend (loop $bloop
              (br_if $bend (i32.ge_s (local.get $b) (local.get $D)))
              (local.set $v (v128.load (local.get $xb)))
              (local.set $w (v128.load (local.get $yb)))
              (local.set $u0 (v128.load64_splat (local.get $s0)))
              (local.set $u1 (v128.load64_splat (local.get $s1)))
              (local.set $T0 (f64x2.add (local.get $T0) (f64x2.mul (local.get $u0) (local.get $v))))
              (local.set $T1 (f64x2.add (local.get $T1) (f64x2.mul (local.get $u1) (local.get $v))))
              (local.set $U0 (f64x2.add (local.get $U0) (f64x2.mul (local.get $u0) (local.get $w))))
              (local.set $U1 (f64x2.add (local.get $U1) (f64x2.mul (local.get $u1) (local.get $w))))
              (local.set $s0 (i32.add (local.get $s0) (i32.const 8)))
              (local.set $s1 (i32.add (local.get $s1) (i32.const 8)))
              (local.set $xb (i32.add (local.get $xb) (i32.const 16)))
              (local.set $yb (i32.add (local.get $yb) (i32.const 16)))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))
              (br $bloop)))
            (local.set $xb (i32.add (local.get $xp) (i32.shl (local.get $a) (i32.const 4))))
            (local.set $yb (i32.add (local.get $xq) (i32.shl (local.get $a) (i32.const 4))))
            (local.set $M (f64x2.add (local.get $M)
              (f64x2.add (f64x2.mul (v128.load (local.get $xb)) (local.get $T0))
                         (f64x2.mul (v128.load offset=16 (local.get $xb)) (local.get $T1)))))
            (local.set $N (f64x2.add (local.get $N)
              (f64x2.add (f64x2.mul (v128.load (local.get $yb)) (local.get $U0))
                         (f64x2.mul (v128.load offset=16 (local.get $yb)) (local.get $U1)))))
            (local.set $a (i32.add (local.get $a) (i32.const 2)))
            (br $aloop)))
          (if (i32.lt_s (local.get $a) (local.get $D)) (then
            (local.set $s0 (i32.add (local.get $base) (i32.mul (local.get $a) (local.get $Pb))))
            (local.set $T0 (v128.const i64x2 0 0))
            (local.set $U0 (v128.const i64x2 0 0))
            (local.set $xb (local.get $xp))
            (local.set $yb (local.get $xq))
            (local.set $b (i32.const 0))
            (block $b2end (loop $b2loop
              (br_if $b2end (i32.ge_s (local.get $b) (local.get $D)))
              (local.set $u0 (v128.load64_splat (local.get $s0)))
              (local.set $T0 (f64x2.add (local.get $T0) (f64x2.mul (local.get $u0) (v128.load (local.get $xb)))))
              (local.set $U0 (f64x2.add (local.get $U0) (f64x2.mul (local.get $u0) (v128.load (local.get $yb)))))
              (local.set $s0 (i32.add (local.get $s0) (i32.const 8)))
              (local.set $xb (i32.add (local.get $xb) (i32.const 16)))
              (local.set $yb (i32.add (local.get $yb) (i32.const 16)))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))
              (br $b2loop)))
            (local.set $M (f64x2.add (local.get $M)
              (f64x2.mul (v128.load (i32.add (local.get $xp) (i32.shl (local.get $a) (i32.const 4)))) (local.get $T0))))
            (local.set $N (f64x2.add (local.get $N)
              (f64x2.mul (v128.load (i32.add (local.get $xq) (i32.shl (local.get $a) (i32.const 4)))) (local.get $U0))))))
          ;; M_i[k, l] = M_i[l, k] for the four rows
          (local.set $e0 (i32.shl (i32.add (i32.mul (local.get $k) (local.get $K)) (local.get $l)) (i32.const 3)))
          (local.set $e1 (i32.shl (i32.add (i32.mul (local.get $l) (local.get $K)) (local.get $k)) (i32.const 3)))
          (f64.store (i32.add (local.get $o0) (local.get $e0)) (f64x2.extract_lane 0 (local.get $M)))
          (f64.store (i32.add (local.get $o0) (local.get $e1)) (f64x2.extract_lane 0 (local.get $M)))
          (f64.store (i32.add (local.get $o1) (local.get $e0)) (f64x2.extract_lane 1 (local.get $M)))
          (f64.store (i32.add (local.get $o1) (local.get $e1)) (f64x2.extract_lane 1 (local.get $M)))
          (f64.store (i32.add (local.get $o2) (local.get $e0)) (f64x2.extract_lane 0 (local.get $N)))
          (f64.store (i32.add (local.get $o2) (local.get $e1)) (f64x2.extract_lane 0 (local.get $N)))
          (f64.store (i32.add (local.get $o3) (local.get $e0)) (f64x2.extract_lane 1 (local.get $N)))
          (f64.store (i32.add (local.get $o3) (local.get $e1)) (f64x2.extract_lane 1 (local.get $N)))
          (local.set $l (i32.add (local.get $l) (i32.const 1)))
          (br $lloop)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kloop)))
      (local.set $p (i32.add (local.get $p) (i32.const 2)))
      (br $ploop))))

  ;; $kronQuad1: kronQuad for pairs one at a time (two sums per b).
  (func $kronQuad1 (param $S i32) (param $P i32) (param $K i32) (param $D i32) (param $xi i32) (param $np i32) (param $out i32)
    (local $p i32) (local $k i32) (local $l i32) (local $a i32) (local $b i32) (local $xp i32) (local $base i32)
    (local $s0 i32) (local $s1 i32) (local $o0 i32) (local $o1 i32) (local $KK8 i32) (local $Pb i32) (local $xb i32)
    (local $e0 i32) (local $e1 i32)
    (local $v v128) (local $T0 v128) (local $T1 v128) (local $M v128)
    (local.set $Pb (i32.shl (local.get $P) (i32.const 3)))
    (local.set $KK8 (i32.shl (i32.mul (local.get $K) (local.get $K)) (i32.const 3)))
    (local.set $p (i32.const 0))
    (block $pend (loop $ploop
      (br_if $pend (i32.ge_s (local.get $p) (local.get $np)))
      (local.set $xp (i32.add (local.get $xi) (i32.shl (i32.mul (local.get $p) (local.get $D)) (i32.const 4))))
      (local.set $o0 (i32.add (local.get $out) (i32.mul (i32.shl (local.get $p) (i32.const 1)) (local.get $KK8))))
      (local.set $o1 (i32.add (local.get $o0) (local.get $KK8)))
      (local.set $k (i32.const 0))
      (block $kend (loop $kloop
        (br_if $kend (i32.ge_s (local.get $k) (local.get $K)))
        (local.set $l (local.get $k))
        (block $lend (loop $lloop
          (br_if $lend (i32.ge_s (local.get $l) (local.get $K)))
          (local.set $base (i32.add (local.get $S)
            (i32.shl (i32.add (i32.mul (i32.mul (local.get $k) (local.get $D)) (local.get $P)) (i32.mul (local.get $l) (local.get $D))) (i32.const 3))))
          (local.set $M (v128.const i64x2 0 0))
          (local.set $a (i32.const 0))
          (block $aend (loop $aloop
            (br_if $aend (i32.ge_s (i32.add (local.get $a) (i32.const 1)) (local.get $D)))
            (local.set $s0 (i32.add (local.get $base) (i32.mul (local.get $a) (local.get $Pb))))
            (local.set $s1 (i32.add (local.get $s0) (local.get $Pb)))
            (local.set $T0 (v128.const i64x2 0 0))
            (local.set $T1 (v128.const i64x2 0 0))
            (local.set $xb (local.get $xp))
            (local.set $b (i32.const 0))
            (block $bend (loop $bloop
              (br_if $bend (i32.ge_s (local.get $b) (local.get $D)))
              (local.set $v (v128.load (local.get $xb)))
              (local.set $T0 (f64x2.add (local.get $T0) (f64x2.mul (v128.load64_splat (local.get $s0)) (local.get $v))))
              (local.set $T1 (f64x2.add (local.get $T1) (f64x2.mul (v128.load64_splat (local.get $s1)) (local.get $v))))
              (local.set $s0 (i32.add (local.get $s0) (i32.const 8)))
              (local.set $s1 (i32.add (local.get $s1) (i32.const 8)))
              (local.set $xb (i32.add (local.get $xb) (i32.const 16)))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))
              (br $bloop)))
            (local.set $xb (i32.add (local.get $xp) (i32.shl (local.get $a) (i32.const 4))))
            (local.set $M (f64x2.add (local.get $M)
              (f64x2.add (f64x2.mul (v128.load (local.get $xb)) (local.get $T0))
                         (f64x2.mul (v128.load offset=16 (local.get $xb)) (local.get $T1)))))
            (local.set $a (i32.add (local.get $a) (i32.const 2)))
            (br $aloop)))
          (if (i32.lt_s (local.get $a) (local.get $D)) (then
            (local.set $s0 (i32.add (local.get $base) (i32.mul (local.get $a) (local.get $Pb))))
            (local.set $T0 (v128.const i64x2 0 0))
            (local.set $xb (local.get $xp))
            (local.set $b (i32.const 0))
            (block $b2end (loop $b2loop
              (br_if $b2end (i32.ge_s (local.get $b) (local.get $D)))
              (local.set $T0 (f64x2.add (local.get $T0) (f64x2.mul (v128.load64_splat (local.get $s0)) (v128.load (local.get $xb)))))
              (local.set $s0 (i32.add (local.get $s0) (i32.const 8)))
              (local.set $xb (i32.add (local.get $xb) (i32.const 16)))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))
              (br $b2loop)))
            (local.set $M (f64x2.add (local.get $M)
              (f64x2.mul (v128.load (i32.add (local.get $xp) (i32.shl (local.get $a) (i32.const 4)))) (local.get $T0))))))
          ;; M_i[k, l] = M_i[l, k] for both rows of the pair
          (local.set $e0 (i32.shl (i32.add (i32.mul (local.get $k) (local.get $K)) (local.get $l)) (i32.const 3)))
          (local.set $e1 (i32.shl (i32.add (i32.mul (local.get $l) (local.get $K)) (local.get $k)) (i32.const 3)))
          (f64.store (i32.add (local.get $o0) (local.get $e0)) (f64x2.extract_lane 0 (local.get $M)))
          (f64.store (i32.add (local.get $o0) (local.get $e1)) (f64x2.extract_lane 0 (local.get $M)))
          (f64.store (i32.add (local.get $o1) (local.get $e0)) (f64x2.extract_lane 1 (local.get $M)))
          (f64.store (i32.add (local.get $o1) (local.get $e1)) (f64x2.extract_lane 1 (local.get $M)))
          (local.set $l (i32.add (local.get $l) (i32.const 1)))
          (br $lloop)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kloop)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $ploop))))
)
