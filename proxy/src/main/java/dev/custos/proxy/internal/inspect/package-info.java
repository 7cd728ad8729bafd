/**
 * The inspection layer: scans request and response bodies, headers and query parameters as they
 * stream, and observes, redacts, blocks or alerts as the policy's rules say. Anything in this
 * package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.proxy.internal.inspect;

import org.jspecify.annotations.NullMarked;
