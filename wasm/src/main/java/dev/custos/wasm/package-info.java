/**
 * The WebAssembly sandbox, on Chicory (pure Java): modules loaded from pinned files, compiled once,
 * run in pooled instances under memory and time limits, with failures contained to the call that
 * failed. WebAssembly detectors and the proxy-wasm host build on it.
 *
 * <p>Load a {@link dev.custos.wasm.WasmModule} once, build a {@link dev.custos.wasm.Sandbox} from
 * it with {@link dev.custos.wasm.SandboxLimits} and {@link dev.custos.wasm.HostGrants} (nothing is
 * granted by default: no WASI, files, sockets, environment, clock or random), share the sandbox
 * between threads, and call it; or let {@link dev.custos.wasm.Sandbox#watching} reload the module
 * when its file changes. Failed calls throw {@link dev.custos.wasm.WasmCallException}; the caller
 * applies {@link dev.custos.wasm.Sandbox#failureMode()}.
 */
@NullMarked
package dev.custos.wasm;

import org.jspecify.annotations.NullMarked;
