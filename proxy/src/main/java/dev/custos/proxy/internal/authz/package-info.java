/**
 * The authorization layer: compiled per-route rules (principals, claims, source IPs, methods,
 * paths, CEL conditions) and the decorator logic that applies them. Anything in this package can
 * be changed or removed at any time.
 */
@NullMarked
package dev.custos.proxy.internal.authz;

import org.jspecify.annotations.NullMarked;
