package dev.custos.wasm.proxywasm;

/**
 * Tells the proxy what to do after a filter callback.
 *
 * <p>The ABI status a filter returns is mapped as follows:
 *
 * <ul>
 *   <li>headers: {@code Continue} (0) and {@code ContinueAndEndStream} (2) are {@link #CONTINUE};
 *       {@code StopIteration} (1), {@code StopAllIterationAndBuffer} (3) and {@code
 *       StopAllIterationAndWatermark} (4) are {@link #PAUSE};
 *   <li>bodies: {@code Continue} (0) is {@link #CONTINUE}; {@code StopIterationAndBuffer} (1),
 *       {@code StopIterationAndWatermark} (2) and {@code StopIterationNoBuffer} (3) are {@link
 *       #PAUSE}, and the chunk stays in the stream's body buffer (stop-and-buffer, see {@link
 *       ProxyWasmStream#onRequestBody});
 *   <li>trailers: {@code Continue} (0) is {@link #CONTINUE}, anything else {@link #PAUSE}.
 * </ul>
 *
 * <p>A stream that sent a local response during the callback always gets {@link #PAUSE}.
 */
public enum Action {
  /** Forwards what the filter let through (headers now, or {@link ProxyWasmStream#takeBody}). */
  CONTINUE,
  /** Holds the stream until the filter calls {@code proxy_continue_stream} or answers locally. */
  PAUSE
}
