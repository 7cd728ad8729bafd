/**
 * The sandbox's implementation. Anything in this package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.wasm.internal;

import org.jspecify.annotations.NullMarked;
