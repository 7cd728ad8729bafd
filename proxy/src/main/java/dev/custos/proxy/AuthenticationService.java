package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import dev.custos.engine.EvidenceKey;
import dev.custos.proxy.internal.authn.Authentication;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.function.Function;

/**
 * Authenticates requests on routes with an {@code authn} requirement (NIST SP 800-204 MS-SS-1)
 * and throttles credential abuse (MS-SS-11). The proxy puts one at {@link FilterStage#AUTHN},
 * outermost, by itself; routes without a requirement pass untouched.
 *
 * <ul>
 *   <li>A missing or refused JWT or API key: {@code 401} with {@code WWW-Authenticate}.
 *   <li>A missing or refused client certificate, an API key used outside its routes, or an API
 *       key alone on a {@code sensitive} route: {@code 403}.
 *   <li>A client IP or claimed identity with too many recent failures: {@code 429} with {@code
 *       Retry-After}, before any credential is checked.
 *   <li>A JWK set that cannot be fetched: {@code 503}.
 * </ul>
 *
 * Bodies are the proxy's JSON errors and never name the reason or echo a credential; the reason
 * goes to {@code custos_authn_failures_total{route,reason}}. On success the verified identity
 * becomes {@link CallerIdentity#ATTRIBUTE}, so budgets and findings use it instead of any
 * unverified one, and {@link #principal} tells later layers who called.
 *
 * <p>Thread-safe. Verification runs on the event loop, except with a {@code jwks_url}, where it
 * runs on the blocking task executor because a key fetch may wait.
 */
public final class AuthenticationService extends SimpleDecoratingHttpService {
  private final Authentication authentication;

  private AuthenticationService(HttpService delegate, Authentication authentication) {
    super(delegate);
    this.authentication = authentication;
  }

  /**
   * Returns a decorator for a proxy's chain (it reads the route and configuration the proxy
   * chose), counting into {@code registry} and hashing identities under {@code identityKey}.
   */
  public static Function<? super HttpService, AuthenticationService> newDecorator(
      MeterRegistry registry, EvidenceKey identityKey) {
    return newDecorator(new Authentication(requireNonNull(registry, "registry"),
        requireNonNull(identityKey, "identityKey")));
  }

  static Function<? super HttpService, AuthenticationService> newDecorator(
      Authentication authentication) {
    return delegate -> new AuthenticationService(delegate, authentication);
  }

  /** Returns who the authentication layer proved the caller of a request to be, if anyone. */
  public static Optional<Principal> principal(ServiceRequestContext ctx) {
    return Optional.ofNullable(Authentication.principal(requireNonNull(ctx, "ctx")));
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
    return authentication.serve((HttpService) unwrap(), ctx, req);
  }
}
