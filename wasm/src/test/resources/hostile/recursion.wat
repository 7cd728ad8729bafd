;; Recurses without end until the call stack is exhausted.
(module
  (func $down (export "down") (param i32) (result i32)
    (call $down (i32.add (local.get 0) (i32.const 1)))))
