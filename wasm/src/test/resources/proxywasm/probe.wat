;; Test probe: calls host functions from its callbacks and leaves the results in memory for the
;; test to read. ABI 0.2.0; allocates through "malloc" (not proxy_on_memory_allocate).
;; Results (i32): 100.. get_property(request.path) ptr,len,status; 112.. source.address;
;; 124.. connection.mtls; 136.. plugin_name; 148 status of an unknown property; 152.. request
;; header pairs ptr,len,status; 164 set_header_map_pairs(response) status; 168 missing header
;; status; 172 bad pointer status; 176 register_shared_queue status; 180 fd_write errno, 184
;; bytes written; 200.. shared data cas, ptr, len.
(module
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $get_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_header_map_pairs" (func $set_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_register_shared_queue" (func $register_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_shared_data" (func $get_shared (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func $set_shared (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))

  (data (i32.const 1024) "request\00path")
  (data (i32.const 1040) "source.address")
  (data (i32.const 1056) "connection\00mtls")
  (data (i32.const 1072) "plugin_name")
  (data (i32.const 1088) "nope")
  (data (i32.const 1096) "missing")
  (data (i32.const 1104) "queue")
  (data (i32.const 1112) "<>")
  (data (i32.const 1120) "k")
  (data (i32.const 1128) "hello from the probe\n")
  ;; iovec {ptr 1128, len 21}
  (data (i32.const 1160) "\68\04\00\00\15\00\00\00")

  (func (export "proxy_abi_version_0_2_0"))

  (func (export "malloc") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $p) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (local.get $p))

  (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    (i32.store (i32.const 108) (call $get_property (i32.const 1024) (i32.const 12) (i32.const 100) (i32.const 104)))
    (i32.store (i32.const 120) (call $get_property (i32.const 1040) (i32.const 14) (i32.const 112) (i32.const 116)))
    (i32.store (i32.const 132) (call $get_property (i32.const 1056) (i32.const 15) (i32.const 124) (i32.const 128)))
    (i32.store (i32.const 144) (call $get_property (i32.const 1072) (i32.const 11) (i32.const 136) (i32.const 140)))
    (i32.store (i32.const 148) (call $get_property (i32.const 1088) (i32.const 4) (i32.const 0) (i32.const 4)))
    (i32.store (i32.const 160) (call $get_pairs (i32.const 0) (i32.const 152) (i32.const 156)))
    (i32.store (i32.const 164) (call $set_pairs (i32.const 2) (i32.load (i32.const 152)) (i32.load (i32.const 156))))
    (i32.store (i32.const 168) (call $get_header (i32.const 0) (i32.const 1096) (i32.const 7) (i32.const 0) (i32.const 4)))
    (i32.store (i32.const 172) (call $get_header (i32.const 0) (i32.const -16) (i32.const 10) (i32.const 0) (i32.const 4)))
    (i32.store (i32.const 176) (call $register_queue (i32.const 1104) (i32.const 5) (i32.const 0)))
    (i32.const 0))

  (func (export "proxy_on_request_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (drop (call $set_buffer (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1112) (i32.const 1)))
    (drop (call $set_buffer (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 1113) (i32.const 1)))
    (i32.const 0))

  (func (export "proxy_on_request_trailers") (param $ctx i32) (param $n i32) (result i32)
    (i32.store (i32.const 180) (call $fd_write (i32.const 1) (i32.const 1160) (i32.const 1) (i32.const 184)))
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
    unreachable)

  (func (export "proxy_on_response_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (call $proc_exit (i32.const 3))
    (i32.const 0))

  (func (export "cas_get") (result i32)
    (call $get_shared (i32.const 1120) (i32.const 1) (i32.const 204) (i32.const 208) (i32.const 200)))

  (func (export "cas_set") (param $cas i32) (param $value_ptr i32) (param $value_len i32) (result i32)
    (call $set_shared (i32.const 1120) (i32.const 1) (local.get $value_ptr) (local.get $value_len) (local.get $cas))))
