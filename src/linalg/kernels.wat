;; The dense kernels of src/linalg/kernels.ts, in WebAssembly text with 128-bit SIMD (f64x2 lanes).
;; `node scripts/build-kernels.mjs` assembles this file (wabt, a dev dependency) into
;; src/linalg/kernelsWasm.ts, the bytes the engine embeds; test/unit/kernels.test.ts checks that the
;; committed bytes are this file's.
;;
;; Conventions: every address is a byte offset into the imported memory; leading dimensions (lda,
;; ldb, ldc) are in float64 elements; matrices are row-major.
(module
  (import "env" "mem" (memory 1))

  ;; gemmNT(a, lda, b, ldb, c, ldc, m, n, kk, alpha, beta), m, n and kk even:
  ;; C[i, j] = beta C[i, j] + alpha sum_{k < kk} A[i, k] B[j, k] for i < m, j < n ("rows of A dotted
  ;; with rows of B"). Register tiles of 2 rows of A by 2 rows of B: four f64x2 sums, four loads per
  ;; four multiply-adds. Measured on Node 20 (V8 11.3) against 2 x 4 tiles with the k loop unrolled
  ;; twice, with and without fused multiply-adds (relaxed SIMD, behind a flag there): none beat this
  ;; plain tile (12-18 GFLOP/s at best on the 2-core development machine; bench/kernels.ts).
  (func (export "gemmNT")
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $kk i32) (param $alpha f64) (param $beta f64)
    (local $i i32) (local $j i32) (local $k i32) (local $kb i32)
    (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32) (local $c0 i32) (local $c1 i32) (local $p i32)
    (local $x0 v128) (local $x1 v128) (local $y0 v128) (local $y1 v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local.set $lda (i32.shl (local.get $lda) (i32.const 3)))
    (local.set $ldb (i32.shl (local.get $ldb) (i32.const 3)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 3)))
    (local.set $kb (i32.shl (local.get $kk) (i32.const 3)))
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
          (br_if $kend (i32.ge_s (local.get $k) (local.get $kb)))
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
        ;; C[i + di, j + dj] = beta C + alpha (both lanes of the sum added)
        (local.set $p (i32.add (local.get $c0) (i32.shl (local.get $j) (i32.const 3))))
        (f64.store offset=0 (local.get $p)
          (f64.add (f64.mul (f64.load offset=0 (local.get $p)) (local.get $beta))
            (f64.mul (f64.add (f64x2.extract_lane 0 (local.get $s00)) (f64x2.extract_lane 1 (local.get $s00))) (local.get $alpha))))
        (local.set $p (i32.add (local.get $c0) (i32.shl (local.get $j) (i32.const 3))))
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
      (br $iloop)))))
