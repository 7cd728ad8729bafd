package dev.custos.wasm.proxywasm;

/**
 * Runs a filter over one HTTP exchange (one proxy-wasm HTTP context).
 *
 * <p>Bodies: the stream keeps one body buffer per direction. Each {@code on*Body} call appends the
 * chunk to that buffer and hands the filter the buffer's size ({@code body_buffer_length}); the
 * filter reads it with {@code proxy_get_buffer_bytes(HttpRequestBody|HttpResponseBody)} and may
 * replace any range with {@code proxy_set_buffer_bytes}. If the filter returns {@link
 * Action#CONTINUE}, the caller forwards {@link #takeBody(Direction)} (which empties the buffer);
 * if it returns {@link Action#PAUSE} (stop-and-buffer) the data stays, and the next chunk is
 * appended and the accumulated body delivered again — Envoy's semantics. Memory is bounded by what
 * the filter chooses to buffer; the caller enforces its own limit on {@link #bufferedBytes}.
 *
 * <p>Not thread-safe: confined to the thread of the {@link ProxyWasmVm} that created it.
 */
public interface ProxyWasmStream extends AutoCloseable {
  /** Returns the HTTP context id the filter sees. */
  int contextId();

  /** Calls {@code proxy_on_request_headers} with the size of {@link HeaderMapType#REQUEST_HEADERS}. */
  Action onRequestHeaders(boolean endOfStream);

  /** Appends the chunk to the request body buffer and calls {@code proxy_on_request_body}. */
  Action onRequestBody(byte[] chunk, boolean endOfStream);

  /** Calls {@code proxy_on_request_trailers} with the size of {@link HeaderMapType#REQUEST_TRAILERS}. */
  Action onRequestTrailers();

  /** Calls {@code proxy_on_response_headers}. */
  Action onResponseHeaders(boolean endOfStream);

  /** Appends the chunk to the response body buffer and calls {@code proxy_on_response_body}. */
  Action onResponseBody(byte[] chunk, boolean endOfStream);

  /** Calls {@code proxy_on_response_trailers}. */
  Action onResponseTrailers();

  /** Returns and clears the body buffered for the direction (what to forward after CONTINUE). */
  byte[] takeBody(Direction direction);

  /** Returns how many bytes the direction's body buffer holds. */
  int bufferedBytes(Direction direction);

  /** Returns whether the filter answered locally ({@code proxy_send_local_response}). */
  boolean localResponseSent();

  /**
   * Ends the exchange: calls {@code proxy_on_done}, {@code proxy_on_log} and {@code
   * proxy_on_delete}, in that order, once. HTTP calls it made belong to the root context: their
   * responses are still delivered, and SDKs find the stream gone.
   */
  @Override
  void close();
}
