/**
 * Runs unmodified proxy-wasm HTTP filters (ABI 0.2.0 and 0.2.1) on a Chicory instance.
 *
 * <p>A {@link dev.custos.wasm.proxywasm.ProxyWasmPlugin} is the immutable, shared description
 * of one filter; it creates one {@link dev.custos.wasm.proxywasm.ProxyWasmVm} per Chicory
 * instance (one per event-loop thread), and each VM runs one
 * {@link dev.custos.wasm.proxywasm.ProxyWasmStream} per HTTP exchange against a
 * {@link dev.custos.wasm.proxywasm.StreamHost} the proxy implements. See {@code
 * docs/proxy-wasm.md}.
 */
@NullMarked
package dev.custos.wasm.proxywasm;

import org.jspecify.annotations.NullMarked;
