/**
 * The proxy's side of policy distribution: pulling its policy from the command plane (long poll,
 * ETag), validating it locally, and keeping the last good one on disk. Internal; anything here may
 * change at any time.
 */
@NullMarked
package dev.custos.proxy.internal.policy;

import org.jspecify.annotations.NullMarked;
