;; Small pure functions for comparing the interpreter with the compiler.
(module
  (func (export "mix") (param $a i64) (param $b i64) (result i64)
    (i64.xor
      (i64.mul (local.get $a) (i64.const 0x9E3779B97F4A7C15))
      (i64.rotl (local.get $b) (i64.and (local.get $a) (i64.const 63)))))
  (func (export "collatz") (param $n i64) (result i64)
    (local $steps i64)
    (if (i64.le_u (local.get $n) (i64.const 1)) (then (return (i64.const 0))))
    (loop $again
      (if (i64.eqz (i64.and (local.get $n) (i64.const 1)))
        (then (local.set $n (i64.shr_u (local.get $n) (i64.const 1))))
        (else (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 3)) (i64.const 1)))))
      (local.set $steps (i64.add (local.get $steps) (i64.const 1)))
      (br_if $again (i32.and
        (i64.gt_u (local.get $n) (i64.const 1))
        (i64.lt_u (local.get $steps) (i64.const 10000)))))
    local.get $steps)
  (func (export "divs") (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b))))
