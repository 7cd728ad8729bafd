;; A toy detector ABI: alloc(len) -> ptr, detect(ptr, len) -> count of '4' bytes,
;; and report(ptr, len) hands a range back to the host through the granted env.emit.
(module
  (import "env" "emit" (func $emit (param i32 i32)))
  (memory (export "memory") 1 4)
  (global $next (mut i32) (i32.const 1024))
  (func (export "alloc") (param $len i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $len)))
    local.get $ptr)
  (func (export "detect") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $hits i32)
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (if (i32.eq (i32.load8_u (i32.add (local.get $ptr) (local.get $i))) (i32.const 52))
          (then (local.set $hits (i32.add (local.get $hits) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        br $again))
    local.get $hits)
  (func (export "report") (param $ptr i32) (param $len i32)
    (call $emit (local.get $ptr) (local.get $len))))
