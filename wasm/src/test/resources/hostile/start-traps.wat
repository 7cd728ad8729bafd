;; Its start function traps, so it can never be instantiated.
(module
  (func $start unreachable)
  (start $start)
  (func (export "f") (result i32) i32.const 1))
