;; Parity test service, ABI 0.2.1: a root context only (a singleton, as Envoy's bootstrap wasm
;; services are), like an SDK plugin without HTTP contexts.
;;
;; - proxy_on_vm_start registers the shared queue "q", defines the counters parity_service_ticks
;;   and parity_queue_items, and asks for a 20 ms tick;
;; - each tick counts parity_service_ticks and, until it has one, calls cluster "auth" for a token;
;;   the response's body is stored as shared data "token" (for filters of the same VM id);
;; - proxy_on_queue_ready dequeues every item, counting parity_queue_items.
;; Kept in memory: 100 queue token, 200 http-call-response context id, 204 queue-ready context
;; id, 208 its token, 212 size of the last item, 216 items dequeued, 220 ticks.
(module
  (import "env" "proxy_register_shared_queue" (func $register_queue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func $dequeue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $set_tick (param i32) (result i32)))
  (import "env" "proxy_http_call"
    (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func $set_shared (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_define_metric" (func $define_metric (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $increment_metric (param i32 i64) (result i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))

  ;; scratch: 16 = returned pointer, 20 = returned size, 24 = returned token;
  ;; 300/304 metric ids, 308 has a token, 312 a call is pending
  (data (i32.const 1024) "q")
  (data (i32.const 1032) "parity_service_ticks")
  (data (i32.const 1056) "parity_queue_items")
  (data (i32.const 1080) "auth")
  (data (i32.const 1088) "token")
  ;; header map {:method: GET, :path: /check, :authority: auth}, 69 bytes
  (data (i32.const 1104)
    "\03\00\00\00"
    "\07\00\00\00\03\00\00\00\05\00\00\00\06\00\00\00\0a\00\00\00\04\00\00\00"
    ":method\00GET\00:path\00/check\00:authority\00auth\00")

  (func (export "proxy_abi_version_0_2_1"))

  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (i32.and (i32.add (local.get $size) (i32.const 7)) (i32.const -8))))
    (if (i32.gt_u (global.get $heap) (i32.const 131000)) (then (global.set $heap (i32.const 65536))))
    (local.get $p))

  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))

  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
    (drop (call $define_metric (i32.const 0) (i32.const 1032) (i32.const 20) (i32.const 300)))
    (drop (call $define_metric (i32.const 0) (i32.const 1056) (i32.const 18) (i32.const 304)))
    (drop (call $register_queue (i32.const 1024) (i32.const 1) (i32.const 100)))
    (drop (call $set_tick (i32.const 20)))
    (i32.const 1))

  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32) (i32.const 1))

  (func (export "proxy_on_tick") (param $root i32)
    (i32.store (i32.const 220) (i32.add (i32.load (i32.const 220)) (i32.const 1)))
    (drop (call $increment_metric (i32.load (i32.const 300)) (i64.const 1)))
    (if (i32.or (i32.load (i32.const 308)) (i32.load (i32.const 312))) (then (return)))
    (if (i32.eqz (call $http_call (i32.const 1080) (i32.const 4) (i32.const 1104) (i32.const 69)
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 5000) (i32.const 24)))
      (then (i32.store (i32.const 312) (i32.const 1)))))

  (func (export "proxy_on_http_call_response")
    (param $context i32) (param $token i32) (param $headers i32) (param $body i32) (param $trailers i32)
    (i32.store (i32.const 200) (local.get $context))
    (i32.store (i32.const 312) (i32.const 0))
    (if (i32.eqz (local.get $headers)) (then (return)))
    (if (i32.eqz (call $get_buffer (i32.const 4) (i32.const 0) (local.get $body) (i32.const 16) (i32.const 20)))
      (then
        (drop (call $set_shared (i32.const 1088) (i32.const 5)
          (i32.load (i32.const 16)) (i32.load (i32.const 20)) (i32.const 0)))
        (i32.store (i32.const 308) (i32.const 1)))))

  (func (export "proxy_on_queue_ready") (param $root i32) (param $token i32)
    (i32.store (i32.const 204) (local.get $root))
    (i32.store (i32.const 208) (local.get $token))
    (block $empty
      (loop $next
        (br_if $empty (call $dequeue (local.get $token) (i32.const 16) (i32.const 20)))
        (i32.store (i32.const 212) (i32.load (i32.const 20)))
        (i32.store (i32.const 216) (i32.add (i32.load (i32.const 216)) (i32.const 1)))
        (drop (call $increment_metric (i32.load (i32.const 304)) (i64.const 1)))
        (br $next)))))
