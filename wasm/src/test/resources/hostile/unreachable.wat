;; Traps on purpose.
(module
  (func (export "boom")
    unreachable))
