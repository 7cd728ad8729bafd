package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import dev.custos.proxy.internal.authz.Authorization;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Function;

/**
 * Authorizes requests on routes with an {@code authz} block (NIST SP 800-204B, MS-SS-2): deny
 * rules first, then allow rules, else deny; a refusal is {@code 403} with {@code
 * {"error":"forbidden","status":403}}. Rules see the {@link Principal} the authentication layer
 * proved, the client address, the method and path, and may add a CEL condition. The proxy puts
 * one at {@link FilterStage#AUTHZ} by itself; routes without an {@code authz} block pass
 * untouched, and a reload swaps the rules for the requests that follow it.
 *
 * <p>Decisions are counted as {@code custos_authz_decisions_total{route,decision}} and logged
 * (rate-limited) with the rule that decided and the configuration's {@link ProxyConfig#version()}.
 * Thread-safe; runs on the event loop.
 */
public final class AuthorizationService extends SimpleDecoratingHttpService {
  private final Authorization authorization;

  private AuthorizationService(HttpService delegate, Authorization authorization) {
    super(delegate);
    this.authorization = authorization;
  }

  /**
   * Returns a decorator for a proxy's chain (it reads the route and configuration the proxy
   * chose), counting into {@code registry}.
   */
  public static Function<? super HttpService, AuthorizationService> newDecorator(
      MeterRegistry registry) {
    return newDecorator(new Authorization(requireNonNull(registry, "registry")));
  }

  static Function<? super HttpService, AuthorizationService> newDecorator(
      Authorization authorization) {
    return delegate -> new AuthorizationService(delegate, authorization);
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
    return authorization.serve((HttpService) unwrap(), ctx, req);
  }
}
