;; Keeps a counter in a mutable global: each instance counts its own calls.
(module
  (global $count (mut i32) (i32.const 0))
  (func (export "next") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    global.get $count))
