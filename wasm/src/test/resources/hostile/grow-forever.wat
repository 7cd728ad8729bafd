;; Grows memory one page at a time until memory.grow fails (-1); returns the final page count.
(module
  (memory 1)
  (func (export "grow") (result i32)
    (block $done
      (loop $again
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        br $again))
    memory.size))
