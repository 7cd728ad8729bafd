;; A filter whose proxy_on_vm_start takes 300 ms, as a Go or Rust runtime's start may: it spins
;; until the host clock has moved on by that much. Every request passes.
(module
  (import "env" "proxy_get_current_time_nanoseconds" (func $now (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $p))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (local $start i64)
    (drop (call $now (i32.const 16)))
    (local.set $start (i64.load (i32.const 16)))
    (loop $spin
      (drop (call $now (i32.const 16)))
      (br_if $spin (i64.lt_u (i64.sub (i64.load (i32.const 16)) (local.get $start)) (i64.const 300000000))))
    (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0)))
