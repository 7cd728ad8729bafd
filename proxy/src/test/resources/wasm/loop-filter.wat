;; Hostile proxy-wasm filter: on_request_headers spins forever when the path contains "loop",
;; and lets everything else through.
(module
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) ":path")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $p))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param $context i32) (param $headers i32) (param $eos i32) (result i32)
    (local $path i32) (local $end i32)
    (drop (call $get_header (i32.const 0) (i32.const 1024) (i32.const 5) (i32.const 16) (i32.const 20)))
    (local.set $path (i32.load (i32.const 16)))
    (local.set $end (i32.sub (i32.add (local.get $path) (i32.load (i32.const 20))) (i32.const 3)))
    (block $none
      (loop $scan
        (br_if $none (i32.ge_s (local.get $path) (local.get $end)))
        ;; "loop" read as a little-endian i32
        (if (i32.eq (i32.load (local.get $path)) (i32.const 0x706f6f6c))
          (then (loop $forever (br $forever))))
        (local.set $path (i32.add (local.get $path) (i32.const 1)))
        (br $scan)))
    (global.set $heap (i32.const 4096))
    (i32.const 0)))
