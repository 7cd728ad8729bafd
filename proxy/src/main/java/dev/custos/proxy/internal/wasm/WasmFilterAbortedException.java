package dev.custos.proxy.internal.wasm;

/**
 * Aborts a response that had already started when a proxy-wasm filter failed closed, answered
 * locally or closed the stream: a reset stream on HTTP/2, a closed connection on HTTP/1.1.
 */
final class WasmFilterAbortedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  WasmFilterAbortedException(String filter) {
    super("wasm filter " + filter + " aborted the response", null, false, false);
  }
}
