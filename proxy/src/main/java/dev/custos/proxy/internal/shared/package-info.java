/**
 * The proxy's counting state (budgets, rate-limit buckets, replay nonces), shared by replicas in
 * Redis when configured, with in-memory stores as the fallback. Anything in this package can be
 * changed or removed at any time.
 */
@NullMarked
package dev.custos.proxy.internal.shared;

import org.jspecify.annotations.NullMarked;
