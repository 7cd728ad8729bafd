/**
 * {@code custos ext-proc}: Custos's inspection beside Envoy or Istio, as an External Processing
 * server ({@code envoy.service.ext_proc.v3.ExternalProcessor}). Build an {@link
 * dev.custos.proxy.extproc.ExtProcServer} from the same {@link dev.custos.proxy.ProxyConfig} as
 * the proxy, then {@code start()} it and point Envoy's {@code ext_proc} HTTP filter at its port.
 */
@NullMarked
package dev.custos.proxy.extproc;

import org.jspecify.annotations.NullMarked;
