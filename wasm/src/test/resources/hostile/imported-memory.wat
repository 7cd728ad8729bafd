;; Imports its memory from the host, which the sandbox never grants.
(module
  (import "env" "memory" (memory 1))
  (func (export "size") (result i32)
    memory.size))
