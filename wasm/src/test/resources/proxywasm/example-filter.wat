;; Custos example proxy-wasm HTTP filter, ABI 0.2.1, written in WebAssembly text.
;;
;; - plugin configuration: exactly {"header":"NAME"} (no spaces around the colon); every response
;;   gets the header NAME: yes, and loses content-length (the body may be rewritten);
;; - a request whose :path contains /forbidden is answered locally with 403 "access denied";
;; - a request whose :path contains /call is paused while an HTTP call to the cluster "auth"
;;   runs; the call's response body becomes the request header x-auth and the request continues.
;;   As with the SDKs, the response arrives on the root context: the filter remembers which stream
;;   made the call (by token) and switches to it with proxy_set_effective_context;
;; - response bodies are stopped and buffered until the end of the stream, then every "secret"
;;   is replaced by "******";
;; - request trailers get x-trailers-seen: yes;
;; - counters example.requests (per request) and example.ticks (per tick, every second).
;; The allocator is a bump allocator that never frees: an example, not a production filter.
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func $remove_header (param i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response"
    (func $local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call"
    (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue_stream (param i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_effective_context (param i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $set_tick (param i32) (result i32)))
  (import "env" "proxy_define_metric" (func $define_metric (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $increment_metric (param i32 i64) (result i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (global $header_ptr (mut i32) (i32.const 0))
  (global $header_len (mut i32) (i32.const 0))
  (global $requests (mut i32) (i32.const 0))
  (global $ticks (mut i32) (i32.const 0))

  ;; scratch: 16 = returned pointer, 20 = returned size, 24 = returned id/token;
  ;; 2048..2303: the stream context of each pending HTTP call, by token modulo 64
  (data (i32.const 1024) ":path")
  (data (i32.const 1040) "/forbidden")
  (data (i32.const 1056) "forbidden")
  (data (i32.const 1072) "access denied")
  (data (i32.const 1088) "\"header\":\"")
  (data (i32.const 1104) "\"")
  (data (i32.const 1112) "yes")
  (data (i32.const 1120) "content-length")
  (data (i32.const 1136) "secret")
  (data (i32.const 1144) "******")
  (data (i32.const 1152) "/call")
  (data (i32.const 1160) "auth")
  (data (i32.const 1168) "x-auth")
  (data (i32.const 1176) "x-trailers-seen")
  (data (i32.const 1200) "example.requests")
  (data (i32.const 1224) "example.ticks")
  (data (i32.const 1240) "configured")
  ;; header map {:method: GET, :path: /check, :authority: auth}, 69 bytes
  (data (i32.const 1280)
    "\03\00\00\00"
    "\07\00\00\00\03\00\00\00\05\00\00\00\06\00\00\00\0a\00\00\00\04\00\00\00"
    ":method\00GET\00:path\00/check\00:authority\00auth\00")

  (func (export "proxy_abi_version_0_2_1"))

  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap
      (i32.and (i32.add (i32.add (local.get $p) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (i32.const -1)
              (memory.grow (i32.add (i32.shr_u (local.get $size) (i32.const 16)) (i32.const 1))))
          (then (unreachable)))))
    (local.get $p))

  ;; Returns the index of needle in haystack, or -1.
  (func $find (param $h i32) (param $hl i32) (param $n i32) (param $nl i32) (result i32)
    (local $i i32) (local $j i32)
    (block $not_found
      (loop $outer
        (br_if $not_found (i32.gt_s (local.get $i) (i32.sub (local.get $hl) (local.get $nl))))
        (local.set $j (i32.const 0))
        (block $mismatch
          (loop $inner
            (if (i32.eq (local.get $j) (local.get $nl)) (then (return (local.get $i))))
            (br_if $mismatch
              (i32.ne
                (i32.load8_u (i32.add (local.get $h) (i32.add (local.get $i) (local.get $j))))
                (i32.load8_u (i32.add (local.get $n) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (i32.const -1))

  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
    (drop (call $define_metric (i32.const 0) (i32.const 1200) (i32.const 16) (i32.const 24)))
    (global.set $requests (i32.load (i32.const 24)))
    (drop (call $define_metric (i32.const 0) (i32.const 1224) (i32.const 13) (i32.const 24)))
    (global.set $ticks (i32.load (i32.const 24)))
    (i32.const 1))

  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    (local $cfg i32) (local $len i32) (local $i i32) (local $start i32) (local $end i32)
    (if (call $get_buffer (i32.const 7) (i32.const 0) (local.get $size) (i32.const 16) (i32.const 20))
      (then (return (i32.const 0))))
    (local.set $cfg (i32.load (i32.const 16)))
    (local.set $len (i32.load (i32.const 20)))
    (local.set $i (call $find (local.get $cfg) (local.get $len) (i32.const 1088) (i32.const 10)))
    (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const 0))))
    (local.set $start (i32.add (local.get $cfg) (i32.add (local.get $i) (i32.const 10))))
    (local.set $end
      (call $find (local.get $start) (i32.sub (i32.add (local.get $cfg) (local.get $len)) (local.get $start))
        (i32.const 1104) (i32.const 1)))
    (if (i32.le_s (local.get $end) (i32.const 0)) (then (return (i32.const 0))))
    (global.set $header_ptr (local.get $start))
    (global.set $header_len (local.get $end))
    (drop (call $set_tick (i32.const 1000)))
    (drop (call $log (i32.const 2) (i32.const 1240) (i32.const 10)))
    (i32.const 1))

  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))

  (func (export "proxy_on_request_headers") (param $context i32) (param $headers i32) (param $eos i32) (result i32)
    (local $path i32) (local $len i32)
    (drop (call $increment_metric (global.get $requests) (i64.const 1)))
    (if (call $get_header (i32.const 0) (i32.const 1024) (i32.const 5) (i32.const 16) (i32.const 20))
      (then (return (i32.const 0))))
    (local.set $path (i32.load (i32.const 16)))
    (local.set $len (i32.load (i32.const 20)))
    (if (i32.ge_s (call $find (local.get $path) (local.get $len) (i32.const 1040) (i32.const 10)) (i32.const 0))
      (then
        (drop (call $local_response (i32.const 403) (i32.const 1056) (i32.const 9)
          (i32.const 1072) (i32.const 13) (i32.const 0) (i32.const 0) (i32.const -1)))
        (return (i32.const 1))))
    (if (i32.ge_s (call $find (local.get $path) (local.get $len) (i32.const 1152) (i32.const 5)) (i32.const 0))
      (then
        (if (i32.eqz (call $http_call (i32.const 1160) (i32.const 4) (i32.const 1280) (i32.const 69)
              (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 5000) (i32.const 24)))
          (then
            (i32.store (i32.add (i32.const 2048) (i32.shl (i32.and (i32.load (i32.const 24)) (i32.const 63)) (i32.const 2)))
              (local.get $context))
            (return (i32.const 1))))))
    (i32.const 0))

  (func (export "proxy_on_http_call_response")
    (param $context i32) (param $token i32) (param $headers i32) (param $body i32) (param $trailers i32)
    ;; $context is the root context; switch to the stream that made the call, if it still exists
    (if (call $set_effective_context
          (i32.load (i32.add (i32.const 2048) (i32.shl (i32.and (local.get $token) (i32.const 63)) (i32.const 2)))))
      (then (return)))
    (if (i32.eqz (local.get $headers))
      (then
        (drop (call $local_response (i32.const 503) (i32.const 1160) (i32.const 4)
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const -1)))
        (return)))
    (drop (call $get_buffer (i32.const 4) (i32.const 0) (local.get $body) (i32.const 16) (i32.const 20)))
    (drop (call $add_header (i32.const 0) (i32.const 1168) (i32.const 6)
      (i32.load (i32.const 16)) (i32.load (i32.const 20))))
    (drop (call $continue_stream (i32.const 0))))

  (func (export "proxy_on_request_trailers") (param $context i32) (param $trailers i32) (result i32)
    (drop (call $add_header (i32.const 1) (i32.const 1176) (i32.const 15) (i32.const 1112) (i32.const 3)))
    (i32.const 0))

  (func (export "proxy_on_response_headers") (param $context i32) (param $headers i32) (param $eos i32) (result i32)
    (drop (call $add_header (i32.const 2) (global.get $header_ptr) (global.get $header_len)
      (i32.const 1112) (i32.const 3)))
    (drop (call $remove_header (i32.const 2) (i32.const 1120) (i32.const 14)))
    (i32.const 0))

  (func (export "proxy_on_response_body") (param $context i32) (param $size i32) (param $eos i32) (result i32)
    (local $body i32) (local $len i32) (local $at i32) (local $i i32)
    (if (i32.eqz (local.get $eos)) (then (return (i32.const 1))))
    (if (i32.eqz (local.get $size)) (then (return (i32.const 0))))
    (if (call $get_buffer (i32.const 1) (i32.const 0) (local.get $size) (i32.const 16) (i32.const 20))
      (then (return (i32.const 0))))
    (local.set $body (i32.load (i32.const 16)))
    (local.set $len (i32.load (i32.const 20)))
    (block $done
      (loop $next
        (local.set $i
          (call $find (i32.add (local.get $body) (local.get $at)) (i32.sub (local.get $len) (local.get $at))
            (i32.const 1136) (i32.const 6)))
        (br_if $done (i32.lt_s (local.get $i) (i32.const 0)))
        (local.set $at (i32.add (local.get $at) (local.get $i)))
        (memory.copy (i32.add (local.get $body) (local.get $at)) (i32.const 1144) (i32.const 6))
        (local.set $at (i32.add (local.get $at) (i32.const 6)))
        (br $next)))
    (drop (call $set_buffer (i32.const 1) (i32.const 0) (local.get $len) (local.get $body) (local.get $len)))
    (i32.const 0))

  (func (export "proxy_on_response_trailers") (param $context i32) (param $trailers i32) (result i32)
    (i32.const 0))

  (func (export "proxy_on_tick") (param $root i32)
    (drop (call $increment_metric (global.get $ticks) (i64.const 1))))

  (func (export "proxy_on_done") (param $context i32) (result i32) (i32.const 1))
  (func (export "proxy_on_log") (param $context i32))
  (func (export "proxy_on_delete") (param $context i32)))
