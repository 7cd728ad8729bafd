package dev.custos.wasm.proxywasm;

/** Names the header maps of an HTTP exchange that a filter reads and writes (ABI map types 0–3). */
public enum HeaderMapType {
  /** Request headers, pseudo-headers ({@code :method}, {@code :path}, …) included. */
  REQUEST_HEADERS,
  /** Request trailers. */
  REQUEST_TRAILERS,
  /** Response headers, {@code :status} included. */
  RESPONSE_HEADERS,
  /** Response trailers. */
  RESPONSE_TRAILERS
}
