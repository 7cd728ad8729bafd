package dev.custos.wasm.proxywasm;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Answers what a filter asks of the proxy outside any HTTP exchange: properties and outgoing
 * HTTP calls. The root context of a {@link ProxyWasmVm} uses one; {@link StreamHost} extends it
 * per exchange.
 *
 * <p>Called only on the thread that drives the VM.
 */
public interface ProxyWasmHost {
  /** Returns a host that knows no properties and refuses every HTTP call. */
  static ProxyWasmHost none() {
    return new ProxyWasmHost() {};
  }

  /**
   * Returns the value of a property, or {@code null} if unknown. Values are serialized as Envoy
   * does: {@code byte[]} as is, {@link String} as UTF-8, {@link Long}/{@link Integer} as 8-byte
   * little-endian, {@link Boolean} as one byte, {@link Duration} as 8-byte nanoseconds, a {@code
   * List<Map.Entry<String, String>>} as a header map.
   *
   * @param path the segments, e.g. {@code ["source", "address"]} or {@code ["connection",
   *     "mtls"]}
   */
  default @Nullable Object property(List<String> path) {
    return null;
  }

  /**
   * Starts an HTTP call to a cluster named in the configuration, and returns whether it was
   * started. The response must later be delivered on the VM's thread with {@link
   * ProxyWasmVm#onHttpCallResponse}, also when the stream that made the call has ended (the call
   * belongs to the root context, as in Envoy); a failed or timed-out call is delivered with no
   * headers.
   *
   * @param token identifies the call; the filter gets it back with the response
   * @return {@code false} if the cluster is unknown (the filter gets {@code BadArgument})
   */
  default boolean httpCall(
      int token,
      String cluster,
      List<Map.Entry<String, String>> headers,
      byte[] body,
      List<Map.Entry<String, String>> trailers,
      Duration timeout) {
    return false;
  }

  /**
   * Tells the proxy that the shared queue {@code token}, which this VM registered, got an item.
   * Called on the enqueuing thread, which may be any thread: the proxy must call {@link
   * ProxyWasmVm#onQueueReady} later on the VM's own thread. Default: the VM is never told.
   */
  default void queueReady(int token) {}
}
