;; Float64 kernels of @latticediff/tensor-network, hand-written with 128-bit SIMD (f64x2).
;; Compiled to kernels-binary.ts by scripts/build-wasm.mjs; a test checks that the embedded bytes
;; match this source. All pointers are byte offsets into the exported memory; matrices are
;; row-major float64.
(module
  ;; Math.log of the host, so that a sample's log-probability is the same float64 in both engines
  (import "env" "log" (func $log (param f64) (result f64)))
  (memory (export "memory") 1)

  ;; y_k[0..outer) = s_k * (x_k[0..inner) @ m) for four rows k = 0..3 at once.
  ;; m is (inner x outer) with row stride `ms` bytes.
  (func $rows4
    (param $x0 i32) (param $x1 i32) (param $x2 i32) (param $x3 i32)
    (param $y0 i32) (param $y1 i32) (param $y2 i32) (param $y3 i32)
    (param $s0 f64) (param $s1 f64) (param $s2 f64) (param $s3 f64)
    (param $m i32) (param $ms i32) (param $inner i32) (param $outer i32) (param $j0 i32)
    (local $j i32) (local $a i32) (local $ob i32) (local $ib i32) (local $vb i32) (local $mb i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $v v128) (local $p i32)
    (local $e0 f64) (local $e1 f64) (local $e2 f64) (local $e3 f64) (local $w f64)
    (local.set $ob (i32.shl (local.get $outer) (i32.const 3)))
    (local.set $ib (i32.shl (local.get $inner) (i32.const 3)))
    ;; columns [j0, vb) in f64x2 pairs, then one odd column
    (local.set $vb (i32.add (local.get $j0)
      (i32.and (i32.sub (local.get $ob) (local.get $j0)) (i32.const -16))))
    ;; zero the outputs
    (local.set $j (local.get $j0))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_u (local.get $j) (local.get $ob)))
      (f64.store (i32.add (local.get $y0) (local.get $j)) (f64.const 0))
      (f64.store (i32.add (local.get $y1) (local.get $j)) (f64.const 0))
      (f64.store (i32.add (local.get $y2) (local.get $j)) (f64.const 0))
      (f64.store (i32.add (local.get $y3) (local.get $j)) (f64.const 0))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $zl)))
    (local.set $a (i32.const 0))
    (local.set $mb (local.get $m))
    (block $ad (loop $al
      (br_if $ad (i32.ge_u (local.get $a) (local.get $ib)))
      (local.set $e0 (f64.load (i32.add (local.get $x0) (local.get $a))))
      (local.set $e1 (f64.load (i32.add (local.get $x1) (local.get $a))))
      (local.set $e2 (f64.load (i32.add (local.get $x2) (local.get $a))))
      (local.set $e3 (f64.load (i32.add (local.get $x3) (local.get $a))))
      (local.set $c0 (f64x2.splat (local.get $e0)))
      (local.set $c1 (f64x2.splat (local.get $e1)))
      (local.set $c2 (f64x2.splat (local.get $e2)))
      (local.set $c3 (f64x2.splat (local.get $e3)))
      (local.set $j (local.get $j0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $vb)))
        (local.set $v (v128.load (i32.add (local.get $mb) (local.get $j))))
        (local.set $p (i32.add (local.get $y0) (local.get $j)))
        (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (f64x2.mul (local.get $c0) (local.get $v))))
        (local.set $p (i32.add (local.get $y1) (local.get $j)))
        (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (f64x2.mul (local.get $c1) (local.get $v))))
        (local.set $p (i32.add (local.get $y2) (local.get $j)))
        (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (f64x2.mul (local.get $c2) (local.get $v))))
        (local.set $p (i32.add (local.get $y3) (local.get $j)))
        (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (f64x2.mul (local.get $c3) (local.get $v))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jl)))
      ;; odd tail column
      (if (i32.lt_u (local.get $vb) (local.get $ob))
        (then
          (local.set $w (f64.load (i32.add (local.get $mb) (local.get $vb))))
          (local.set $p (i32.add (local.get $y0) (local.get $vb)))
          (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.mul (local.get $e0) (local.get $w))))
          (local.set $p (i32.add (local.get $y1) (local.get $vb)))
          (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.mul (local.get $e1) (local.get $w))))
          (local.set $p (i32.add (local.get $y2) (local.get $vb)))
          (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.mul (local.get $e2) (local.get $w))))
          (local.set $p (i32.add (local.get $y3) (local.get $vb)))
          (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.mul (local.get $e3) (local.get $w))))))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (local.set $mb (i32.add (local.get $mb) (local.get $ms)))
      (br $al)))
    ;; scale
    (local.set $j (local.get $j0))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $j) (local.get $ob)))
      (local.set $p (i32.add (local.get $y0) (local.get $j)))
      (f64.store (local.get $p) (f64.mul (f64.load (local.get $p)) (local.get $s0)))
      (local.set $p (i32.add (local.get $y1) (local.get $j)))
      (f64.store (local.get $p) (f64.mul (f64.load (local.get $p)) (local.get $s1)))
      (local.set $p (i32.add (local.get $y2) (local.get $j)))
      (f64.store (local.get $p) (f64.mul (f64.load (local.get $p)) (local.get $s2)))
      (local.set $p (i32.add (local.get $y3) (local.get $j)))
      (f64.store (local.get $p) (f64.mul (f64.load (local.get $p)) (local.get $s3)))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $sl)))
  )

  ;; Four rows times four columns, accumulated in registers over the whole inner dimension:
  ;; y_k[0..4) = s_k * sum_a x_k[a] m[a, 0..4) (pointers already at the tile's first column).
  (func $tile4x4
    (param $x0 i32) (param $x1 i32) (param $x2 i32) (param $x3 i32)
    (param $y0 i32) (param $y1 i32) (param $y2 i32) (param $y3 i32)
    (param $s0 f64) (param $s1 f64) (param $s2 f64) (param $s3 f64)
    (param $m i32) (param $ms i32) (param $ib i32)
    (local $a i32) (local $v0 v128) (local $v1 v128) (local $c v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (block $done (loop $lp
      (br_if $done (i32.ge_u (local.get $a) (local.get $ib)))
      (local.set $v0 (v128.load (local.get $m)))
      (local.set $v1 (v128.load offset=16 (local.get $m)))
      (local.set $c (v128.load64_splat (i32.add (local.get $x0) (local.get $a))))
      (local.set $a00 (f64x2.add (local.get $a00) (f64x2.mul (local.get $c) (local.get $v0))))
      (local.set $a01 (f64x2.add (local.get $a01) (f64x2.mul (local.get $c) (local.get $v1))))
      (local.set $c (v128.load64_splat (i32.add (local.get $x1) (local.get $a))))
      (local.set $a10 (f64x2.add (local.get $a10) (f64x2.mul (local.get $c) (local.get $v0))))
      (local.set $a11 (f64x2.add (local.get $a11) (f64x2.mul (local.get $c) (local.get $v1))))
      (local.set $c (v128.load64_splat (i32.add (local.get $x2) (local.get $a))))
      (local.set $a20 (f64x2.add (local.get $a20) (f64x2.mul (local.get $c) (local.get $v0))))
      (local.set $a21 (f64x2.add (local.get $a21) (f64x2.mul (local.get $c) (local.get $v1))))
      (local.set $c (v128.load64_splat (i32.add (local.get $x3) (local.get $a))))
      (local.set $a30 (f64x2.add (local.get $a30) (f64x2.mul (local.get $c) (local.get $v0))))
      (local.set $a31 (f64x2.add (local.get $a31) (f64x2.mul (local.get $c) (local.get $v1))))
      (local.set $m (i32.add (local.get $m) (local.get $ms)))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (br $lp)))
    (local.set $c (f64x2.splat (local.get $s0)))
    (v128.store (local.get $y0) (f64x2.mul (local.get $a00) (local.get $c)))
    (v128.store offset=16 (local.get $y0) (f64x2.mul (local.get $a01) (local.get $c)))
    (local.set $c (f64x2.splat (local.get $s1)))
    (v128.store (local.get $y1) (f64x2.mul (local.get $a10) (local.get $c)))
    (v128.store offset=16 (local.get $y1) (f64x2.mul (local.get $a11) (local.get $c)))
    (local.set $c (f64x2.splat (local.get $s2)))
    (v128.store (local.get $y2) (f64x2.mul (local.get $a20) (local.get $c)))
    (v128.store offset=16 (local.get $y2) (f64x2.mul (local.get $a21) (local.get $c)))
    (local.set $c (f64x2.splat (local.get $s3)))
    (v128.store (local.get $y3) (f64x2.mul (local.get $a30) (local.get $c)))
    (v128.store offset=16 (local.get $y3) (f64x2.mul (local.get $a31) (local.get $c)))
  )

  ;; Four rows: register tiles over groups of four columns, the remaining columns by $rows4.
  (func $block4
    (param $x0 i32) (param $x1 i32) (param $x2 i32) (param $x3 i32)
    (param $y0 i32) (param $y1 i32) (param $y2 i32) (param $y3 i32)
    (param $s0 f64) (param $s1 f64) (param $s2 f64) (param $s3 f64)
    (param $m i32) (param $ms i32) (param $inner i32) (param $outer i32)
    (local $j i32) (local $tb i32) (local $ib i32)
    (local.set $ib (i32.shl (local.get $inner) (i32.const 3)))
    ;; tb = bytes covered by whole tiles of four columns
    (local.set $tb (i32.and (i32.shl (local.get $outer) (i32.const 3)) (i32.const -32)))
    (block $done (loop $lp
      (br_if $done (i32.ge_u (local.get $j) (local.get $tb)))
      (call $tile4x4
        (local.get $x0) (local.get $x1) (local.get $x2) (local.get $x3)
        (i32.add (local.get $y0) (local.get $j)) (i32.add (local.get $y1) (local.get $j))
        (i32.add (local.get $y2) (local.get $j)) (i32.add (local.get $y3) (local.get $j))
        (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)
        (i32.add (local.get $m) (local.get $j)) (local.get $ms) (local.get $ib))
      (local.set $j (i32.add (local.get $j) (i32.const 32)))
      (br $lp)))
    (if (i32.lt_u (local.get $tb) (i32.shl (local.get $outer) (i32.const 3)))
      (then
        (call $rows4
          (local.get $x0) (local.get $x1) (local.get $x2) (local.get $x3)
          (local.get $y0) (local.get $y1) (local.get $y2) (local.get $y3)
          (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)
          (local.get $m) (local.get $ms) (local.get $inner) (local.get $outer) (local.get $tb))))
  )

  ;; y[0..outer) = s * (x[0..inner) @ m) for one row.
  (func $row1
    (param $x0 i32) (param $y0 i32) (param $s0 f64)
    (param $m i32) (param $ms i32) (param $inner i32) (param $outer i32)
    (local $j i32) (local $a i32) (local $ob i32) (local $ib i32) (local $vb i32) (local $mb i32)
    (local $c0 v128) (local $p i32) (local $e0 f64)
    (local.set $ob (i32.shl (local.get $outer) (i32.const 3)))
    (local.set $ib (i32.shl (local.get $inner) (i32.const 3)))
    (local.set $vb (i32.and (local.get $ob) (i32.const -16)))
    (local.set $j (i32.const 0))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_u (local.get $j) (local.get $ob)))
      (f64.store (i32.add (local.get $y0) (local.get $j)) (f64.const 0))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $zl)))
    (local.set $a (i32.const 0))
    (local.set $mb (local.get $m))
    (block $ad (loop $al
      (br_if $ad (i32.ge_u (local.get $a) (local.get $ib)))
      (local.set $e0 (f64.load (i32.add (local.get $x0) (local.get $a))))
      (local.set $c0 (f64x2.splat (local.get $e0)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $vb)))
        (local.set $p (i32.add (local.get $y0) (local.get $j)))
        (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p))
          (f64x2.mul (local.get $c0) (v128.load (i32.add (local.get $mb) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jl)))
      (if (i32.lt_u (local.get $vb) (local.get $ob))
        (then
          (local.set $p (i32.add (local.get $y0) (local.get $vb)))
          (f64.store (local.get $p) (f64.add (f64.load (local.get $p))
            (f64.mul (local.get $e0) (f64.load (i32.add (local.get $mb) (local.get $vb))))))))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (local.set $mb (i32.add (local.get $mb) (local.get $ms)))
      (br $al)))
    (local.set $j (i32.const 0))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $j) (local.get $ob)))
      (local.set $p (i32.add (local.get $y0) (local.get $j)))
      (f64.store (local.get $p) (f64.mul (f64.load (local.get $p)) (local.get $s0)))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $sl)))
  )

  ;; y[0..outer) = s * (x[0..inner) @ m) for one row, m of row stride ms bytes, accumulated in
  ;; registers: columns in blocks of eight, then pairs, then one odd column. Each output sums over
  ;; the inner index in order from zero, as $tile4x4 and $rows4 do.
  (func $rowTimes
    (param $x i32) (param $y i32) (param $s f64) (param $m i32) (param $ms i32)
    (param $inner i32) (param $outer i32)
    (local $j i32) (local $a i32) (local $ib i32) (local $ob i32) (local $b8 i32) (local $b2 i32)
    (local $mp i32) (local $c v128) (local $sv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $acc f64)
    (local.set $ib (i32.shl (local.get $inner) (i32.const 3)))
    (local.set $ob (i32.shl (local.get $outer) (i32.const 3)))
    (local.set $b8 (i32.and (local.get $ob) (i32.const -64)))
    (local.set $b2 (i32.and (local.get $ob) (i32.const -16)))
    (local.set $sv (f64x2.splat (local.get $s)))
    (block $d8 (loop $l8
      (br_if $d8 (i32.ge_u (local.get $j) (local.get $b8)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0))
      (local.set $a3 (v128.const i64x2 0 0))
      (local.set $mp (i32.add (local.get $m) (local.get $j)))
      (local.set $a (i32.const 0))
      (block $ad (loop $al
        (br_if $ad (i32.ge_u (local.get $a) (local.get $ib)))
        (local.set $c (v128.load64_splat (i32.add (local.get $x) (local.get $a))))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $c) (v128.load (local.get $mp)))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $c) (v128.load offset=16 (local.get $mp)))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $c) (v128.load offset=32 (local.get $mp)))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $c) (v128.load offset=48 (local.get $mp)))))
        (local.set $mp (i32.add (local.get $mp) (local.get $ms)))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (br $al)))
      (local.set $mp (i32.add (local.get $y) (local.get $j)))
      (v128.store (local.get $mp) (f64x2.mul (local.get $a0) (local.get $sv)))
      (v128.store offset=16 (local.get $mp) (f64x2.mul (local.get $a1) (local.get $sv)))
      (v128.store offset=32 (local.get $mp) (f64x2.mul (local.get $a2) (local.get $sv)))
      (v128.store offset=48 (local.get $mp) (f64x2.mul (local.get $a3) (local.get $sv)))
      (local.set $j (i32.add (local.get $j) (i32.const 64)))
      (br $l8)))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $j) (local.get $b2)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $mp (i32.add (local.get $m) (local.get $j)))
      (local.set $a (i32.const 0))
      (block $ad2 (loop $al2
        (br_if $ad2 (i32.ge_u (local.get $a) (local.get $ib)))
        (local.set $a0 (f64x2.add (local.get $a0)
          (f64x2.mul (v128.load64_splat (i32.add (local.get $x) (local.get $a))) (v128.load (local.get $mp)))))
        (local.set $mp (i32.add (local.get $mp) (local.get $ms)))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (br $al2)))
      (v128.store (i32.add (local.get $y) (local.get $j)) (f64x2.mul (local.get $a0) (local.get $sv)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l2)))
    (if (i32.lt_u (local.get $j) (local.get $ob))
      (then
        (local.set $acc (f64.const 0))
        (local.set $mp (i32.add (local.get $m) (local.get $j)))
        (local.set $a (i32.const 0))
        (block $ad1 (loop $al1
          (br_if $ad1 (i32.ge_u (local.get $a) (local.get $ib)))
          (local.set $acc (f64.add (local.get $acc)
            (f64.mul (f64.load (i32.add (local.get $x) (local.get $a))) (f64.load (local.get $mp)))))
          (local.set $mp (i32.add (local.get $mp) (local.get $ms)))
          (local.set $a (i32.add (local.get $a) (i32.const 8)))
          (br $al1)))
        (f64.store (i32.add (local.get $y) (local.get $j)) (f64.mul (local.get $acc) (local.get $s)))))
  )

  ;; $rowTimes for two rows that share m: y0 = s0 (x0 @ m), y1 = s1 (x1 @ m), every output summed
  ;; exactly as $rowTimes sums it (so a row's result does not depend on whether it was paired);
  ;; each load of m serves both rows.
  (func $rowTimes2
    (param $x0 i32) (param $x1 i32) (param $y0 i32) (param $y1 i32) (param $s0 f64) (param $s1 f64)
    (param $m i32) (param $ms i32) (param $inner i32) (param $outer i32)
    (local $j i32) (local $a i32) (local $ib i32) (local $ob i32) (local $b8 i32) (local $b2 i32)
    (local $mp i32) (local $c v128) (local $e v128) (local $v v128) (local $sv v128) (local $tv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2v v128) (local $b3 v128) (local $acc f64) (local $bcc f64)
    (local.set $ib (i32.shl (local.get $inner) (i32.const 3)))
    (local.set $ob (i32.shl (local.get $outer) (i32.const 3)))
    (local.set $b8 (i32.and (local.get $ob) (i32.const -64)))
    (local.set $b2 (i32.and (local.get $ob) (i32.const -16)))
    (local.set $sv (f64x2.splat (local.get $s0)))
    (local.set $tv (f64x2.splat (local.get $s1)))
    (block $d8 (loop $l8
      (br_if $d8 (i32.ge_u (local.get $j) (local.get $b8)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0))
      (local.set $a3 (v128.const i64x2 0 0))
      (local.set $b0 (v128.const i64x2 0 0))
      (local.set $b1 (v128.const i64x2 0 0))
      (local.set $b2v (v128.const i64x2 0 0))
      (local.set $b3 (v128.const i64x2 0 0))
      (local.set $mp (i32.add (local.get $m) (local.get $j)))
      (local.set $a (i32.const 0))
      (block $ad (loop $al
        (br_if $ad (i32.ge_u (local.get $a) (local.get $ib)))
        (local.set $c (v128.load64_splat (i32.add (local.get $x0) (local.get $a))))
        (local.set $e (v128.load64_splat (i32.add (local.get $x1) (local.get $a))))
        (local.set $v (v128.load (local.get $mp)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $c) (local.get $v))))
        (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $e) (local.get $v))))
        (local.set $v (v128.load offset=16 (local.get $mp)))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $c) (local.get $v))))
        (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $e) (local.get $v))))
        (local.set $v (v128.load offset=32 (local.get $mp)))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $c) (local.get $v))))
        (local.set $b2v (f64x2.add (local.get $b2v) (f64x2.mul (local.get $e) (local.get $v))))
        (local.set $v (v128.load offset=48 (local.get $mp)))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $c) (local.get $v))))
        (local.set $b3 (f64x2.add (local.get $b3) (f64x2.mul (local.get $e) (local.get $v))))
        (local.set $mp (i32.add (local.get $mp) (local.get $ms)))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (br $al)))
      (local.set $a0 (f64x2.mul (local.get $a0) (local.get $sv)))
      (local.set $a1 (f64x2.mul (local.get $a1) (local.get $sv)))
      (local.set $a2 (f64x2.mul (local.get $a2) (local.get $sv)))
      (local.set $a3 (f64x2.mul (local.get $a3) (local.get $sv)))
      (local.set $b0 (f64x2.mul (local.get $b0) (local.get $tv)))
      (local.set $b1 (f64x2.mul (local.get $b1) (local.get $tv)))
      (local.set $b2v (f64x2.mul (local.get $b2v) (local.get $tv)))
      (local.set $b3 (f64x2.mul (local.get $b3) (local.get $tv)))
      (local.set $mp (i32.add (local.get $y0) (local.get $j)))
      (v128.store (local.get $mp) (local.get $a0))
      (v128.store offset=16 (local.get $mp) (local.get $a1))
      (v128.store offset=32 (local.get $mp) (local.get $a2))
      (v128.store offset=48 (local.get $mp) (local.get $a3))
      (local.set $mp (i32.add (local.get $y1) (local.get $j)))
      (v128.store (local.get $mp) (local.get $b0))
      (v128.store offset=16 (local.get $mp) (local.get $b1))
      (v128.store offset=32 (local.get $mp) (local.get $b2v))
      (v128.store offset=48 (local.get $mp) (local.get $b3))
      (local.set $j (i32.add (local.get $j) (i32.const 64)))
      (br $l8)))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $j) (local.get $b2)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $b0 (v128.const i64x2 0 0))
      (local.set $mp (i32.add (local.get $m) (local.get $j)))
      (local.set $a (i32.const 0))
      (block $ad2 (loop $al2
        (br_if $ad2 (i32.ge_u (local.get $a) (local.get $ib)))
        (local.set $v (v128.load (local.get $mp)))
        (local.set $a0 (f64x2.add (local.get $a0)
          (f64x2.mul (v128.load64_splat (i32.add (local.get $x0) (local.get $a))) (local.get $v))))
        (local.set $b0 (f64x2.add (local.get $b0)
          (f64x2.mul (v128.load64_splat (i32.add (local.get $x1) (local.get $a))) (local.get $v))))
        (local.set $mp (i32.add (local.get $mp) (local.get $ms)))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (br $al2)))
      (local.set $a0 (f64x2.mul (local.get $a0) (local.get $sv)))
      (local.set $b0 (f64x2.mul (local.get $b0) (local.get $tv)))
      (v128.store (i32.add (local.get $y0) (local.get $j)) (local.get $a0))
      (v128.store (i32.add (local.get $y1) (local.get $j)) (local.get $b0))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l2)))
    (if (i32.lt_u (local.get $j) (local.get $ob))
      (then
        (local.set $acc (f64.const 0))
        (local.set $bcc (f64.const 0))
        (local.set $mp (i32.add (local.get $m) (local.get $j)))
        (local.set $a (i32.const 0))
        (block $ad1 (loop $al1
          (br_if $ad1 (i32.ge_u (local.get $a) (local.get $ib)))
          (local.set $acc (f64.add (local.get $acc)
            (f64.mul (f64.load (i32.add (local.get $x0) (local.get $a))) (f64.load (local.get $mp)))))
          (local.set $bcc (f64.add (local.get $bcc)
            (f64.mul (f64.load (i32.add (local.get $x1) (local.get $a))) (f64.load (local.get $mp)))))
          (local.set $mp (i32.add (local.get $mp) (local.get $ms)))
          (local.set $a (i32.add (local.get $a) (i32.const 8)))
          (br $al1)))
        (local.set $acc (f64.mul (local.get $acc) (local.get $s0)))
        (local.set $bcc (f64.mul (local.get $bcc) (local.get $s1)))
        (f64.store (i32.add (local.get $y0) (local.get $j)) (local.get $acc))
        (f64.store (i32.add (local.get $y1) (local.get $j)) (local.get $bcc))))
  )

  ;; One site of linear sampling with a shared right environment. For b < count:
  ;; w_s = x_b . p[:, s] (p = T contracted with the right environment, l x d row-major; for d = 2
  ;; summed over a in order, two rows at a time, else as below); the digit
  ;; is drawn with u[b] (u >= 0) or read from the digits (u = -1); w_s / sum w is accumulated
  ;; into (logq[b], prod[b]) by $accumulate;
  ;; y_b = (x_b @ T_s) / w_s with T_s the (l x r) slice s of T ([l][d][r]). Digits are int32 at byte
  ;; offset digits + 4 stride b. w: d scratch doubles. status: set to the first row whose weights
  ;; sum to zero while drawing (the caller's error), else -1. A read digit of zero weight gives
  ;; logq = -inf and y_b = 0 (so the row stays at -inf). For d = 2, an odd count's last row is
  ;; worked twice (once in each lane): u, logq and prod need an entry at [count].
  ;; born = 1 (d = 2 only; ignored for other d): the Born draw of a diagonal-gauge right-canonical
  ;; T, with p[a, s] the squared norm of row a of T_s: w_s = sum_a x_b[a]^2 p[a, s], except that a
  ;; weight at or below 2^-20 (w_0 + w_1) is ||x_b @ T_s||^2 ($bornWeight, the product into the
  ;; scratch v of r doubles), and y_b = (x_b @ T_s) / sqrt(w_s).
  (func (export "linearSampleSite")
    (param $x i32) (param $y i32) (param $t i32) (param $p i32) (param $u i32)
    (param $digits i32) (param $stride i32) (param $logq i32) (param $prod i32) (param $count i32)
    (param $l i32) (param $d i32) (param $r i32) (param $w i32) (param $status i32)
    (param $born i32) (param $v i32)
    (local $b1 i32) (local $real1 i32) (local $x1 i32) (local $dp1 i32) (local $X v128) (local $W0 v128) (local $W1 v128)
    (local $T v128) (local $E v128) (local $M v128) (local $WS v128) (local $Z v128) (local $C v128) (local $S v128) (local $PV v128)
    (local $b i32) (local $a i32) (local $s i32) (local $xb i32) (local $yb i32) (local $dp i32)
    (local $lb i32) (local $rb i32) (local $db i32) (local $ps i32) (local $pp i32) (local $pairs i32)
    (local $acc v128) (local $acc2 v128) (local $k i32)
    (local $sc f64) (local $total f64) (local $ws f64) (local $ub f64) (local $qp i32)
    (local $target f64) (local $pv f64) (local $c f64) (local $pp2 i32)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128) (local $end4 i32) (local $wq i32)
    (local.set $lb (i32.shl (local.get $l) (i32.const 3)))
    (local.set $rb (i32.shl (local.get $r) (i32.const 3)))
    (local.set $db (i32.shl (local.get $d) (i32.const 3)))
    (local.set $pairs (i32.and (local.get $d) (i32.const -2)))
    (local.set $ub (f64.const -1))
    (f64.store (local.get $status) (f64.const -1))
    ;; pass 1 for d = 2: two rows at once, one per lane (rows b and b + 1; an odd count's last row
    ;; is repeated in the second lane, whose uniform is u[count], whose conditional goes to
    ;; logq[count] and prod[count], and whose digit and scale are never stored); w_s summed over a
    ;; in order
    (if (i32.eq (local.get $d) (i32.const 2))
      (then
        (block $qd (loop $ql
          (br_if $qd (i32.ge_u (local.get $b) (local.get $count)))
          (local.set $b1 (i32.add (local.get $b) (i32.const 1)))
          (local.set $real1 (i32.lt_u (local.get $b1) (local.get $count)))
          (if (i32.eqz (local.get $real1)) (then (local.set $b1 (local.get $b))))
          (local.set $xb (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $lb))))
          (local.set $x1 (i32.add (local.get $x) (i32.mul (local.get $b1) (local.get $lb))))
          (local.set $W0 (v128.const i64x2 0 0))
          (local.set $W1 (v128.const i64x2 0 0))
          (local.set $a (i32.const 0))
          (local.set $pp (local.get $p))
          (block $ad (loop $al
            (br_if $ad (i32.ge_u (local.get $a) (local.get $lb)))
            (local.set $X (v128.load64_lane 1 (i32.add (local.get $x1) (local.get $a))
              (v128.load64_splat (i32.add (local.get $xb) (local.get $a)))))
            (if (local.get $born) (then (local.set $X (f64x2.mul (local.get $X) (local.get $X)))))
            (local.set $W0 (f64x2.add (local.get $W0) (f64x2.mul (local.get $X) (v128.load64_splat (local.get $pp)))))
            (local.set $W1 (f64x2.add (local.get $W1) (f64x2.mul (local.get $X) (v128.load64_splat offset=8 (local.get $pp)))))
            (local.set $pp (i32.add (local.get $pp) (i32.const 16)))
            (local.set $a (i32.add (local.get $a) (i32.const 8)))
            (br $al)))
          (local.set $T (f64x2.add (local.get $W0) (local.get $W1)))
          (block $pairDone
            ;; Born: a pair with a weight at or below 2^-20 of its row's total goes row by row
            ;; ($bornRow); lane 1 counts only where real1
            (if (local.get $born)
              (then
                (local.set $E (f64x2.mul (local.get $T) (v128.const f64x2 0x1p-20 0x1p-20)))
                (local.set $E (v128.or (f64x2.le (local.get $W0) (local.get $E)) (f64x2.le (local.get $W1) (local.get $E))))
                (if (i32.or (i32.wrap_i64 (i64x2.extract_lane 0 (local.get $E)))
                      (i32.and (local.get $real1) (i32.wrap_i64 (i64x2.extract_lane 1 (local.get $E)))))
                  (then
                    (local.set $k (i32.const 0))
                    (block $rd (loop $rl
                      (br_if $rd (i32.ge_u (local.get $k) (i32.add (i32.const 1) (local.get $real1))))
                      (local.set $a (select (local.get $b1) (local.get $b) (local.get $k)))
                      (local.set $sc (call $bornRow
                        (i32.add (local.get $x) (i32.mul (local.get $a) (local.get $lb)))
                        (local.get $t) (local.get $l) (local.get $r) (local.get $v)
                        (select (f64x2.extract_lane 1 (local.get $W0)) (f64x2.extract_lane 0 (local.get $W0)) (local.get $k))
                        (select (f64x2.extract_lane 1 (local.get $W1)) (f64x2.extract_lane 0 (local.get $W1)) (local.get $k))
                        (if (result f64) (i32.ge_s (local.get $u) (i32.const 0))
                          (then (f64.load (i32.add (local.get $u) (i32.shl (local.get $a) (i32.const 3)))))
                          (else (f64.const -1)))
                        (i32.add (local.get $digits) (i32.shl (i32.mul (local.get $a) (local.get $stride)) (i32.const 2)))
                        (i32.add (local.get $logq) (i32.shl (local.get $a) (i32.const 3)))
                        (i32.add (local.get $prod) (i32.shl (local.get $a) (i32.const 3)))))
                      (if (f64.lt (local.get $sc) (f64.const 0))
                        (then
                          (f64.store (local.get $status) (f64.convert_i32_u (local.get $a)))
                          (return)))
                      (f64.store (i32.add (local.get $y) (i32.mul (local.get $a) (local.get $rb))) (local.get $sc))
                      (local.set $k (i32.add (local.get $k) (i32.const 1)))
                      (br $rl)))
                    (br $pairDone)))))
            (local.set $dp (i32.add (local.get $digits) (i32.shl (i32.mul (local.get $b) (local.get $stride)) (i32.const 2))))
            (local.set $dp1 (i32.add (local.get $digits) (i32.shl (i32.mul (local.get $b1) (local.get $stride)) (i32.const 2))))
            (local.set $Z (v128.const i64x2 0 0))
            (if (i32.ge_s (local.get $u) (i32.const 0))
              (then
                ;; a row whose weights do not sum to a positive number cannot draw
                (local.set $E (f64x2.gt (local.get $T) (v128.const f64x2 0 0)))
                (if (i64.eqz (i64x2.extract_lane 0 (local.get $E)))
                  (then
                    (f64.store (local.get $status) (f64.convert_i32_u (local.get $b)))
                    (return)))
                (if (i32.and (local.get $real1) (i64.eqz (i64x2.extract_lane 1 (local.get $E))))
                  (then
                    (f64.store (local.get $status) (f64.convert_i32_u (local.get $b1)))
                    (return)))
                ;; digit 1 where u total >= w_0 and w_1 > 0, as the row path chooses for d = 2
                (local.set $M (v128.and
                  (f64x2.ge
                    (f64x2.mul (v128.load (i32.add (local.get $u) (i32.shl (local.get $b) (i32.const 3)))) (local.get $T))
                    (local.get $W0))
                  (f64x2.gt (local.get $W1) (v128.const f64x2 0 0))))
                (i32.store (local.get $dp) (i32.and (i32x4.extract_lane 0 (local.get $M)) (i32.const 1)))
                (if (local.get $real1)
                  (then (i32.store (local.get $dp1) (i32.and (i32x4.extract_lane 2 (local.get $M)) (i32.const 1)))))
                (local.set $WS (v128.bitselect (local.get $W1) (local.get $W0) (local.get $M))))
              (else
                (local.set $M (i64x2.neg (i64x2.replace_lane 1
                  (i64x2.splat (i64.extend_i32_u (i32.load (local.get $dp))))
                  (i64.extend_i32_u (i32.load (local.get $dp1))))))
                (local.set $WS (v128.bitselect (local.get $W1) (local.get $W0) (local.get $M)))
                ;; q(x) = 0 where the weights or the read digit's weight are not positive
                (local.set $Z (v128.not (v128.and
                  (f64x2.gt (local.get $T) (v128.const f64x2 0 0))
                  (f64x2.gt (local.get $WS) (v128.const f64x2 0 0)))))))
            (local.set $C (f64x2.div (local.get $WS) (local.get $T)))
            ;; the scale 1 / w_s (Born: 1 / sqrt(w_s)), 0 for a row of probability zero
            (local.set $S (v128.andnot
              (f64x2.div (v128.const f64x2 1 1)
                (if (result v128) (local.get $born) (then (f64x2.sqrt (local.get $WS))) (else (local.get $WS))))
              (local.get $Z)))
            (local.set $qp (i32.add (local.get $logq) (i32.shl (local.get $b) (i32.const 3))))
            (local.set $pp2 (i32.add (local.get $prod) (i32.shl (local.get $b) (i32.const 3))))
            (local.set $PV (f64x2.mul (v128.load (local.get $pp2)) (local.get $C)))
            (if (v128.any_true (v128.or (local.get $Z)
                  (v128.or (f64x2.lt (local.get $C) (v128.const f64x2 1e-150 1e-150))
                           (f64x2.lt (local.get $PV) (v128.const f64x2 1e-150 1e-150)))))
              (then
                ;; lane by lane, as the row path accumulates a conditional
                (local.set $k (i32.const 0))
                (block $ld (loop $ll
                  (br_if $ld (i32.ge_u (local.get $k) (i32.const 2)))
                  (if (i32.wrap_i64 (i64x2.extract_lane 0 (local.get $Z)))
                    (then (f64.store (local.get $qp) (f64.const -inf)))
                    (else
                      (local.set $c (f64x2.extract_lane 0 (local.get $C)))
                      (if (f64.lt (local.get $c) (f64.const 1e-150))
                        (then (f64.store (local.get $qp) (f64.add (f64.load (local.get $qp)) (call $log (local.get $c)))))
                        (else
                          (local.set $pv (f64.mul (f64.load (local.get $pp2)) (local.get $c)))
                          (if (f64.lt (local.get $pv) (f64.const 1e-150))
                            (then
                              (f64.store (local.get $qp) (f64.add (f64.load (local.get $qp)) (call $log (local.get $pv))))
                              (local.set $pv (f64.const 1))))
                          (f64.store (local.get $pp2) (local.get $pv))))))
                  ;; the second lane's values into lane 0
                  (local.set $Z (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $Z) (local.get $Z)))
                  (local.set $C (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $C) (local.get $C)))
                  (local.set $qp (i32.add (local.get $qp) (i32.const 8)))
                  (local.set $pp2 (i32.add (local.get $pp2) (i32.const 8)))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (br $ll))))
              (else (v128.store (local.get $pp2) (local.get $PV))))
            (f64.store (i32.add (local.get $y) (i32.mul (local.get $b) (local.get $rb))) (f64x2.extract_lane 0 (local.get $S)))
            (if (local.get $real1)
              (then (f64.store (i32.add (local.get $y) (i32.mul (local.get $b1) (local.get $rb))) (f64x2.extract_lane 1 (local.get $S)))))
            )
          (local.set $b (i32.add (local.get $b) (i32.const 2)))
          (br $ql))))
      (else
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $count)))
      (local.set $xb (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $lb))))
      (local.set $yb (i32.add (local.get $y) (i32.mul (local.get $b) (local.get $rb))))
      (local.set $dp (i32.add (local.get $digits) (i32.shl (i32.mul (local.get $b) (local.get $stride)) (i32.const 2))))
      ;; the weights, two digits at a time: four partial sums over a = 0, 1, 2, 3 (mod 4), each in
      ;; order, then (p0 + p1) + (p2 + p3), which keeps four independent chains of additions
      (local.set $s (i32.const 0))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $s) (local.get $pairs)))
        ;; w_s, w_s+1 = x_b . p[:, s..s+2): four partial sums over a = 0, 1, 2, 3 (mod 4),
        ;; each in order of a, combined as (p0 + p1) + (p2 + p3); inline, since a call per row
        ;; cost as much as its arithmetic at small l
        (local.set $pp (i32.add (local.get $p) (i32.shl (local.get $s) (i32.const 3))))
        (local.set $wq (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3))))
        (local.set $a (i32.const 0))
        (local.set $q0 (v128.const i64x2 0 0))
        (local.set $q1 (v128.const i64x2 0 0))
        (local.set $q2 (v128.const i64x2 0 0))
        (local.set $q3 (v128.const i64x2 0 0))
        (local.set $end4 (i32.and (local.get $lb) (i32.const -32)))
        (block $w4d (loop $w4l
          (br_if $w4d (i32.ge_u (local.get $a) (local.get $end4)))
          (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul
            (v128.load64_splat (i32.add (local.get $xb) (local.get $a))) (v128.load (local.get $pp)))))
          (local.set $pp (i32.add (local.get $pp) (local.get $db)))
          (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul
            (v128.load64_splat offset=8 (i32.add (local.get $xb) (local.get $a))) (v128.load (local.get $pp)))))
          (local.set $pp (i32.add (local.get $pp) (local.get $db)))
          (local.set $q2 (f64x2.add (local.get $q2) (f64x2.mul
            (v128.load64_splat offset=16 (i32.add (local.get $xb) (local.get $a))) (v128.load (local.get $pp)))))
          (local.set $pp (i32.add (local.get $pp) (local.get $db)))
          (local.set $q3 (f64x2.add (local.get $q3) (f64x2.mul
            (v128.load64_splat offset=24 (i32.add (local.get $xb) (local.get $a))) (v128.load (local.get $pp)))))
          (local.set $pp (i32.add (local.get $pp) (local.get $db)))
          (local.set $a (i32.add (local.get $a) (i32.const 32)))
          (br $w4l)))
        ;; the last l mod 4 terms go to p0, p1, p2 in turn
        (if (i32.lt_u (local.get $a) (local.get $lb))
          (then
            (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul
              (v128.load64_splat (i32.add (local.get $xb) (local.get $a))) (v128.load (local.get $pp)))))
            (local.set $pp (i32.add (local.get $pp) (local.get $db)))
            (local.set $a (i32.add (local.get $a) (i32.const 8)))))
        (if (i32.lt_u (local.get $a) (local.get $lb))
          (then
            (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul
              (v128.load64_splat (i32.add (local.get $xb) (local.get $a))) (v128.load (local.get $pp)))))
            (local.set $pp (i32.add (local.get $pp) (local.get $db)))
            (local.set $a (i32.add (local.get $a) (i32.const 8)))))
        (if (i32.lt_u (local.get $a) (local.get $lb))
          (then
            (local.set $q2 (f64x2.add (local.get $q2) (f64x2.mul
              (v128.load64_splat (i32.add (local.get $xb) (local.get $a))) (v128.load (local.get $pp)))))))
        (v128.store (local.get $wq)
          (f64x2.add (f64x2.add (local.get $q0) (local.get $q1)) (f64x2.add (local.get $q2) (local.get $q3))))
        (local.set $s (i32.add (local.get $s) (i32.const 2)))
        (br $sl)))
      (if (i32.lt_u (local.get $pairs) (local.get $d))
        (then
          ;; the odd last digit: the same partial sums, scalar
          (local.set $pp (i32.add (local.get $p) (i32.shl (local.get $pairs) (i32.const 3))))
          (local.set $acc (v128.const i64x2 0 0))
          (local.set $acc2 (v128.const i64x2 0 0))
          (local.set $a (i32.const 0))
          (block $od (loop $ol
            (br_if $od (i32.ge_u (local.get $a) (local.get $lb)))
            ;; lanes of acc: a = 0, 1 (mod 4); of acc2: a = 2, 3 (mod 4)
            (local.set $sc (f64.mul (f64.load (i32.add (local.get $xb) (local.get $a))) (f64.load (local.get $pp))))
            (local.set $k (i32.and (local.get $a) (i32.const 24)))
            (if (i32.eq (local.get $k) (i32.const 0))
              (then (local.set $acc (f64x2.replace_lane 0 (local.get $acc) (f64.add (f64x2.extract_lane 0 (local.get $acc)) (local.get $sc))))))
            (if (i32.eq (local.get $k) (i32.const 8))
              (then (local.set $acc (f64x2.replace_lane 1 (local.get $acc) (f64.add (f64x2.extract_lane 1 (local.get $acc)) (local.get $sc))))))
            (if (i32.eq (local.get $k) (i32.const 16))
              (then (local.set $acc2 (f64x2.replace_lane 0 (local.get $acc2) (f64.add (f64x2.extract_lane 0 (local.get $acc2)) (local.get $sc))))))
            (if (i32.eq (local.get $k) (i32.const 24))
              (then (local.set $acc2 (f64x2.replace_lane 1 (local.get $acc2) (f64.add (f64x2.extract_lane 1 (local.get $acc2)) (local.get $sc))))))
            (local.set $pp (i32.add (local.get $pp) (local.get $db)))
            (local.set $a (i32.add (local.get $a) (i32.const 8)))
            (br $ol)))
          (f64.store (i32.add (local.get $w) (i32.shl (local.get $pairs) (i32.const 3)))
            (f64.add
              (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))
              (f64.add (f64x2.extract_lane 0 (local.get $acc2)) (f64x2.extract_lane 1 (local.get $acc2)))))))
      (local.set $total (f64.const 0))
      (local.set $s (i32.const 0))
      (block $td (loop $tl
        (br_if $td (i32.ge_u (local.get $s) (local.get $d)))
        (local.set $total (f64.add (local.get $total) (f64.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3))))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $tl)))
      (local.set $qp (i32.add (local.get $logq) (i32.shl (local.get $b) (i32.const 3))))
      (block $row
        (if (i32.ge_s (local.get $u) (i32.const 0))
          (then
            (if (i32.eqz (f64.gt (local.get $total) (f64.const 0)))
              (then
                (f64.store (local.get $status) (f64.convert_i32_u (local.get $b)))
                (return)))
            (local.set $ub (f64.load (i32.add (local.get $u) (i32.shl (local.get $b) (i32.const 3))))))
          (else
            (local.set $s (i32.load (local.get $dp)))
            (if (i32.or
                  (i32.eqz (f64.gt (local.get $total) (f64.const 0)))
                  (i32.eqz (f64.gt (f64.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3)))) (f64.const 0))))
              (then
                ;; q(x) = 0: -inf, and a zero row (whose later weights are all zero)
                (f64.store (local.get $qp) (f64.const -inf))
                (f64.store (local.get $yb) (f64.const 0))
                (br $row)))))
        (if (f64.ge (local.get $ub) (f64.const 0))
          (then
            ;; the first digit whose cumulative weight exceeds u total; the last positive weight
            ;; if rounding leaves none
            (local.set $target (f64.mul (local.get $ub) (local.get $total)))
            (block $chosen
              ;; d = 2 without a data-dependent branch: 0 if target < w_0, else 1 when w_1 > 0
              (if (i32.eq (local.get $d) (i32.const 2))
                (then
                  (local.set $s (f64.ge (local.get $target) (f64.load (local.get $w))))
                  (br_if $chosen (i32.or (i32.eqz (local.get $s)) (f64.gt (f64.load offset=8 (local.get $w)) (f64.const 0))))))
              (local.set $s (i32.const 0))
              (block $cd (loop $cl
                (br_if $cd (i32.ge_s (local.get $s) (i32.sub (local.get $d) (i32.const 1))))
                (local.set $pv (f64.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3)))))
                (br_if $chosen (f64.lt (local.get $target) (local.get $pv)))
                (local.set $target (f64.sub (local.get $target) (local.get $pv)))
                (local.set $s (i32.add (local.get $s) (i32.const 1)))
                (br $cl)))
              (local.set $s (i32.sub (local.get $d) (i32.const 1)))
              (block $fd (loop $fl
                (br_if $fd (i32.lt_s (local.get $s) (i32.const 0)))
                (br_if $chosen (f64.gt (f64.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3)))) (f64.const 0)))
                (local.set $s (i32.sub (local.get $s) (i32.const 1)))
                (br $fl)))
              (local.set $s (i32.sub (local.get $d) (i32.const 1))))
            (i32.store (local.get $dp) (local.get $s))))
        (local.set $ws (f64.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3)))))
        (local.set $c (f64.div (local.get $ws) (local.get $total)))
        (local.set $pp2 (i32.add (local.get $prod) (i32.shl (local.get $b) (i32.const 3))))
        (if (f64.lt (local.get $c) (f64.const 1e-150))
          (then (f64.store (local.get $qp) (f64.add (f64.load (local.get $qp)) (call $log (local.get $c)))))
          (else
            (local.set $pv (f64.mul (f64.load (local.get $pp2)) (local.get $c)))
            (if (f64.lt (local.get $pv) (f64.const 1e-150))
              (then
                (f64.store (local.get $qp) (f64.add (f64.load (local.get $qp)) (call $log (local.get $pv))))
                (local.set $pv (f64.const 1))))
            (f64.store (local.get $pp2) (local.get $pv))))
        (f64.store (local.get $yb) (f64.div (f64.const 1) (local.get $ws))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl)))))
    ;; pass 2: y_b = scale_b (x_b @ T_s), the scale parked in y_b[0] by pass 1 (0 for a row of
    ;; probability zero), rows of one digit in pairs (each load of T_s serves two rows); w holds
    ;; the unpaired row of each digit (int32, -1 for none). Two passes keep the weights-to-digit
    ;; chain of one row from stalling the products of the next: the rows of each pass are
    ;; independent, and a row's result does not depend on its pairing.
    (local.set $s (i32.const 0))
    (block $id (loop $il
      (br_if $id (i32.ge_u (local.get $s) (local.get $d)))
      (i32.store (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 2))) (i32.const -1))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $il)))
    (local.set $b (i32.const 0))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_u (local.get $b) (local.get $count)))
      (local.set $s (i32.load (i32.add (local.get $digits) (i32.shl (i32.mul (local.get $b) (local.get $stride)) (i32.const 2)))))
      (local.set $pp (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 2))))
      (local.set $k (i32.load (local.get $pp)))
      (if (i32.lt_s (local.get $k) (i32.const 0))
        (then (i32.store (local.get $pp) (local.get $b)))
        (else
          (i32.store (local.get $pp) (i32.const -1))
          (local.set $xb (i32.add (local.get $y) (i32.mul (local.get $k) (local.get $rb))))
          (local.set $yb (i32.add (local.get $y) (i32.mul (local.get $b) (local.get $rb))))
          (call $rowTimes2
            (i32.add (local.get $x) (i32.mul (local.get $k) (local.get $lb)))
            (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $lb)))
            (local.get $xb) (local.get $yb) (f64.load (local.get $xb)) (f64.load (local.get $yb))
            (i32.add (local.get $t) (i32.mul (local.get $s) (local.get $rb)))
            (i32.mul (local.get $d) (local.get $rb)) (local.get $l) (local.get $r))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $pl)))
    (local.set $s (i32.const 0))
    (block $ud (loop $ul
      (br_if $ud (i32.ge_u (local.get $s) (local.get $d)))
      (local.set $k (i32.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 2)))))
      (if (i32.ge_s (local.get $k) (i32.const 0))
        (then
          (local.set $yb (i32.add (local.get $y) (i32.mul (local.get $k) (local.get $rb))))
          (call $rowTimes (i32.add (local.get $x) (i32.mul (local.get $k) (local.get $lb))) (local.get $yb)
            (f64.load (local.get $yb))
            (i32.add (local.get $t) (i32.mul (local.get $s) (local.get $rb)))
            (i32.mul (local.get $d) (local.get $rb)) (local.get $l) (local.get $r))))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $ul)))
  )

;; A Born weight ||x @ T_s||^2 of one row (d = 2; m = T_s, row stride 2 r; x of length l), the
  ;; product into the scratch v (r doubles), summed as $sqnorm sums.
  (func $bornWeight (param $x i32) (param $m i32) (param $l i32) (param $r i32) (param $v i32) (result f64)
    (call $rowTimes (local.get $x) (local.get $v) (f64.const 1) (local.get $m) (i32.shl (local.get $r) (i32.const 4)) (local.get $l) (local.get $r))
    (call $sqnorm (local.get $v) (local.get $r))
  )

  ;; One row of linearSampleSite's Born path whose pair has a weight at its floor, from its
  ;; diagonal weights w0, w1 (x the row, T at t): with e = 2^-20 (w0 + w1),
  ;; - both at or below e (a row of zero total): both are computed ($bornWeight), then as below;
  ;; - one, the minority digit m, at or below e: its weight is computed ($bornWeight) only where
  ;;   it is needed: when m is read, or drawn with u in the tail where m can be drawn at all
  ;;   (u >= 1 - 2^-19 for m = 1, u < 2^-19 for m = 0; the computed weight is within 2^-20 of the
  ;;   total of the diagonal one, the gauge's error being far smaller), where the digit is drawn
  ;;   with it; elsewhere the draw is the other digit, M. The conditional of M is w_M / (w0 + w1)
  ;;   (the diagonal weights), that of m w_m / (w_M + w_m) with w_m computed, in either mode;
  ;; - neither: the digit and conditional as the two-lane pass gives them.
  ;; The digit is drawn as the pass draws (1 where u total >= w_0 and w_1 > 0) with u >= 0, stored
  ;; at dp, or read from dp (u < 0); the conditional goes into (qp, pp) as the pass accumulates it.
  ;; Returns the scale 1 / sqrt(w_s) (0 for a read digit of zero weight, whose logq is -inf), or
  ;; -1 for a drawing row whose weights do not sum to a positive number.
  (func $bornRow (param $x i32) (param $t i32) (param $l i32) (param $r i32) (param $v i32)
    (param $w0 f64) (param $w1 f64) (param $u f64) (param $dp i32) (param $qp i32) (param $pp i32)
    (result f64)
    (local $tot f64) (local $e f64) (local $m i32) (local $s i32) (local $ws f64) (local $tc f64)
    (local $c f64) (local $pv f64) (local $known i32) (local $rb i32)
    (local.set $rb (i32.shl (local.get $r) (i32.const 3)))
    (local.set $tot (f64.add (local.get $w0) (local.get $w1)))
    (local.set $e (f64.mul (local.get $tot) (f64.const 0x1p-20)))
    (local.set $m (i32.const -1))
    (if (i32.and (f64.le (local.get $w0) (local.get $e)) (f64.le (local.get $w1) (local.get $e)))
      (then
        (local.set $w0 (call $bornWeight (local.get $x) (local.get $t) (local.get $l) (local.get $r) (local.get $v)))
        (local.set $w1 (call $bornWeight (local.get $x) (i32.add (local.get $t) (local.get $rb)) (local.get $l) (local.get $r) (local.get $v)))
        (local.set $tot (f64.add (local.get $w0) (local.get $w1))))
      (else
        (if (f64.le (local.get $w0) (local.get $e)) (then (local.set $m (i32.const 0))))
        (if (f64.le (local.get $w1) (local.get $e)) (then (local.set $m (i32.const 1))))))
    (block $decided
      (if (f64.ge (local.get $u) (f64.const 0))
        (then
          (if (i32.ge_s (local.get $m) (i32.const 0))
            (then
              ;; outside the tail the draw is the other digit
              (local.set $s (i32.sub (i32.const 1) (local.get $m)))
              (br_if $decided (i32.eqz (select
                (f64.ge (local.get $u) (f64.const 0x1.ffffcp-1))
                (f64.lt (local.get $u) (f64.const 0x1p-19))
                (local.get $m))))
              (local.set $ws (call $bornWeight (local.get $x) (i32.add (local.get $t) (i32.mul (local.get $m) (local.get $rb)))
                (local.get $l) (local.get $r) (local.get $v)))
              (local.set $known (i32.const 1))
              (local.set $tc (select (f64.add (local.get $w0) (local.get $ws)) (f64.add (local.get $ws) (local.get $w1)) (local.get $m)))
              (local.set $s (i32.and
                (f64.ge (f64.mul (local.get $u) (local.get $tc)) (select (local.get $w0) (local.get $ws) (local.get $m)))
                (f64.gt (select (local.get $ws) (local.get $w1) (local.get $m)) (f64.const 0))))
              (br $decided)))
          (if (i32.eqz (f64.gt (local.get $tot) (f64.const 0))) (then (return (f64.const -1))))
          (local.set $s (i32.and
            (f64.ge (f64.mul (local.get $u) (local.get $tot)) (local.get $w0))
            (f64.gt (local.get $w1) (f64.const 0)))))
        (else (local.set $s (i32.load (local.get $dp))))))
    (if (f64.ge (local.get $u) (f64.const 0)) (then (i32.store (local.get $dp) (local.get $s))))
    ;; the conditional: the computed minority weight over w_M plus it, else the diagonal weights
    (if (i32.eq (local.get $s) (local.get $m))
      (then
        (if (i32.eqz (local.get $known))
          (then (local.set $ws (call $bornWeight (local.get $x) (i32.add (local.get $t) (i32.mul (local.get $m) (local.get $rb)))
            (local.get $l) (local.get $r) (local.get $v)))))
        (local.set $tc (select (f64.add (local.get $w0) (local.get $ws)) (f64.add (local.get $ws) (local.get $w1)) (local.get $m))))
      (else
        (local.set $ws (select (local.get $w1) (local.get $w0) (local.get $s)))
        (local.set $tc (local.get $tot))))
    ;; a read digit of zero weight (or zero total): q = 0
    (if (i32.eqz (i32.and (f64.gt (local.get $tc) (f64.const 0)) (f64.gt (local.get $ws) (f64.const 0))))
      (then
        (f64.store (local.get $qp) (f64.const -inf))
        (return (f64.const 0))))
    (local.set $c (f64.div (local.get $ws) (local.get $tc)))
    (if (f64.lt (local.get $c) (f64.const 1e-150))
      (then (f64.store (local.get $qp) (f64.add (f64.load (local.get $qp)) (call $log (local.get $c)))))
      (else
        (local.set $pv (f64.mul (f64.load (local.get $pp)) (local.get $c)))
        (if (f64.lt (local.get $pv) (f64.const 1e-150))
          (then
            (f64.store (local.get $qp) (f64.add (f64.load (local.get $qp)) (call $log (local.get $pv))))
            (local.set $pv (f64.const 1))))
        (f64.store (local.get $pp) (local.get $pv))))
    (f64.div (f64.const 1) (f64.sqrt (local.get $ws)))
  )

  ;; ||p[0..len)||^2 in a fixed order: lanes of entries k = 0, 1 (mod 4) and k = 2, 3 (mod 4), a
  ;; last pair into the first, then (a0 + a1) + (a2 + a3) and the odd entry (two independent chains
  ;; of additions).
  (func $sqnorm (param $p i32) (param $len i32) (result f64)
    (local $k i32) (local $nb i32) (local $vb i32) (local $vb4 i32)
    (local $acc v128) (local $acc2 v128) (local $sv v128) (local $sum f64) (local $e f64)
    (local.set $nb (i32.shl (local.get $len) (i32.const 3)))
    (local.set $vb (i32.and (local.get $nb) (i32.const -16)))
    (local.set $vb4 (i32.and (local.get $nb) (i32.const -32)))
    (block $kd (loop $kl
      (br_if $kd (i32.ge_u (local.get $k) (local.get $vb4)))
      (local.set $sv (v128.load (i32.add (local.get $p) (local.get $k))))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $sv) (local.get $sv))))
      (local.set $sv (v128.load offset=16 (i32.add (local.get $p) (local.get $k))))
      (local.set $acc2 (f64x2.add (local.get $acc2) (f64x2.mul (local.get $sv) (local.get $sv))))
      (local.set $k (i32.add (local.get $k) (i32.const 32)))
      (br $kl)))
    (if (i32.lt_u (local.get $k) (local.get $vb))
      (then
        (local.set $sv (v128.load (i32.add (local.get $p) (local.get $k))))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $sv) (local.get $sv))))))
    (local.set $sum (f64.add
      (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))
      (f64.add (f64x2.extract_lane 0 (local.get $acc2)) (f64x2.extract_lane 1 (local.get $acc2)))))
    (if (i32.lt_u (local.get $vb) (local.get $nb))
      (then
        (local.set $e (f64.load (i32.add (local.get $p) (local.get $vb))))
        (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $e) (local.get $e))))))
    (local.get $sum)
  )

  ;; One site of Born sampling from a right-canonical MPS (identity right environments), for sites
  ;; that linearSampleSite's diagonal-gauge path does not serve (d != 2). For b < count, with x_b
  ;; the row's left vector and T_s the (l x r) slice s of T ([l][d][r]): w_s = ||x_b T_s||^2 for
  ;; every s, in two passes (every row's products, then each row's weights), with the steps of
  ;; $sqnorm and of linearSampleSite's digit written inline (a call per row costs as much as the
  ;; arithmetic of a small bond). The digit drawn with u[b] or read (u = -1) and w_s / sum w
  ;; accumulated as in linearSampleSite; y_b = (x_b T_s) / sqrt(w_s). v: count x d r scratch; w:
  ;; d scratch doubles. Digits, status and a read digit of zero weight as in linearSampleSite.
  (func (export "bornSampleSite")
    (param $x i32) (param $y i32) (param $t i32) (param $u i32)
    (param $digits i32) (param $stride i32) (param $logq i32) (param $prod i32) (param $count i32)
    (param $l i32) (param $d i32) (param $r i32) (param $v i32) (param $w i32) (param $status i32)
    (local $b i32) (local $s i32) (local $k i32) (local $xb i32) (local $yb i32) (local $dp i32)
    (local $lb i32) (local $rb i32) (local $vb i32) (local $vp i32) (local $qp i32)
    (local $acc v128) (local $sv v128) (local $sum f64) (local $total f64) (local $ws f64) (local $ub f64)
    (local $acc2 v128) (local $vb4 i32) (local $inv f64) (local $drb i32) (local $vs i32) (local $target f64) (local $pv f64) (local $c f64) (local $pp2 i32)
    (local.set $lb (i32.shl (local.get $l) (i32.const 3)))
    (local.set $rb (i32.shl (local.get $r) (i32.const 3)))
    (local.set $vb (i32.and (local.get $rb) (i32.const -16)))
    (local.set $vb4 (i32.and (local.get $rb) (i32.const -32)))
    (local.set $ub (f64.const -1))
    (f64.store (local.get $status) (f64.const -1))
    (local.set $drb (i32.mul (local.get $d) (local.get $rb)))
    (local.set $vs (local.get $v))
    ;; pass 1: v_b = x_b @ T for every row, two rows per load of T (independent rows)
    (block $vd (loop $vl
      (br_if $vd (i32.gt_u (i32.add (local.get $b) (i32.const 2)) (local.get $count)))
      (call $rowTimes2
        (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $lb)))
        (i32.add (local.get $x) (i32.mul (i32.add (local.get $b) (i32.const 1)) (local.get $lb)))
        (i32.add (local.get $vs) (i32.mul (local.get $b) (local.get $drb)))
        (i32.add (local.get $vs) (i32.mul (i32.add (local.get $b) (i32.const 1)) (local.get $drb)))
        (f64.const 1) (f64.const 1)
        (local.get $t) (local.get $drb) (local.get $l) (i32.mul (local.get $d) (local.get $r)))
      (local.set $b (i32.add (local.get $b) (i32.const 2)))
      (br $vl)))
    (if (i32.lt_u (local.get $b) (local.get $count))
      (then
        (call $rowTimes (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $lb)))
          (i32.add (local.get $vs) (i32.mul (local.get $b) (local.get $drb))) (f64.const 1)
          (local.get $t) (local.get $drb) (local.get $l) (i32.mul (local.get $d) (local.get $r)))))
    ;; pass 2: the weights, digit, log q and next left vector of each row
    (local.set $b (i32.const 0))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $count)))
      (local.set $xb (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $lb))))
      (local.set $yb (i32.add (local.get $y) (i32.mul (local.get $b) (local.get $rb))))
      (local.set $dp (i32.add (local.get $digits) (i32.shl (i32.mul (local.get $b) (local.get $stride)) (i32.const 2))))
      (local.set $v (i32.add (local.get $vs) (i32.mul (local.get $b) (local.get $drb))))
      ;; w_s = ||v_s||^2
      (local.set $s (i32.const 0))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $s) (local.get $d)))
        (local.set $vp (i32.add (local.get $v) (i32.mul (local.get $s) (local.get $rb))))
        ;; two accumulators: entries k = 0, 1 (mod 4) and k = 2, 3 (mod 4), a last pair into the
        ;; first, then (a0 + a1) + (a2 + a3) and the odd entry: two independent chains of additions
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $acc2 (v128.const i64x2 0 0))
        (local.set $k (i32.const 0))
        (block $kd (loop $kl
          (br_if $kd (i32.ge_u (local.get $k) (local.get $vb4)))
          (local.set $sv (v128.load (i32.add (local.get $vp) (local.get $k))))
          (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $sv) (local.get $sv))))
          (local.set $sv (v128.load offset=16 (i32.add (local.get $vp) (local.get $k))))
          (local.set $acc2 (f64x2.add (local.get $acc2) (f64x2.mul (local.get $sv) (local.get $sv))))
          (local.set $k (i32.add (local.get $k) (i32.const 32)))
          (br $kl)))
        (if (i32.lt_u (local.get $k) (local.get $vb))
          (then
            (local.set $sv (v128.load (i32.add (local.get $vp) (local.get $k))))
            (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $sv) (local.get $sv))))))
        (local.set $sum (f64.add
          (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))
          (f64.add (f64x2.extract_lane 0 (local.get $acc2)) (f64x2.extract_lane 1 (local.get $acc2)))))
        (if (i32.lt_u (local.get $vb) (local.get $rb))
          (then
            (local.set $ws (f64.load (i32.add (local.get $vp) (local.get $vb))))
            (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $ws) (local.get $ws))))))
        (f64.store (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3))) (local.get $sum))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $sl)))
      (local.set $total (f64.const 0))
      (local.set $s (i32.const 0))
      (block $td (loop $tl
        (br_if $td (i32.ge_u (local.get $s) (local.get $d)))
        (local.set $total (f64.add (local.get $total) (f64.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3))))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $tl)))
      (local.set $qp (i32.add (local.get $logq) (i32.shl (local.get $b) (i32.const 3))))
      (block $row
        (if (i32.ge_s (local.get $u) (i32.const 0))
          (then
            (if (i32.eqz (f64.gt (local.get $total) (f64.const 0)))
              (then
                (f64.store (local.get $status) (f64.convert_i32_u (local.get $b)))
                (return)))
            (local.set $ub (f64.load (i32.add (local.get $u) (i32.shl (local.get $b) (i32.const 3))))))
          (else
            (local.set $s (i32.load (local.get $dp)))
            (if (i32.or
                  (i32.eqz (f64.gt (local.get $total) (f64.const 0)))
                  (i32.eqz (f64.gt (f64.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3)))) (f64.const 0))))
              (then
                (f64.store (local.get $qp) (f64.const -inf))
                (call $rowTimes (local.get $xb) (local.get $yb) (f64.const 0)
                  (local.get $t) (local.get $rb) (i32.const 0) (local.get $r))
                (br $row)))))
        (if (f64.ge (local.get $ub) (f64.const 0))
          (then
            ;; the first digit whose cumulative weight exceeds u total; the last positive weight
            ;; if rounding leaves none
            (local.set $target (f64.mul (local.get $ub) (local.get $total)))
            (block $chosen
              ;; d = 2 without a data-dependent branch: 0 if target < w_0, else 1 when w_1 > 0
              (if (i32.eq (local.get $d) (i32.const 2))
                (then
                  (local.set $s (f64.ge (local.get $target) (f64.load (local.get $w))))
                  (br_if $chosen (i32.or (i32.eqz (local.get $s)) (f64.gt (f64.load offset=8 (local.get $w)) (f64.const 0))))))
              (local.set $s (i32.const 0))
              (block $cd (loop $cl
                (br_if $cd (i32.ge_s (local.get $s) (i32.sub (local.get $d) (i32.const 1))))
                (local.set $pv (f64.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3)))))
                (br_if $chosen (f64.lt (local.get $target) (local.get $pv)))
                (local.set $target (f64.sub (local.get $target) (local.get $pv)))
                (local.set $s (i32.add (local.get $s) (i32.const 1)))
                (br $cl)))
              (local.set $s (i32.sub (local.get $d) (i32.const 1)))
              (block $fd (loop $fl
                (br_if $fd (i32.lt_s (local.get $s) (i32.const 0)))
                (br_if $chosen (f64.gt (f64.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3)))) (f64.const 0)))
                (local.set $s (i32.sub (local.get $s) (i32.const 1)))
                (br $fl)))
              (local.set $s (i32.sub (local.get $d) (i32.const 1))))
            (i32.store (local.get $dp) (local.get $s))))
        (local.set $ws (f64.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 3)))))
        (local.set $c (f64.div (local.get $ws) (local.get $total)))
        (local.set $pp2 (i32.add (local.get $prod) (i32.shl (local.get $b) (i32.const 3))))
        (if (f64.lt (local.get $c) (f64.const 1e-150))
          (then (f64.store (local.get $qp) (f64.add (f64.load (local.get $qp)) (call $log (local.get $c)))))
          (else
            (local.set $pv (f64.mul (f64.load (local.get $pp2)) (local.get $c)))
            (if (f64.lt (local.get $pv) (f64.const 1e-150))
              (then
                (f64.store (local.get $qp) (f64.add (f64.load (local.get $qp)) (call $log (local.get $pv))))
                (local.set $pv (f64.const 1))))
            (f64.store (local.get $pp2) (local.get $pv))))
        (local.set $inv (f64.div (f64.const 1) (f64.sqrt (local.get $ws))))
        (local.set $sv (f64x2.splat (local.get $inv)))
        (local.set $vp (i32.add (local.get $v) (i32.mul (local.get $s) (local.get $rb))))
        (local.set $k (i32.const 0))
        (block $cd (loop $cl
          (br_if $cd (i32.ge_u (local.get $k) (local.get $vb)))
          (v128.store (i32.add (local.get $yb) (local.get $k))
            (f64x2.mul (v128.load (i32.add (local.get $vp) (local.get $k))) (local.get $sv)))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $cl)))
        (if (i32.lt_u (local.get $vb) (local.get $rb))
          (then
            (f64.store (i32.add (local.get $yb) (local.get $vb))
              (f64.mul (f64.load (i32.add (local.get $vp) (local.get $vb))) (local.get $inv))))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl)))
  )

  ;; Uniforms of xoshiro128** streams, as the JavaScript generator's float64() gives them: stream c
  ;; (four uint32 words a, b, c, d at states + 16 c, advanced in place) fills out[b] for the rows
  ;; b of chunk c = floor(b / chunk), each from two outputs: ((o1 >>> 5) 2^26 + (o2 >>> 6)) / 2^53.
  (func (export "uniforms") (param $states i32) (param $count i32) (param $chunk i32) (param $out i32)
    (local $b i32) (local $end i32) (local $sp i32)
    (local $sa i32) (local $sb i32) (local $sc i32) (local $sd i32) (local $t i32) (local $hi i32)
    (local.set $sp (local.get $states))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_u (local.get $b) (local.get $count)))
      (local.set $end (i32.add (local.get $b) (local.get $chunk)))
      (if (i32.gt_u (local.get $end) (local.get $count)) (then (local.set $end (local.get $count))))
      (local.set $sa (i32.load (local.get $sp)))
      (local.set $sb (i32.load offset=4 (local.get $sp)))
      (local.set $sc (i32.load offset=8 (local.get $sp)))
      (local.set $sd (i32.load offset=12 (local.get $sp)))
      (block $rd (loop $rl
        (br_if $rd (i32.ge_u (local.get $b) (local.get $end)))
        ;; first output
        (local.set $hi (i32.mul (i32.rotl (i32.mul (local.get $sb) (i32.const 5)) (i32.const 7)) (i32.const 9)))
        (local.set $t (i32.shl (local.get $sb) (i32.const 9)))
        (local.set $sc (i32.xor (local.get $sc) (local.get $sa)))
        (local.set $sd (i32.xor (local.get $sd) (local.get $sb)))
        (local.set $sb (i32.xor (local.get $sb) (local.get $sc)))
        (local.set $sa (i32.xor (local.get $sa) (local.get $sd)))
        (local.set $sc (i32.xor (local.get $sc) (local.get $t)))
        (local.set $sd (i32.rotl (local.get $sd) (i32.const 11)))
        ;; second output (in $t), then the draw
        (local.set $t (i32.mul (i32.rotl (i32.mul (local.get $sb) (i32.const 5)) (i32.const 7)) (i32.const 9)))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $b) (i32.const 3)))
          (f64.mul
            (f64.convert_i64_u (i64.or
              (i64.shl (i64.extend_i32_u (i32.shr_u (local.get $hi) (i32.const 5))) (i64.const 26))
              (i64.extend_i32_u (i32.shr_u (local.get $t) (i32.const 6)))))
            (f64.const 0x1p-53)))
        (local.set $t (i32.shl (local.get $sb) (i32.const 9)))
        (local.set $sc (i32.xor (local.get $sc) (local.get $sa)))
        (local.set $sd (i32.xor (local.get $sd) (local.get $sb)))
        (local.set $sb (i32.xor (local.get $sb) (local.get $sc)))
        (local.set $sa (i32.xor (local.get $sa) (local.get $sd)))
        (local.set $sc (i32.xor (local.get $sc) (local.get $t)))
        (local.set $sd (i32.rotl (local.get $sd) (i32.const 11)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $rl)))
      (i32.store (local.get $sp) (local.get $sa))
      (i32.store offset=4 (local.get $sp) (local.get $sb))
      (i32.store offset=8 (local.get $sp) (local.get $sc))
      (i32.store offset=12 (local.get $sp) (local.get $sd))
      (local.set $sp (i32.add (local.get $sp) (i32.const 16)))
      (br $cl)))
  )

  ;; y[rows x outer] = x[rows x inner] @ m[inner x outer]; x, y contiguous; m row stride ms bytes.
  (func $gemm (export "gemm")
    (param $x i32) (param $m i32) (param $ms i32) (param $y i32)
    (param $rows i32) (param $inner i32) (param $outer i32)
    (local $i i32) (local $xs i32) (local $ys i32) (local $xp i32) (local $yp i32)
    (local.set $xs (i32.shl (local.get $inner) (i32.const 3)))
    (local.set $ys (i32.shl (local.get $outer) (i32.const 3)))
    (local.set $xp (local.get $x))
    (local.set $yp (local.get $y))
    (block $d4 (loop $l4
      (br_if $d4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $rows)))
      (call $block4
        (local.get $xp)
        (i32.add (local.get $xp) (local.get $xs))
        (i32.add (local.get $xp) (i32.shl (local.get $xs) (i32.const 1)))
        (i32.add (local.get $xp) (i32.mul (local.get $xs) (i32.const 3)))
        (local.get $yp)
        (i32.add (local.get $yp) (local.get $ys))
        (i32.add (local.get $yp) (i32.shl (local.get $ys) (i32.const 1)))
        (i32.add (local.get $yp) (i32.mul (local.get $ys) (i32.const 3)))
        (f64.const 1) (f64.const 1) (f64.const 1) (f64.const 1)
        (local.get $m) (local.get $ms) (local.get $inner) (local.get $outer))
      (local.set $xp (i32.add (local.get $xp) (i32.shl (local.get $xs) (i32.const 2))))
      (local.set $yp (i32.add (local.get $yp) (i32.shl (local.get $ys) (i32.const 2))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l4)))
    ;; remaining rows one at a time
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $i) (local.get $rows)))
      (call $row1 (local.get $xp) (local.get $yp) (f64.const 1)
        (local.get $m) (local.get $ms) (local.get $inner) (local.get $outer))
      (local.set $xp (i32.add (local.get $xp) (local.get $xs)))
      (local.set $yp (i32.add (local.get $yp) (local.get $ys)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l1)))
  )

  ;; For k < count, r = rows[k] (i32 list at byte offset `rows`):
  ;; y[r, :] = scale[r] * (x[r, :] @ m) with x row stride inner, y row stride outer, m row
  ;; stride ms bytes; `scale` is a float64 array pointer, or -1 for no scaling.
  (func (export "gatheredGemm")
    (param $x i32) (param $y i32) (param $rows i32) (param $count i32)
    (param $m i32) (param $ms i32) (param $inner i32) (param $outer i32) (param $scale i32)
    (local $k i32) (local $xs i32) (local $ys i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $rp i32)
    (local $s0 f64) (local $s1 f64) (local $s2 f64) (local $s3 f64)
    (local.set $xs (i32.shl (local.get $inner) (i32.const 3)))
    (local.set $ys (i32.shl (local.get $outer) (i32.const 3)))
    (local.set $s0 (f64.const 1)) (local.set $s1 (f64.const 1))
    (local.set $s2 (f64.const 1)) (local.set $s3 (f64.const 1))
    (local.set $rp (local.get $rows))
    (block $done (loop $lp
      (br_if $done (i32.ge_u (local.get $k) (local.get $count)))
      (local.set $r0 (i32.load (local.get $rp)))
      (if (i32.le_u (i32.add (local.get $k) (i32.const 4)) (local.get $count))
        (then
          (local.set $r1 (i32.load offset=4 (local.get $rp)))
          (local.set $r2 (i32.load offset=8 (local.get $rp)))
          (local.set $r3 (i32.load offset=12 (local.get $rp)))
          (if (i32.ge_s (local.get $scale) (i32.const 0))
            (then
              (local.set $s0 (f64.load (i32.add (local.get $scale) (i32.shl (local.get $r0) (i32.const 3)))))
              (local.set $s1 (f64.load (i32.add (local.get $scale) (i32.shl (local.get $r1) (i32.const 3)))))
              (local.set $s2 (f64.load (i32.add (local.get $scale) (i32.shl (local.get $r2) (i32.const 3)))))
              (local.set $s3 (f64.load (i32.add (local.get $scale) (i32.shl (local.get $r3) (i32.const 3)))))))
          (call $block4
            (i32.add (local.get $x) (i32.mul (local.get $r0) (local.get $xs)))
            (i32.add (local.get $x) (i32.mul (local.get $r1) (local.get $xs)))
            (i32.add (local.get $x) (i32.mul (local.get $r2) (local.get $xs)))
            (i32.add (local.get $x) (i32.mul (local.get $r3) (local.get $xs)))
            (i32.add (local.get $y) (i32.mul (local.get $r0) (local.get $ys)))
            (i32.add (local.get $y) (i32.mul (local.get $r1) (local.get $ys)))
            (i32.add (local.get $y) (i32.mul (local.get $r2) (local.get $ys)))
            (i32.add (local.get $y) (i32.mul (local.get $r3) (local.get $ys)))
            (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)
            (local.get $m) (local.get $ms) (local.get $inner) (local.get $outer))
          (local.set $rp (i32.add (local.get $rp) (i32.const 16)))
          (local.set $k (i32.add (local.get $k) (i32.const 4))))
        (else
          (if (i32.ge_s (local.get $scale) (i32.const 0))
            (then
              (local.set $s0 (f64.load (i32.add (local.get $scale) (i32.shl (local.get $r0) (i32.const 3)))))))
          (call $row1
            (i32.add (local.get $x) (i32.mul (local.get $r0) (local.get $xs)))
            (i32.add (local.get $y) (i32.mul (local.get $r0) (local.get $ys)))
            (local.get $s0)
            (local.get $m) (local.get $ms) (local.get $inner) (local.get $outer))
          (local.set $rp (i32.add (local.get $rp) (i32.const 4)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))))
      (br $lp)))
  )

  ;; out[q] = sum_k v[q, k] * r[q / group, k] for q < rows; v rows and r rows have `len` entries.
  (func (export "rowDots")
    (param $v i32) (param $r i32) (param $out i32) (param $rows i32) (param $group i32) (param $len i32)
    (local $q i32) (local $k i32) (local $lb i32) (local $vb i32) (local $vp i32) (local $rp i32)
    (local $acc v128) (local $sum f64)
    (local.set $lb (i32.shl (local.get $len) (i32.const 3)))
    (local.set $vb (i32.and (local.get $lb) (i32.const -16)))
    (block $done (loop $lp
      (br_if $done (i32.ge_u (local.get $q) (local.get $rows)))
      (local.set $vp (i32.add (local.get $v) (i32.mul (local.get $q) (local.get $lb))))
      (local.set $rp (i32.add (local.get $r)
        (i32.mul (i32.div_u (local.get $q) (local.get $group)) (local.get $lb))))
      (local.set $acc (v128.const i64x2 0 0))
      (local.set $k (i32.const 0))
      (block $kd (loop $kl
        (br_if $kd (i32.ge_u (local.get $k) (local.get $vb)))
        (local.set $acc (f64x2.add (local.get $acc)
          (f64x2.mul (v128.load (i32.add (local.get $vp) (local.get $k)))
                     (v128.load (i32.add (local.get $rp) (local.get $k))))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $kl)))
      (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
      (if (i32.lt_u (local.get $vb) (local.get $lb))
        (then (local.set $sum (f64.add (local.get $sum)
          (f64.mul (f64.load (i32.add (local.get $vp) (local.get $vb)))
                   (f64.load (i32.add (local.get $rp) (local.get $vb))))))))
      (f64.store (i32.add (local.get $out) (i32.shl (local.get $q) (i32.const 3))) (local.get $sum))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $lp)))
  )

  ;; out[b, a] = sum_s w[b * wStride + s] * t[b, a * d + s] for b < count, a < l
  ;; (t rows have l * d entries; wStride in entries).
  (func (export "weightedSum")
    (param $t i32) (param $w i32) (param $wStride i32) (param $out i32)
    (param $count i32) (param $l i32) (param $d i32)
    (local $b i32) (local $a i32) (local $s i32) (local $tp i32) (local $wp i32) (local $op i32) (local $acc f64)
    (local.set $tp (local.get $t))
    (local.set $op (local.get $out))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $count)))
      (local.set $wp (i32.add (local.get $w) (i32.shl (i32.mul (local.get $b) (local.get $wStride)) (i32.const 3))))
      (local.set $a (i32.const 0))
      (block $ad (loop $al
        (br_if $ad (i32.ge_u (local.get $a) (local.get $l)))
        (local.set $acc (f64.const 0))
        (local.set $s (i32.const 0))
        (block $sd (loop $sl
          (br_if $sd (i32.ge_u (local.get $s) (local.get $d)))
          (local.set $acc (f64.add (local.get $acc)
            (f64.mul (f64.load (i32.add (local.get $wp) (i32.shl (local.get $s) (i32.const 3))))
                     (f64.load (local.get $tp)))))
          (local.set $tp (i32.add (local.get $tp) (i32.const 8)))
          (local.set $s (i32.add (local.get $s) (i32.const 1)))
          (br $sl)))
        (f64.store (local.get $op) (local.get $acc))
        (local.set $op (i32.add (local.get $op) (i32.const 8)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $al)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl)))
  )

  ;; For k < rows, b = i32 at order + 4 k: lt[a * rows + k] = x[b * l + a] for a < l (row b of x
  ;; gathered into column k of lt, l x rows) and rw[k * r + c] = w[b] * z[b * r + c] for c < r.
  ;; With lt and rw, one gemm forms sum_k x_b^T (w_b z_b) over the gathered rows (the gradient
  ;; of a tensor slice); in JavaScript the gather took longer than the gemm (180 against 72-80 us
  ;; for the whole call at 1,024 rows, bond 16).
  (func (export "gatherOuterRows")
    (param $x i32) (param $z i32) (param $w i32) (param $order i32) (param $rows i32)
    (param $l i32) (param $r i32) (param $lt i32) (param $rw i32)
    (local $k i32) (local $b i32) (local $src i32) (local $end i32) (local $dst i32)
    (local $rs i32) (local $lb i32) (local $rb i32) (local $wb f64) (local $wv v128)
    (local.set $rs (i32.shl (local.get $rows) (i32.const 3)))
    (local.set $lb (i32.shl (local.get $l) (i32.const 3)))
    (local.set $rb (i32.shl (local.get $r) (i32.const 3)))
    (block $kd (loop $kl
      (br_if $kd (i32.ge_u (local.get $k) (local.get $rows)))
      (local.set $b (i32.load (i32.add (local.get $order) (i32.shl (local.get $k) (i32.const 2)))))
      ;; column k of lt
      (local.set $src (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $lb))))
      (local.set $end (i32.add (local.get $src) (local.get $lb)))
      (local.set $dst (i32.add (local.get $lt) (i32.shl (local.get $k) (i32.const 3))))
      (block $ad (loop $al
        (br_if $ad (i32.ge_u (local.get $src) (local.get $end)))
        (f64.store (local.get $dst) (f64.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (i32.const 8)))
        (local.set $dst (i32.add (local.get $dst) (local.get $rs)))
        (br $al)))
      ;; row k of rw
      (local.set $wb (f64.load (i32.add (local.get $w) (i32.shl (local.get $b) (i32.const 3)))))
      (local.set $wv (f64x2.splat (local.get $wb)))
      (local.set $src (i32.add (local.get $z) (i32.mul (local.get $b) (local.get $rb))))
      (local.set $end (i32.add (local.get $src) (local.get $rb)))
      (local.set $dst (i32.add (local.get $rw) (i32.mul (local.get $k) (local.get $rb))))
      (block $cd (loop $cl
        (br_if $cd (i32.gt_u (i32.add (local.get $src) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $dst) (f64x2.mul (local.get $wv) (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $cl)))
      (if (i32.lt_u (local.get $src) (local.get $end))
        (then (f64.store (local.get $dst) (f64.mul (local.get $wb) (f64.load (local.get $src))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $kl)))
  )

  ;; Rescales each of `count` rows of `len` entries to max |entry| = 1; writes the factor (the
  ;; old max, 0 for an all-zero row, left unchanged) to maxOut[b]. Two entries per vector: the
  ;; maximum keeps m unless m < |entry| (pmax, one instruction; a NaN entry never replaces m), and
  ;; the maximum and the products are exact, so the order does not change a bit.
  (func (export "rescaleRows")
    (param $x i32) (param $count i32) (param $len i32) (param $maxOut i32)
    (local $b i32) (local $k i32) (local $p i32) (local $end i32) (local $m f64) (local $inv f64) (local $lb i32)
    (local $mv v128) (local $m1 v128) (local $m2 v128) (local $m3 v128) (local $iv v128)
    (local.set $lb (i32.shl (local.get $len) (i32.const 3)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $count)))
      (local.set $p (i32.add (local.get $x) (i32.mul (local.get $b) (local.get $lb))))
      (local.set $end (i32.add (local.get $p) (local.get $lb)))
      ;; four running maxima (four independent chains)
      (local.set $mv (v128.const i64x2 0 0))
      (local.set $m1 (v128.const i64x2 0 0))
      (local.set $m2 (v128.const i64x2 0 0))
      (local.set $m3 (v128.const i64x2 0 0))
      (local.set $k (local.get $p))
      (block $m4d (loop $m4l
        (br_if $m4d (i32.gt_u (i32.add (local.get $k) (i32.const 64)) (local.get $end)))
        (local.set $mv (f64x2.pmax (local.get $mv) (f64x2.abs (v128.load (local.get $k)))))
        (local.set $m1 (f64x2.pmax (local.get $m1) (f64x2.abs (v128.load offset=16 (local.get $k)))))
        (local.set $m2 (f64x2.pmax (local.get $m2) (f64x2.abs (v128.load offset=32 (local.get $k)))))
        (local.set $m3 (f64x2.pmax (local.get $m3) (f64x2.abs (v128.load offset=48 (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 64)))
        (br $m4l)))
      (block $md (loop $ml
        (br_if $md (i32.gt_u (i32.add (local.get $k) (i32.const 16)) (local.get $end)))
        (local.set $mv (f64x2.pmax (local.get $mv) (f64x2.abs (v128.load (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $ml)))
      (local.set $mv (f64x2.pmax (f64x2.pmax (local.get $mv) (local.get $m1)) (f64x2.pmax (local.get $m2) (local.get $m3))))
      (local.set $mv (f64x2.pmax (local.get $mv) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $mv) (local.get $mv))))
      (local.set $m (f64x2.extract_lane 0 (local.get $mv)))
      (if (i32.lt_u (local.get $k) (local.get $end))
        (then
          (local.set $inv (f64.abs (f64.load (local.get $k))))
          (if (f64.lt (local.get $m) (local.get $inv)) (then (local.set $m (local.get $inv))))))
      (f64.store (i32.add (local.get $maxOut) (i32.shl (local.get $b) (i32.const 3))) (local.get $m))
      (if (f64.gt (local.get $m) (f64.const 0))
        (then
          (local.set $inv (f64.div (f64.const 1) (local.get $m)))
          (local.set $iv (f64x2.splat (local.get $inv)))
          (local.set $k (local.get $p))
          (block $sd (loop $sl
            (br_if $sd (i32.gt_u (i32.add (local.get $k) (i32.const 16)) (local.get $end)))
            (v128.store (local.get $k) (f64x2.mul (v128.load (local.get $k)) (local.get $iv)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $sl)))
          (if (i32.lt_u (local.get $k) (local.get $end))
            (then (f64.store (local.get $k) (f64.mul (f64.load (local.get $k)) (local.get $inv)))))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl)))
  )

  ;; Householder QR of the m x n matrix w in place (linalg.ts's householderQR, operation for
  ;; operation, so the same bits): w becomes R (k = min(m, n) rows of it; zeros below), q (m x k)
  ;; the explicit Q, with R's diagonal made non-negative. The updates of the columns right of the
  ;; pivot take two columns per vector (each column's sum still runs over the rows in order).
  ;; v: m k doubles (vector j at v + j m, m - j entries), betas: k doubles, dots: n doubles.
  (func (export "householderQR")
    (param $w i32) (param $m i32) (param $n i32) (param $q i32) (param $v i32) (param $betas i32) (param $dots i32)
    (local $k i32) (local $j i32) (local $i i32) (local $c i32) (local $len i32) (local $nb i32) (local $kb i32)
    (local $vj i32) (local $row i32) (local $p i32) (local $end i32) (local $first i32)
    (local $x f64) (local $ax f64) (local $scale f64) (local $ss f64) (local $norm f64) (local $x0 f64)
    (local $alpha f64) (local $vtv f64) (local $vnorm f64) (local $vi f64) (local $f f64) (local $fv v128)
    (local.set $k (select (local.get $m) (local.get $n) (i32.lt_u (local.get $m) (local.get $n))))
    (local.set $nb (i32.shl (local.get $n) (i32.const 3)))
    (local.set $kb (i32.shl (local.get $k) (i32.const 3)))
    (local.set $j (i32.const 0))
    (block $jd (loop $jl
      (br_if $jd (i32.ge_u (local.get $j) (local.get $k)))
      (block $nextj
        (local.set $len (i32.sub (local.get $m) (local.get $j)))
        (local.set $vj (i32.add (local.get $v) (i32.shl (i32.mul (local.get $j) (local.get $m)) (i32.const 3))))
        (f64.store (i32.add (local.get $betas) (i32.shl (local.get $j) (i32.const 3))) (f64.const 0))
        ;; v = column j from row j down; scale = max |v|
        (local.set $scale (f64.const 0))
        (local.set $i (i32.const 0))
        (block $sd (loop $sl
          (br_if $sd (i32.ge_u (local.get $i) (local.get $len)))
          (local.set $x (f64.load (i32.add (local.get $w)
            (i32.shl (i32.add (i32.mul (i32.add (local.get $j) (local.get $i)) (local.get $n)) (local.get $j)) (i32.const 3)))))
          (f64.store (i32.add (local.get $vj) (i32.shl (local.get $i) (i32.const 3))) (local.get $x))
          (local.set $ax (f64.abs (local.get $x)))
          (if (f64.gt (local.get $ax) (local.get $scale)) (then (local.set $scale (local.get $ax))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $sl)))
        (br_if $nextj (f64.eq (local.get $scale) (f64.const 0)))
        (local.set $ss (f64.const 0))
        (local.set $i (i32.const 0))
        (block $qd (loop $ql
          (br_if $qd (i32.ge_u (local.get $i) (local.get $len)))
          (local.set $x (f64.div (f64.load (i32.add (local.get $vj) (i32.shl (local.get $i) (i32.const 3)))) (local.get $scale)))
          (local.set $ss (f64.add (local.get $ss) (f64.mul (local.get $x) (local.get $x))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $ql)))
        (local.set $norm (f64.mul (local.get $scale) (f64.sqrt (local.get $ss))))
        (local.set $x0 (f64.load (local.get $vj)))
        (local.set $alpha (select (f64.neg (local.get $norm)) (local.get $norm) (f64.ge (local.get $x0) (f64.const 0))))
        (f64.store (local.get $vj) (f64.sub (local.get $x0) (local.get $alpha)))
        (local.set $vtv (f64.mul (f64.mul (f64.const 2) (local.get $norm)) (f64.add (local.get $norm) (f64.abs (local.get $x0)))))
        (local.set $vnorm
          (if (result f64) (f64.gt (local.get $vtv) (f64.const 1e-290))
            (then (f64.sqrt (local.get $vtv)))
            (else (f64.mul (f64.sqrt (f64.mul (f64.const 2) (local.get $norm)))
              (f64.sqrt (f64.add (local.get $norm) (f64.abs (local.get $x0))))))))
        (local.set $i (i32.const 0))
        (block $vd (loop $vl
          (br_if $vd (i32.ge_u (local.get $i) (local.get $len)))
          (local.set $p (i32.add (local.get $vj) (i32.shl (local.get $i) (i32.const 3))))
          (f64.store (local.get $p) (f64.div (f64.load (local.get $p)) (local.get $vnorm)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $vl)))
        (f64.store (i32.add (local.get $betas) (i32.shl (local.get $j) (i32.const 3))) (f64.const 2))
        ;; dots[c] = sum_i v_i w[j + i, c] for c > j, then w[j + i, c] -= 2 v_i dots[c]
        (local.set $first (i32.add (local.get $j) (i32.const 1)))
        (call $fillZero (i32.add (local.get $dots) (i32.shl (local.get $first) (i32.const 3))) (i32.sub (local.get $n) (local.get $first)))
        (local.set $i (i32.const 0))
        (block $dd (loop $dl
          (br_if $dd (i32.ge_u (local.get $i) (local.get $len)))
          (local.set $vi (f64.load (i32.add (local.get $vj) (i32.shl (local.get $i) (i32.const 3)))))
          (if (f64.ne (local.get $vi) (f64.const 0))
            (then
              (local.set $row (i32.add (local.get $w) (i32.mul (i32.add (local.get $j) (local.get $i)) (local.get $nb))))
              (call $axpyTo (local.get $dots) (local.get $row) (local.get $first) (local.get $n) (local.get $vi))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $dl)))
        (local.set $i (i32.const 0))
        (block $ud (loop $ul
          (br_if $ud (i32.ge_u (local.get $i) (local.get $len)))
          (local.set $f (f64.mul (f64.const 2) (f64.load (i32.add (local.get $vj) (i32.shl (local.get $i) (i32.const 3))))))
          (if (f64.ne (local.get $f) (f64.const 0))
            (then
              (local.set $row (i32.add (local.get $w) (i32.mul (i32.add (local.get $j) (local.get $i)) (local.get $nb))))
              (call $subScaled (local.get $row) (local.get $dots) (local.get $first) (local.get $n) (local.get $f))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $ul)))
        (f64.store (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $n)) (local.get $j)) (i32.const 3))) (local.get $alpha))
        (local.set $i (i32.const 1))
        (block $zd (loop $zl
          (br_if $zd (i32.ge_u (local.get $i) (local.get $len)))
          (f64.store (i32.add (local.get $w)
            (i32.shl (i32.add (i32.mul (i32.add (local.get $j) (local.get $i)) (local.get $n)) (local.get $j)) (i32.const 3))) (f64.const 0))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $zl))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $jl)))
    ;; Q = H_0 ... H_{k-1} applied to the first k columns of the identity
    (call $fillZero (local.get $q) (i32.mul (local.get $m) (local.get $k)))
    (local.set $j (i32.const 0))
    (block $id (loop $il
      (br_if $id (i32.ge_u (local.get $j) (local.get $k)))
      (f64.store (i32.add (local.get $q) (i32.shl (i32.mul (local.get $j) (i32.add (local.get $k) (i32.const 1))) (i32.const 3))) (f64.const 1))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $il)))
    (local.set $j (local.get $k))
    (block $hd (loop $hl
      (br_if $hd (i32.eqz (local.get $j)))
      (local.set $j (i32.sub (local.get $j) (i32.const 1)))
      (if (f64.ne (f64.load (i32.add (local.get $betas) (i32.shl (local.get $j) (i32.const 3)))) (f64.const 0))
        (then
          (local.set $len (i32.sub (local.get $m) (local.get $j)))
          (local.set $vj (i32.add (local.get $v) (i32.shl (i32.mul (local.get $j) (local.get $m)) (i32.const 3))))
          (call $fillZero (local.get $dots) (local.get $k))
          (local.set $i (i32.const 0))
          (block $ed (loop $el
            (br_if $ed (i32.ge_u (local.get $i) (local.get $len)))
            (local.set $vi (f64.load (i32.add (local.get $vj) (i32.shl (local.get $i) (i32.const 3)))))
            (if (f64.ne (local.get $vi) (f64.const 0))
              (then
                (local.set $row (i32.add (local.get $q) (i32.mul (i32.add (local.get $j) (local.get $i)) (local.get $kb))))
                (call $axpyTo (local.get $dots) (local.get $row) (local.get $j) (local.get $k) (local.get $vi))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $el)))
          (local.set $i (i32.const 0))
          (block $fd (loop $fl
            (br_if $fd (i32.ge_u (local.get $i) (local.get $len)))
            (local.set $f (f64.mul (f64.const 2) (f64.load (i32.add (local.get $vj) (i32.shl (local.get $i) (i32.const 3))))))
            (if (f64.ne (local.get $f) (f64.const 0))
              (then
                (local.set $row (i32.add (local.get $q) (i32.mul (i32.add (local.get $j) (local.get $i)) (local.get $kb))))
                (call $subScaled (local.get $row) (local.get $dots) (local.get $j) (local.get $k) (local.get $f))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $fl)))))
      (br $hl)))
    ;; a non-negative diagonal of R
    (local.set $j (i32.const 0))
    (block $gd (loop $gl
      (br_if $gd (i32.ge_u (local.get $j) (local.get $k)))
      (local.set $p (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $n)) (local.get $j)) (i32.const 3))))
      (if (f64.lt (f64.load (local.get $p)) (f64.const 0))
        (then
          (local.set $end (i32.add (local.get $w) (i32.mul (i32.add (local.get $j) (i32.const 1)) (local.get $nb))))
          (block $nd (loop $nl
            (br_if $nd (i32.ge_u (local.get $p) (local.get $end)))
            (f64.store (local.get $p) (f64.neg (f64.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $nl)))
          (local.set $i (i32.const 0))
          (block $cd (loop $cl
            (br_if $cd (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $p (i32.add (local.get $q) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $j)) (i32.const 3))))
            (f64.store (local.get $p) (f64.neg (f64.load (local.get $p))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $cl)))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $gl)))
  )

  ;; len doubles at p set to zero.
  (func $fillZero (param $p i32) (param $len i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $len) (i32.const 3))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $p) (local.get $end)))
      (f64.store (local.get $p) (f64.const 0))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br $l)))
  )

  ;; acc[c] += s * row[c] for first <= c < end (acc and row: float64 arrays), two per vector.
  (func $axpyTo (param $acc i32) (param $row i32) (param $first i32) (param $end i32) (param $s f64)
    (local $c i32) (local $sv v128) (local $pa i32) (local $pr i32)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $c (local.get $first))
    (block $d (loop $l
      (br_if $d (i32.gt_u (i32.add (local.get $c) (i32.const 2)) (local.get $end)))
      (local.set $pa (i32.add (local.get $acc) (i32.shl (local.get $c) (i32.const 3))))
      (local.set $pr (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 3))))
      (v128.store (local.get $pa) (f64x2.add (v128.load (local.get $pa)) (f64x2.mul (local.get $sv) (v128.load (local.get $pr)))))
      (local.set $c (i32.add (local.get $c) (i32.const 2)))
      (br $l)))
    (if (i32.lt_u (local.get $c) (local.get $end))
      (then
        (local.set $pa (i32.add (local.get $acc) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $pr (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 3))))
        (f64.store (local.get $pa) (f64.add (f64.load (local.get $pa)) (f64.mul (local.get $s) (f64.load (local.get $pr)))))))
  )

  ;; row[c] -= s * b[c] for first <= c < end, two per vector.
  (func $subScaled (param $row i32) (param $b i32) (param $first i32) (param $end i32) (param $s f64)
    (local $c i32) (local $sv v128) (local $pr i32) (local $pb i32)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $c (local.get $first))
    (block $d (loop $l
      (br_if $d (i32.gt_u (i32.add (local.get $c) (i32.const 2)) (local.get $end)))
      (local.set $pr (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 3))))
      (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 3))))
      (v128.store (local.get $pr) (f64x2.sub (v128.load (local.get $pr)) (f64x2.mul (local.get $sv) (v128.load (local.get $pb)))))
      (local.set $c (i32.add (local.get $c) (i32.const 2)))
      (br $l)))
    (if (i32.lt_u (local.get $c) (local.get $end))
      (then
        (local.set $pr (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 3))))
        (f64.store (local.get $pr) (f64.sub (f64.load (local.get $pr)) (f64.mul (local.get $s) (f64.load (local.get $pb)))))))
  )

  ;; ||row||^2 of n entries at p, summed in order (as linalg.ts's jacobiColumns).
  (func $rowSquares (param $p i32) (param $n i32) (result f64)
    (local $end i32) (local $ss f64) (local $x f64)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $x (f64.load (local.get $p)))
      (local.set $ss (f64.add (local.get $ss) (f64.mul (local.get $x) (local.get $x))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br $l)))
    (local.get $ss)
  )

  ;; Rows i and j of an n-column matrix at m: (x, y) -> (c x - s y, s x + c y), two entries per
  ;; vector (the same products and sums per entry as one by one).
  (func $rotateRows (param $pi i32) (param $pj i32) (param $n i32) (param $c f64) (param $s f64)
    (local $end i32) (local $cv v128) (local $sv v128) (local $x v128) (local $y v128) (local $xs f64) (local $ys f64)
    (local.set $end (i32.add (local.get $pi) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $cv (f64x2.splat (local.get $c)))
    (local.set $sv (f64x2.splat (local.get $s)))
    (block $d (loop $l
      (br_if $d (i32.gt_u (i32.add (local.get $pi) (i32.const 16)) (local.get $end)))
      (local.set $x (v128.load (local.get $pi)))
      (local.set $y (v128.load (local.get $pj)))
      (v128.store (local.get $pi) (f64x2.sub (f64x2.mul (local.get $cv) (local.get $x)) (f64x2.mul (local.get $sv) (local.get $y))))
      (v128.store (local.get $pj) (f64x2.add (f64x2.mul (local.get $sv) (local.get $x)) (f64x2.mul (local.get $cv) (local.get $y))))
      (local.set $pi (i32.add (local.get $pi) (i32.const 16)))
      (local.set $pj (i32.add (local.get $pj) (i32.const 16)))
      (br $l)))
    (if (i32.lt_u (local.get $pi) (local.get $end))
      (then
        (local.set $xs (f64.load (local.get $pi)))
        (local.set $ys (f64.load (local.get $pj)))
        (f64.store (local.get $pi) (f64.sub (f64.mul (local.get $c) (local.get $xs)) (f64.mul (local.get $s) (local.get $ys))))
        (f64.store (local.get $pj) (f64.add (f64.mul (local.get $s) (local.get $xs)) (f64.mul (local.get $c) (local.get $ys))))))
  )

  ;; One-sided Jacobi on the rows of the n x n matrix wt (linalg.ts's jacobiColumns, operation for
  ;; operation, so the same bits): cyclic sweeps over the pairs (i, j), i < j, rotating rows i and
  ;; j of wt and of vt until no pair needs a rotation, at most 80 sweeps. norms: n doubles of
  ;; scratch. status: 1 when converged, 0 when not.
  (func (export "jacobiRows") (param $wt i32) (param $vt i32) (param $n i32) (param $norms i32) (param $status i32)
    (local $sweep i32) (local $i i32) (local $j i32) (local $rotated i32) (local $nb i32)
    (local $pi i32) (local $pj i32) (local $t i32) (local $end i32)
    (local $tol f64) (local $small f64) (local $aii f64) (local $ajj f64) (local $aij f64)
    (local $zeta f64) (local $az f64) (local $tabs f64) (local $tan f64) (local $c f64) (local $s f64)
    (local $newI f64) (local $newJ f64) (local $big f64)
    (local.set $nb (i32.shl (local.get $n) (i32.const 3)))
    (local.set $tol (f64.mul (f64.const 2.220446049250313e-16) (f64.sqrt (f64.convert_i32_u (local.get $n)))))
    (local.set $small (f64.mul (f64.const 1e-140) (f64.const 1e-140)))
    (f64.store (local.get $status) (f64.const 0))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $sweep) (i32.const 80)))
      (local.set $rotated (i32.const 0))
      (local.set $i (i32.const 0))
      (block $nd (loop $nl
        (br_if $nd (i32.ge_u (local.get $i) (local.get $n)))
        (f64.store (i32.add (local.get $norms) (i32.shl (local.get $i) (i32.const 3)))
          (call $rowSquares (i32.add (local.get $wt) (i32.mul (local.get $i) (local.get $nb))) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $nl)))
      (local.set $i (i32.const 0))
      (block $id (loop $il
        (br_if $id (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $n)))
        (local.set $j (i32.add (local.get $i) (i32.const 1)))
        (block $jd (loop $jl
          (br_if $jd (i32.ge_u (local.get $j) (local.get $n)))
          (block $next
            (local.set $aii (f64.load (i32.add (local.get $norms) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $ajj (f64.load (i32.add (local.get $norms) (i32.shl (local.get $j) (i32.const 3)))))
            (br_if $next (i32.or (f64.lt (local.get $aii) (local.get $small)) (f64.lt (local.get $ajj) (local.get $small))))
            (local.set $pi (i32.add (local.get $wt) (i32.mul (local.get $i) (local.get $nb))))
            (local.set $pj (i32.add (local.get $wt) (i32.mul (local.get $j) (local.get $nb))))
            (local.set $aij (f64.const 0))
            (local.set $t (i32.const 0))
            (block $dd (loop $dl
              (br_if $dd (i32.ge_u (local.get $t) (local.get $nb)))
              (local.set $aij (f64.add (local.get $aij)
                (f64.mul (f64.load (i32.add (local.get $pi) (local.get $t))) (f64.load (i32.add (local.get $pj) (local.get $t))))))
              (local.set $t (i32.add (local.get $t) (i32.const 8)))
              (br $dl)))
            (br_if $next (f64.le (f64.abs (local.get $aij))
              (f64.mul (f64.mul (local.get $tol) (f64.sqrt (local.get $aii))) (f64.sqrt (local.get $ajj)))))
            (local.set $rotated (i32.const 1))
            (local.set $zeta (f64.div (f64.sub (local.get $ajj) (local.get $aii)) (f64.mul (f64.const 2) (local.get $aij))))
            (local.set $az (f64.abs (local.get $zeta)))
            (local.set $tabs
              (if (result f64) (f64.gt (local.get $az) (f64.const 1e100))
                (then (f64.div (f64.const 1) (f64.mul (f64.const 2) (local.get $az))))
                (else (f64.div (f64.const 1) (f64.add (local.get $az)
                  (f64.sqrt (f64.add (f64.const 1) (f64.mul (local.get $az) (local.get $az)))))))))
            (local.set $tan (if (result f64) (f64.ge (local.get $zeta) (f64.const 0))
              (then (local.get $tabs)) (else (f64.neg (local.get $tabs)))))
            (local.set $c (f64.div (f64.const 1) (f64.sqrt (f64.add (f64.const 1) (f64.mul (local.get $tan) (local.get $tan))))))
            (local.set $s (f64.mul (local.get $c) (local.get $tan)))
            (call $rotateRows (local.get $pi) (local.get $pj) (local.get $n) (local.get $c) (local.get $s))
            (call $rotateRows
              (i32.add (local.get $vt) (i32.mul (local.get $i) (local.get $nb)))
              (i32.add (local.get $vt) (i32.mul (local.get $j) (local.get $nb)))
              (local.get $n) (local.get $c) (local.get $s))
            (local.set $newI (f64.sub (local.get $aii) (f64.mul (local.get $tan) (local.get $aij))))
            (local.set $newJ (f64.add (local.get $ajj) (f64.mul (local.get $tan) (local.get $aij))))
            (local.set $big (f64.max (local.get $aii) (local.get $ajj)))
            (f64.store (i32.add (local.get $norms) (i32.shl (local.get $i) (i32.const 3)))
              (if (result f64) (f64.gt (local.get $newI) (f64.mul (f64.const 1e-3) (local.get $big)))
                (then (local.get $newI)) (else (call $rowSquares (local.get $pi) (local.get $n)))))
            (f64.store (i32.add (local.get $norms) (i32.shl (local.get $j) (i32.const 3)))
              (if (result f64) (f64.gt (local.get $newJ) (f64.mul (f64.const 1e-3) (local.get $big)))
                (then (local.get $newJ)) (else (call $rowSquares (local.get $pj) (local.get $n))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jl)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
      (if (i32.eqz (local.get $rotated))
        (then
          (f64.store (local.get $status) (f64.const 1))
          (return)))
      (local.set $sweep (i32.add (local.get $sweep) (i32.const 1)))
      (br $sl)))
  )

  ;; z = x @ m for x (l x r) and m (r x l) whose product is symmetric (T_s R T_s^T): only the
  ;; tiles on and right of the diagonal are formed (by the gemm's own tiles, so each entry is the
  ;; gemm's), then z[a][b] = z[b][a] below the diagonal: 10 of the gemm's 16 tiles at l = 16,
  ;; and z exactly symmetric.
  (func $symmetricProduct (param $x i32) (param $m i32) (param $z i32) (param $l i32) (param $r i32)
    (local $i i32) (local $j i32) (local $xs i32) (local $zs i32) (local $tb i32) (local $xp i32) (local $zp i32)
    (local $a i32) (local $b i32)
    (local.set $xs (i32.shl (local.get $r) (i32.const 3)))
    (local.set $zs (i32.shl (local.get $l) (i32.const 3)))
    (local.set $tb (i32.and (local.get $zs) (i32.const -32)))
    (local.set $xp (local.get $x))
    (local.set $zp (local.get $z))
    (block $id (loop $il
      (br_if $id (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $l)))
      (local.set $j (i32.shl (local.get $i) (i32.const 3)))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $tb)))
        (call $tile4x4
          (local.get $xp) (i32.add (local.get $xp) (local.get $xs))
          (i32.add (local.get $xp) (i32.shl (local.get $xs) (i32.const 1)))
          (i32.add (local.get $xp) (i32.mul (local.get $xs) (i32.const 3)))
          (i32.add (local.get $zp) (local.get $j))
          (i32.add (i32.add (local.get $zp) (local.get $zs)) (local.get $j))
          (i32.add (i32.add (local.get $zp) (i32.shl (local.get $zs) (i32.const 1))) (local.get $j))
          (i32.add (i32.add (local.get $zp) (i32.mul (local.get $zs) (i32.const 3))) (local.get $j))
          (f64.const 1) (f64.const 1) (f64.const 1) (f64.const 1)
          (i32.add (local.get $m) (local.get $j)) (local.get $zs) (local.get $xs))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br $jl)))
      (if (i32.lt_u (local.get $tb) (local.get $zs))
        (then
          (call $rows4
            (local.get $xp) (i32.add (local.get $xp) (local.get $xs))
            (i32.add (local.get $xp) (i32.shl (local.get $xs) (i32.const 1)))
            (i32.add (local.get $xp) (i32.mul (local.get $xs) (i32.const 3)))
            (local.get $zp) (i32.add (local.get $zp) (local.get $zs))
            (i32.add (local.get $zp) (i32.shl (local.get $zs) (i32.const 1)))
            (i32.add (local.get $zp) (i32.mul (local.get $zs) (i32.const 3)))
            (f64.const 1) (f64.const 1) (f64.const 1) (f64.const 1)
            (local.get $m) (local.get $zs) (local.get $r) (local.get $l) (local.get $tb))))
      (local.set $xp (i32.add (local.get $xp) (i32.shl (local.get $xs) (i32.const 2))))
      (local.set $zp (i32.add (local.get $zp) (i32.shl (local.get $zs) (i32.const 2))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $il)))
    ;; the last rows whole
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $i) (local.get $l)))
      (call $row1 (local.get $xp) (local.get $zp) (f64.const 1) (local.get $m) (local.get $zs) (local.get $r) (local.get $l))
      (local.set $xp (i32.add (local.get $xp) (local.get $xs)))
      (local.set $zp (i32.add (local.get $zp) (local.get $zs)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rl)))
    ;; below the diagonal from above it
    (local.set $a (i32.const 1))
    (block $ad (loop $al
      (br_if $ad (i32.ge_u (local.get $a) (local.get $l)))
      (local.set $b (i32.const 0))
      (block $bd (loop $bl
        (br_if $bd (i32.ge_u (local.get $b) (local.get $a)))
        (f64.store (i32.add (local.get $z) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $l)) (local.get $b)) (i32.const 3)))
          (f64.load (i32.add (local.get $z) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $l)) (local.get $a)) (i32.const 3)))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $al)))
  )

  ;; Per-sample double-layer environment step of a Born MPS with per-sample weights:
  ;; out_b = sum_s w[b * wStride + s] * T_s R_b T_s^T for b < count, where R_b (r x r) is block b
  ;; of `prev`, out_b (l x l) block b of `out`, T_s (l x r) at ts + s l r and T_s^T (r x l) at
  ;; tt + s r l; y (r x l) and z (l x l) are scratch. wStride in entries. One call per site
  ;; instead of 2 d count small gemm calls and a JavaScript accumulation per sample. With
  ;; `symmetric` (R_b symmetric, as every double-layer environment is), each term is formed on
  ;; and above its diagonal and copied below ($symmetricProduct), so out_b is exactly symmetric;
  ;; without it, the whole term by the gemm.
  (func (export "bornEnvironmentStep")
    (param $ts i32) (param $tt i32) (param $prev i32) (param $out i32)
    (param $w i32) (param $wStride i32) (param $count i32)
    (param $l i32) (param $r i32) (param $d i32) (param $y i32) (param $z i32) (param $symmetric i32)
    (local $b i32) (local $s i32) (local $ws f64) (local $wv v128)
    (local $ob i32) (local $pb i32) (local $wp i32)
    (local $ll i32) (local $llb i32) (local $rrb i32) (local $lrb i32) (local $lb i32)
    (local $k i32) (local $end i32) (local $end2 i32) (local $zp i32)
    (local.set $ll (i32.mul (local.get $l) (local.get $l)))
    (local.set $llb (i32.shl (local.get $ll) (i32.const 3)))
    (local.set $rrb (i32.shl (i32.mul (local.get $r) (local.get $r)) (i32.const 3)))
    (local.set $lrb (i32.shl (i32.mul (local.get $l) (local.get $r)) (i32.const 3)))
    (local.set $lb (i32.shl (local.get $l) (i32.const 3)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $count)))
      (local.set $ob (i32.add (local.get $out) (i32.mul (local.get $b) (local.get $llb))))
      (local.set $pb (i32.add (local.get $prev) (i32.mul (local.get $b) (local.get $rrb))))
      (local.set $wp (i32.add (local.get $w) (i32.shl (i32.mul (local.get $b) (local.get $wStride)) (i32.const 3))))
      (local.set $end (i32.add (local.get $ob) (local.get $llb)))
      ;; out_b = 0
      (local.set $k (local.get $ob))
      (block $zd (loop $zl
        (br_if $zd (i32.ge_u (local.get $k) (local.get $end)))
        (f64.store (local.get $k) (f64.const 0))
        (local.set $k (i32.add (local.get $k) (i32.const 8)))
        (br $zl)))
      (local.set $s (i32.const 0))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $s) (local.get $d)))
        (local.set $ws (f64.load (i32.add (local.get $wp) (i32.shl (local.get $s) (i32.const 3)))))
        (if (f64.ne (local.get $ws) (f64.const 0))
          (then
            ;; y = R_b T_s^T (r x l); z = T_s y (l x l)
            (call $gemm (local.get $pb)
              (i32.add (local.get $tt) (i32.mul (local.get $s) (local.get $lrb)))
              (local.get $lb) (local.get $y) (local.get $r) (local.get $r) (local.get $l))
            (if (local.get $symmetric)
              (then
                (call $symmetricProduct (i32.add (local.get $ts) (i32.mul (local.get $s) (local.get $lrb)))
                  (local.get $y) (local.get $z) (local.get $l) (local.get $r)))
              (else
                (call $gemm (i32.add (local.get $ts) (i32.mul (local.get $s) (local.get $lrb)))
                  (local.get $y) (local.get $lb) (local.get $z) (local.get $l) (local.get $r) (local.get $l))))
            ;; out_b += ws z, two entries at a time
            (local.set $wv (f64x2.splat (local.get $ws)))
            (local.set $k (local.get $ob))
            (local.set $zp (local.get $z))
            (local.set $end2 (i32.sub (local.get $end) (i32.const 8)))
            (block $ad (loop $al
              (br_if $ad (i32.ge_u (local.get $k) (local.get $end2)))
              (v128.store (local.get $k)
                (f64x2.add (v128.load (local.get $k))
                  (f64x2.mul (local.get $wv) (v128.load (local.get $zp)))))
              (local.set $k (i32.add (local.get $k) (i32.const 16)))
              (local.set $zp (i32.add (local.get $zp) (i32.const 16)))
              (br $al)))
            (if (i32.lt_u (local.get $k) (local.get $end))
              (then
                (f64.store (local.get $k)
                  (f64.add (f64.load (local.get $k))
                    (f64.mul (local.get $ws) (f64.load (local.get $zp)))))))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $sl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl)))
  )
)
