;; A Custos WebAssembly detector (ABI v1, docs/wasm-detector-abi.md) in WebAssembly text:
;; internal project codes, "PRJ-" followed by six digits, not inside a longer word or number as
;; far as the window shows. Matches carry no score (the policy's confidence applies) and no
;; category index (the policy's category applies). Rebuild with ./build.sh.
(module
  (memory (export "memory") 1)
  ;; The next free byte; below 1024 nothing is used.
  (global $heap (mut i32) (i32.const 1024))
  ;; The match list: an i32 count, then 16 bytes per match; room for $capacity matches.
  (global $results (mut i32) (i32.const 0))
  (global $capacity (mut i32) (i32.const 0))

  ;; Marks the module as following the Custos detector ABI v1.
  (func (export "custos_detector_abi_v1"))

  ;; Returns $size fresh bytes (8-aligned), growing memory as needed; traps when it cannot.
  (func $bump (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (global.get $heap))
    (local.set $end
      (i32.and (i32.add (i32.add (local.get $ptr) (local.get $size)) (i32.const 7))
               (i32.const -8)))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.eq
              (memory.grow
                (i32.sub (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16))
                         (memory.size)))
              (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  ;; The host asks once per instance for the buffer it copies each window into.
  (func (export "alloc") (param $size i32) (result i32)
    (call $bump (local.get $size)))

  (func $digit (param $c i32) (result i32)
    (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10)))

  ;; [0-9A-Za-z_]
  (func $word (param $c i32) (result i32)
    (i32.or
      (call $digit (local.get $c))
      (i32.or
        (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 32)) (i32.const 97)) (i32.const 26))
        (i32.eq (local.get $c) (i32.const 95)))))

  ;; Finds the codes in [$ptr, $ptr + $len) and returns the address of the match list.
  (func (export "detect") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $p i32) (local $k i32) (local $count i32) (local $out i32)
    (local $need i32)
    ;; A match is 10 bytes and matches do not overlap: at most $len / 10 of them.
    (local.set $need (i32.add (i32.div_u (local.get $len) (i32.const 10)) (i32.const 1)))
    (if (i32.gt_u (local.get $need) (global.get $capacity))
      (then
        (global.set $results
          (call $bump (i32.add (i32.const 4) (i32.shl (local.get $need) (i32.const 4)))))
        (global.set $capacity (local.get $need))))
    (local.set $out (i32.add (global.get $results) (i32.const 4)))
    (block $done
      (loop $scan
        (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 10)) (local.get $len)))
        (local.set $p (i32.add (local.get $ptr) (local.get $i)))
        (block $next
          ;; "PRJ-" read as a little-endian i32.
          (br_if $next (i32.ne (i32.load align=1 (local.get $p)) (i32.const 0x2D4A5250)))
          (if (local.get $i)
            (then
              (br_if $next (call $word (i32.load8_u (i32.sub (local.get $p) (i32.const 1)))))))
          (if (i32.lt_s (i32.add (local.get $i) (i32.const 10)) (local.get $len))
            (then
              (br_if $next (call $word (i32.load8_u offset=10 (local.get $p))))))
          (local.set $k (i32.const 4))
          (loop $digits
            (br_if $next
              (i32.eqz (call $digit (i32.load8_u (i32.add (local.get $p) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $digits (i32.lt_u (local.get $k) (i32.const 10))))
          (i32.store (local.get $out) (local.get $i))
          (i32.store offset=4 (local.get $out) (i32.add (local.get $i) (i32.const 10)))
          (i32.store offset=8 (local.get $out) (i32.const -1))
          (i32.store offset=12 (local.get $out) (i32.const -1))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (local.set $count (i32.add (local.get $count) (i32.const 1)))
          ;; The next code cannot start inside this one.
          (local.set $i (i32.add (local.get $i) (i32.const 9))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i32.store (global.get $results) (local.get $count))
    (global.get $results)))
