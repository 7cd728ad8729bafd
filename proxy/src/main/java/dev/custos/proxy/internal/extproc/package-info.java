/**
 * Envoy's External Processing API ({@code envoy.service.ext_proc.v3.ExternalProcessor}) served
 * with the proxy's inspection layer. Anything in this package can be changed or removed at any
 * time.
 */
@NullMarked
package dev.custos.proxy.internal.extproc;

import org.jspecify.annotations.NullMarked;
