package dev.custos.wasm.proxywasm;

/** Names one direction of an HTTP exchange (the ABI's stream types Request = 0, Response = 1). */
public enum Direction {
  /** Downstream client to upstream. */
  REQUEST,
  /** Upstream back to the client. */
  RESPONSE
}
