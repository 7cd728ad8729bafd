/**
 * Implements the proxy-wasm host: ABI constants, host functions, guest memory access.
 *
 * <p>Anything in this package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.wasm.internal.proxywasm;

import org.jspecify.annotations.NullMarked;
