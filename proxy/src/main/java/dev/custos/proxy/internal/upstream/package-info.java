/**
 * Upstream clusters at run time: endpoint discovery (static, DNS), active health checks with
 * thresholds, passive outlier ejection, load-balancing strategies (Armeria's, plus least-loaded),
 * and the per-cluster circuit breaker, retries with a budget and concurrency limit, all built on
 * Armeria's client decorators. Anything in this package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.proxy.internal.upstream;

import org.jspecify.annotations.NullMarked;
