;; Parity test filter, ABI 0.2.1: does what the Go, Rust and C++ SDKs do, by what the request
;; path contains.
;;
;; - /call: HTTP call to cluster "auth", paused; proxy_on_http_call_response gets the ROOT context
;;   id (kept at 200); like the SDKs the filter finds the calling stream by token, switches to it
;;   with proxy_set_effective_context, adds x-auth (the call's body) and continues it;
;; - /tick and /deny: paused; the filter asks for a 10 ms tick now (after start); the tick
;;   continues the stream (/tick) or answers it 403 "denied" (/deny), then stops the ticks;
;; - /enqueue: resolves queue "q" of VM id "shared" and enqueues "item";
;; - /authority: adds request headers x-seen-authority (:authority), x-seen-host (host, if any)
;;   and x-seen-request-host (property request.host);
;; - /token: adds x-token, the shared data "token" (if any);
;; - /count: adds 1 to the shared data "n" (compare-and-swap) and adds x-count, the new value;
;;   proxy_on_vm_start resets "n" to 0, as the Go SDK's shared-data example does;
;; - /panic: writes "panic: boom\n" to stderr in three fd_write calls, sleeps with poll_oneoff
;;   (errno at 232, events at 236, event userdata at 1500) and traps, as a Go panic does.
;; Kept in memory: 200 http-call-response context id, 220 ticks.
(module
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_send_local_response"
    (func $local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call"
    (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue_stream (param i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $set_effective_context (param i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $set_tick (param i32) (result i32)))
  (import "env" "proxy_resolve_shared_queue" (func $resolve_queue (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_enqueue_shared_queue" (func $enqueue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_shared_data" (func $get_shared (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func $set_shared (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (global $waiting (mut i32) (i32.const 0))
  (global $mode (mut i32) (i32.const 0))

  ;; scratch: 16 = returned pointer, 20 = returned size, 24 = returned token, 28 = written,
  ;; 32 = cas, 40 = counter bytes
  (data (i32.const 1024) ":path")
  (data (i32.const 1032) "/call")
  (data (i32.const 1040) "/tick")
  (data (i32.const 1048) "/deny")
  (data (i32.const 1056) "/enqueue")
  (data (i32.const 1072) "/panic")
  (data (i32.const 1080) "/authority")
  (data (i32.const 1096) "/token")
  (data (i32.const 1104) "/count")
  (data (i32.const 1112) "auth")
  (data (i32.const 1120) "x-auth")
  (data (i32.const 1128) "shared")
  (data (i32.const 1136) "q")
  (data (i32.const 1140) "item")
  (data (i32.const 1148) "denied")
  (data (i32.const 1160) "panic: ")
  (data (i32.const 1168) "boom")
  (data (i32.const 1176) "\n")
  ;; three iovecs: {1160, 7}, {1168, 4}, {1176, 1}
  (data (i32.const 1184) "\88\04\00\00\07\00\00\00\90\04\00\00\04\00\00\00\98\04\00\00\01\00\00\00")
  (data (i32.const 1216) ":authority")
  (data (i32.const 1232) "host")
  (data (i32.const 1240) "request.host")
  (data (i32.const 1256) "x-seen-authority")
  (data (i32.const 1280) "x-seen-host")
  (data (i32.const 1296) "x-seen-request-host")
  (data (i32.const 1320) "token")
  (data (i32.const 1328) "x-token")
  (data (i32.const 1336) "n")
  (data (i32.const 1340) "x-count")
  ;; header map {:method: GET, :path: /check, :authority: auth}, 69 bytes
  (data (i32.const 1360)
    "\03\00\00\00"
    "\07\00\00\00\03\00\00\00\05\00\00\00\06\00\00\00\0a\00\00\00\04\00\00\00"
    ":method\00GET\00:path\00/check\00:authority\00auth\00")
  ;; one clock subscription: userdata 0x1122334455667788, tag 0 (clock), clock 1, 1 ms timeout
  (data (i32.const 1440) "\88\77\66\55\44\33\22\11\00\00\00\00\00\00\00\00\01\00\00\00\00\00\00\00\40\42\0f\00\00\00\00\00")
  ;; 2048..2303: the stream context of each pending HTTP call, by token modulo 64

  (func (export "proxy_abi_version_0_2_1"))

  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (i32.and (i32.add (local.get $size) (i32.const 7)) (i32.const -8))))
    (if (i32.gt_u (global.get $heap) (i32.const 131000)) (then (global.set $heap (i32.const 65536))))
    (local.get $p))

  ;; whether the path at ptr/len contains the literal at lit/litlen
  (func $starts (param $p i32) (param $len i32) (param $lit i32) (param $litlen i32) (result i32)
    (local $at i32) (local $i i32)
    (block $none
      (loop $scan
        (br_if $none (i32.gt_s (i32.add (local.get $at) (local.get $litlen)) (local.get $len)))
        (local.set $i (i32.const 0))
        (block $differs
          (loop $next
            (if (i32.ge_u (local.get $i) (local.get $litlen)) (then (return (i32.const 1))))
            (br_if $differs (i32.ne (i32.load8_u (i32.add (local.get $p) (i32.add (local.get $at) (local.get $i))))
                                    (i32.load8_u (i32.add (local.get $lit) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $scan)))
    (i32.const 0))

  ;; writes the decimal digits of v at 1600 and returns how many
  (func $itoa (param $v i32) (result i32)
    (local $n i32) (local $t i32) (local $i i32)
    (local.set $t (local.get $v))
    (loop $count
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
      (br_if $count (i32.ne (local.get $t) (i32.const 0))))
    (local.set $i (local.get $n))
    (local.set $t (local.get $v))
    (loop $digit
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (i32.const 1600) (local.get $i))
        (i32.add (i32.const 48) (i32.rem_u (local.get $t) (i32.const 10))))
      (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
      (br_if $digit (i32.ne (local.get $i) (i32.const 0))))
    (local.get $n))

  (func (export "proxy_on_vm_start") (param $root i32) (param $size i32) (result i32)
    (i32.store (i32.const 40) (i32.const 0))
    (drop (call $set_shared (i32.const 1336) (i32.const 1) (i32.const 40) (i32.const 4) (i32.const 0)))
    (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32) (i32.const 1))
  (func (export "proxy_on_context_create") (param $context i32) (param $parent i32))

  (func (export "proxy_on_request_headers") (param $context i32) (param $headers i32) (param $eos i32) (result i32)
    (local $path i32) (local $len i32) (local $n i32)
    (if (call $get_header (i32.const 0) (i32.const 1024) (i32.const 5) (i32.const 16) (i32.const 20))
      (then (return (i32.const 0))))
    (local.set $path (i32.load (i32.const 16)))
    (local.set $len (i32.load (i32.const 20)))
    (if (call $starts (local.get $path) (local.get $len) (i32.const 1032) (i32.const 5))
      (then
        (if (call $http_call (i32.const 1112) (i32.const 4) (i32.const 1360) (i32.const 69)
              (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 5000) (i32.const 24))
          (then (return (i32.const 0))))
        (i32.store (i32.add (i32.const 2048) (i32.shl (i32.and (i32.load (i32.const 24)) (i32.const 63)) (i32.const 2)))
          (local.get $context))
        (return (i32.const 1))))
    (if (call $starts (local.get $path) (local.get $len) (i32.const 1040) (i32.const 5))
      (then
        (global.set $waiting (local.get $context))
        (global.set $mode (i32.const 1))
        (drop (call $set_tick (i32.const 10)))
        (return (i32.const 1))))
    (if (call $starts (local.get $path) (local.get $len) (i32.const 1048) (i32.const 5))
      (then
        (global.set $waiting (local.get $context))
        (global.set $mode (i32.const 2))
        (drop (call $set_tick (i32.const 10)))
        (return (i32.const 1))))
    (if (call $starts (local.get $path) (local.get $len) (i32.const 1056) (i32.const 8))
      (then
        (if (i32.eqz (call $resolve_queue (i32.const 1128) (i32.const 6) (i32.const 1136) (i32.const 1) (i32.const 24)))
          (then (drop (call $enqueue (i32.load (i32.const 24)) (i32.const 1140) (i32.const 4)))))
        (return (i32.const 0))))
    (if (call $starts (local.get $path) (local.get $len) (i32.const 1072) (i32.const 6))
      (then
        (drop (call $fd_write (i32.const 2) (i32.const 1184) (i32.const 1) (i32.const 28)))
        (drop (call $fd_write (i32.const 2) (i32.const 1192) (i32.const 1) (i32.const 28)))
        (drop (call $fd_write (i32.const 2) (i32.const 1200) (i32.const 1) (i32.const 28)))
        (i32.store (i32.const 232) (call $poll_oneoff (i32.const 1440) (i32.const 1500) (i32.const 1) (i32.const 236)))
        unreachable))
    (if (call $starts (local.get $path) (local.get $len) (i32.const 1080) (i32.const 10))
      (then
        (if (i32.eqz (call $get_header (i32.const 0) (i32.const 1216) (i32.const 10) (i32.const 16) (i32.const 20)))
          (then (drop (call $add_header (i32.const 0) (i32.const 1256) (i32.const 16)
            (i32.load (i32.const 16)) (i32.load (i32.const 20))))))
        (if (i32.eqz (call $get_header (i32.const 0) (i32.const 1232) (i32.const 4) (i32.const 16) (i32.const 20)))
          (then (drop (call $add_header (i32.const 0) (i32.const 1280) (i32.const 11)
            (i32.load (i32.const 16)) (i32.load (i32.const 20))))))
        (if (i32.eqz (call $get_property (i32.const 1240) (i32.const 12) (i32.const 16) (i32.const 20)))
          (then (drop (call $add_header (i32.const 0) (i32.const 1296) (i32.const 19)
            (i32.load (i32.const 16)) (i32.load (i32.const 20))))))
        (return (i32.const 0))))
    (if (call $starts (local.get $path) (local.get $len) (i32.const 1096) (i32.const 6))
      (then
        (if (i32.eqz (call $get_shared (i32.const 1320) (i32.const 5) (i32.const 16) (i32.const 20) (i32.const 32)))
          (then (drop (call $add_header (i32.const 0) (i32.const 1328) (i32.const 7)
            (i32.load (i32.const 16)) (i32.load (i32.const 20))))))
        (return (i32.const 0))))
    (if (call $starts (local.get $path) (local.get $len) (i32.const 1104) (i32.const 6))
      (then
        (loop $retry
          (local.set $n (i32.const 0))
          (i32.store (i32.const 32) (i32.const 0))
          (if (i32.eqz (call $get_shared (i32.const 1336) (i32.const 1) (i32.const 16) (i32.const 20) (i32.const 32)))
            (then (local.set $n (i32.load (i32.load (i32.const 16))))))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (i32.store (i32.const 40) (local.get $n))
          (br_if $retry (call $set_shared (i32.const 1336) (i32.const 1) (i32.const 40) (i32.const 4)
            (i32.load (i32.const 32)))))
        (drop (call $add_header (i32.const 0) (i32.const 1340) (i32.const 7)
          (i32.const 1600) (call $itoa (local.get $n))))
        (return (i32.const 0))))
    (i32.const 0))

  (func (export "proxy_on_http_call_response")
    (param $context i32) (param $token i32) (param $headers i32) (param $body i32) (param $trailers i32)
    (i32.store (i32.const 200) (local.get $context))
    (if (call $set_effective_context
          (i32.load (i32.add (i32.const 2048) (i32.shl (i32.and (local.get $token) (i32.const 63)) (i32.const 2)))))
      (then (return)))
    (if (i32.eqz (call $get_buffer (i32.const 4) (i32.const 0) (local.get $body) (i32.const 16) (i32.const 20)))
      (then (drop (call $add_header (i32.const 0) (i32.const 1120) (i32.const 6)
        (i32.load (i32.const 16)) (i32.load (i32.const 20))))))
    (drop (call $continue_stream (i32.const 0))))

  (func (export "proxy_on_tick") (param $root i32)
    (i32.store (i32.const 220) (i32.add (i32.load (i32.const 220)) (i32.const 1)))
    (if (i32.eqz (global.get $waiting)) (then (return)))
    (if (i32.eqz (call $set_effective_context (global.get $waiting)))
      (then
        (if (i32.eq (global.get $mode) (i32.const 1))
          (then (drop (call $continue_stream (i32.const 0))))
          (else (drop (call $local_response (i32.const 403) (i32.const 1148) (i32.const 6)
            (i32.const 1148) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const -1)))))))
    (global.set $waiting (i32.const 0))
    (drop (call $set_tick (i32.const 0))))

  (func (export "proxy_on_done") (param $context i32) (result i32) (i32.const 1))
  (func (export "proxy_on_log") (param $context i32))
  (func (export "proxy_on_delete") (param $context i32)))
