;; Declares 4096 initial pages (256 MiB), more than the sandbox allows.
(module
  (memory 4096)
  (func (export "size") (result i32)
    memory.size))
