/**
 * proxy-wasm HTTP filters in a route's filter chain, and proxy-wasm services (singletons): the
 * running filters per route and the services, with their shared data and queues ({@link
 * dev.custos.proxy.internal.wasm.WasmFilters}), one sandboxed VM per event loop, started at load,
 * with restart backoff ({@link dev.custos.proxy.internal.wasm.WasmFilterRuntime}), and the
 * exchange that pumps headers, bodies and trailers through a filter ({@link
 * dev.custos.proxy.internal.wasm.FilterExchange}). Anything in this package can change at any
 * time.
 */
@NullMarked
package dev.custos.proxy.internal.wasm;

import org.jspecify.annotations.NullMarked;
