/**
 * WebAssembly detectors: the Custos detector ABI v1 on the sandbox. Anything in this package can
 * be changed or removed at any time.
 */
@NullMarked
package dev.custos.wasm.internal.detector;

import org.jspecify.annotations.NullMarked;
