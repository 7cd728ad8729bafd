/**
 * The Custos proxy: a streaming reverse proxy on Armeria that routes requests to upstream
 * clusters, with an admin server and hot reload of its configuration and policy.
 *
 * <p>Read a {@link dev.custos.proxy.ProxyConfig} from {@code custos.yaml}, build a {@link
 * dev.custos.proxy.CustosProxy} from it (adding decorators per {@link
 * dev.custos.proxy.FilterStage}), then {@code start()} it. Decorators find the route and the
 * configuration a request runs under with {@link dev.custos.proxy.ProxyRequest}.
 */
@NullMarked
package dev.custos.proxy;

import org.jspecify.annotations.NullMarked;
