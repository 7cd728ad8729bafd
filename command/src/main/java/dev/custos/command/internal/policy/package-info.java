/**
 * Policy distribution: versioned policies with authors and diffs, rollouts (shadow, enforcing,
 * promoted, aborted), the API that manages them and the endpoint proxies pull their policy from.
 * Internal to the command plane; anything here may change at any time.
 */
@NullMarked
package dev.custos.command.internal.policy;

import org.jspecify.annotations.NullMarked;
