/**
 * Telemetry outputs of the proxy: the access log and the findings file, written as JSON lines from
 * background threads. Anything in this package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.proxy.internal.telemetry;

import org.jspecify.annotations.NullMarked;
