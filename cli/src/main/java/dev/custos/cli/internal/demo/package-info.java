/**
 * {@code custos demo}: a synthetic upstream, the Custos proxy in front of it under a demo policy,
 * a scripted client and the report it prints.
 *
 * <p>This lives in the CLI rather than in {@code proxy} because it is a feature of the command
 * only: it uses nothing but the proxy's public API ({@code ProxyConfig.parse}, {@code
 * CustosProxy.builder}, {@code FindingsSink}), exactly as an embedding application would, and it
 * holds no detection or inspection logic. Putting it in {@code proxy} would either widen that
 * module's public API with demo-only types or make the CLI reach into proxy internals. The
 * {@code DemoCommand} itself only parses options and maps outcomes to exit codes.
 *
 * <p>Anything in this package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.cli.internal.demo;

import org.jspecify.annotations.NullMarked;
