/**
 * The limits layer: token buckets, size limits, replay protection, egress and default deny.
 * Anything in this package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.proxy.internal.limits;

import org.jspecify.annotations.NullMarked;
