;; Counts down from its argument; long arguments run past short deadlines.
(module
  (func (export "busy") (param $n i64) (result i64)
    (loop $again
      (local.set $n (i64.sub (local.get $n) (i64.const 1)))
      (br_if $again (i64.gt_s (local.get $n) (i64.const 0))))
    local.get $n))
