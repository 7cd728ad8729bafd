/**
 * The proxy's side of policy and configuration distribution: pulling its policy and its
 * configuration from the command plane (long poll, ETag), validating them locally, and keeping
 * the last good ones on disk. Internal; anything here may
 * change at any time.
 */
@NullMarked
package dev.custos.proxy.internal.policy;

import org.jspecify.annotations.NullMarked;
