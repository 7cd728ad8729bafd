package dev.custos.wasm.proxywasm;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs one proxy-wasm plugin on one Chicory instance: the root context, ticks, HTTP call
 * responses, and the streams it creates.
 *
 * <p>Not thread-safe: a VM is confined to the one thread that drives it (an event loop), like
 * Envoy's per-worker VMs. Every method, and every {@link ProxyWasmStream} it creates, must be
 * called on that thread. After a {@link ProxyWasmException} of kind {@code TRAP} the VM refuses
 * further calls with kind {@code VM_FAILED}; create a new one.
 */
public interface ProxyWasmVm {
  /** Returns the ABI version the module exports: {@code "0.2.0"} or {@code "0.2.1"}. */
  String abiVersion();

  /** Returns a new stream (HTTP context) for one exchange, after {@code proxy_on_context_create}. */
  ProxyWasmStream newStream(StreamHost host);

  /**
   * Returns the tick period the filter asked for with {@code proxy_set_tick_period_milliseconds},
   * or empty if it asked for none (or 0). The caller schedules {@link #onTick()} at that period.
   */
  Optional<Duration> tickPeriod();

  /** Calls {@code proxy_on_tick} on the root context. */
  void onTick();

  /**
   * Delivers the response of an HTTP call started through {@link ProxyWasmHost#httpCall}: calls
   * {@code proxy_on_http_call_response} with the root context id, as Envoy does (SDKs look the root
   * context up by it, then switch to the calling stream with {@code proxy_set_effective_context}).
   * Pass no headers for a failed call.
   *
   * @throws IllegalArgumentException if the token is not pending
   */
  void onHttpCallResponse(
      int token,
      List<Map.Entry<String, String>> headers,
      byte[] body,
      List<Map.Entry<String, String>> trailers);

  /**
   * Calls {@code proxy_on_queue_ready} on the root context, after {@link ProxyWasmHost#queueReady}
   * said the queue got an item.
   */
  void onQueueReady(int token);
}
