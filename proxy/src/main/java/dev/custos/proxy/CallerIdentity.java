package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.util.AttributeKey;

/**
 * Tells who a request comes from, for per-identity budgets and for the identity hash in findings
 * events. The authentication layer ({@link AuthenticationService}) sets {@link #ATTRIBUTE} on the
 * request context to the verified identity; without it the client IP is used. Implementations are thread-safe and must
 * not block.
 */
@FunctionalInterface
public interface CallerIdentity {
  /** The request attribute an earlier layer sets to the caller's resolved identity. */
  AttributeKey<String> ATTRIBUTE = AttributeKey.valueOf(CallerIdentity.class, "IDENTITY");

  /**
   * Returns the identity from {@link #ATTRIBUTE} when an earlier layer set it, else the client IP
   * address as Armeria resolved it.
   */
  static CallerIdentity ofDefault() {
    return ctx -> {
      String fromAttribute = ctx.attr(ATTRIBUTE);
      return fromAttribute != null ? fromAttribute : ctx.clientAddress().getHostAddress();
    };
  }

  /** Returns a resolver that reads the identity from {@code key}, else the client IP address. */
  static CallerIdentity attribute(AttributeKey<String> key) {
    requireNonNull(key, "key");
    return ctx -> {
      String fromAttribute = ctx.attr(key);
      return fromAttribute != null ? fromAttribute : ctx.clientAddress().getHostAddress();
    };
  }

  /** Returns the caller's identity for this request; never {@code null}. */
  String identify(ServiceRequestContext ctx);
}
