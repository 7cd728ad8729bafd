/**
 * proxy-wasm HTTP filters in a route's filter chain: running filters per route ({@link
 * dev.custos.proxy.internal.wasm.WasmFilters}), one sandboxed VM per event loop with restart
 * backoff ({@link dev.custos.proxy.internal.wasm.WasmFilterRuntime}), and the exchange that
 * pumps headers, bodies and trailers through a filter ({@link
 * dev.custos.proxy.internal.wasm.FilterExchange}). Anything in this package can change at any
 * time.
 */
@NullMarked
package dev.custos.proxy.internal.wasm;

import org.jspecify.annotations.NullMarked;
