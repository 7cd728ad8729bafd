;; Loads past the end of its one-page memory.
(module
  (memory 1 1)
  (func (export "peek") (result i32)
    (i32.load (i32.const 70000))))
