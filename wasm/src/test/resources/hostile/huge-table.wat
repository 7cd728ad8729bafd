;; Declares a table of 5 million elements, more than the sandbox allows.
(module
  (table 5000000 funcref)
  (func (export "size") (result i32)
    table.size))
