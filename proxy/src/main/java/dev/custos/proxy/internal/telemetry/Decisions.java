package dev.custos.proxy.internal.telemetry;

import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.proxy.AuthnConfig;
import io.netty.util.AttributeKey;
import java.util.Collection;
import java.util.stream.Collectors;

/**
 * The request context attributes on which the security layers record what they decided, for the
 * access log: method names, reasons, rule indexes and limit names only, never a credential, a
 * claim or a header value.
 */
public final class Decisions {
  /** Authentication: the methods that passed, comma-separated, or {@code refused:<reason>}. */
  public static final AttributeKey<String> AUTHN = AttributeKey.valueOf(Decisions.class, "AUTHN");
  /** Authorization: {@code allow:<rule>} or {@code deny:<rule>}, the rule an index or default. */
  public static final AttributeKey<String> AUTHZ = AttributeKey.valueOf(Decisions.class, "AUTHZ");
  /** The name of the limit that refused the request. */
  public static final AttributeKey<String> LIMIT = AttributeKey.valueOf(Decisions.class, "LIMIT");

  private Decisions() {}

  /** Records that authentication passed with {@code methods}. */
  public static void authnPassed(ServiceRequestContext ctx,
      Collection<AuthnConfig.Method> methods) {
    ctx.setAttr(AUTHN,
        methods.stream().map(AuthnConfig.Method::id).collect(Collectors.joining(",")));
  }

  /** Records that authentication refused the request for {@code reason}. */
  public static void authnRefused(ServiceRequestContext ctx, String reason) {
    ctx.setAttr(AUTHN, "refused:" + reason);
  }

  /** Records an authorization decision; {@code rule} is an index or {@code default}. */
  public static void authz(ServiceRequestContext ctx, boolean allowed, String rule) {
    ctx.setAttr(AUTHZ, (allowed ? "allow:" : "deny:") + rule);
  }

  /** Records the name of the limit that refused the request. */
  public static void limit(ServiceRequestContext ctx, String name) {
    ctx.setAttr(LIMIT, name);
  }
}
