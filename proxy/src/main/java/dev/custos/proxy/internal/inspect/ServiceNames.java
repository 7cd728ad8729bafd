package dev.custos.proxy.internal.inspect;

import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.Principal;
import org.jspecify.annotations.Nullable;

/**
 * Names the caller's service for findings events, from what the authentication layer verified
 * only: a client certificate's SPIFFE id ({@code spiffe://trust-domain/ns/<ns>/sa/<sa>} gives
 * {@code <ns>/<sa>}; another SPIFFE path gives the path without its leading {@code /}), or the
 * name an API key is configured with. Anything else (a JWT's claim, a header, the client's
 * address, a certificate's other URI) names no service. A name is kept only when {@link
 * FindingsEvent#isSafeService} accepts its shape, so a service never carries a protected value.
 * Thread-safe (stateless).
 */
final class ServiceNames {
  private static final String SPIFFE = "spiffe://";

  private ServiceNames() {}

  /** Returns the service of a verified caller, or empty when there is none or it is unsafe. */
  static String of(@Nullable Principal principal) {
    if (principal == null || !principal.identity().verified()) {
      return "";
    }
    String name = switch (principal.identity().kind()) {
      case MTLS -> spiffe(principal.name());
      case API_KEY -> principal.name();
      default -> "";
    };
    return name.isEmpty() || !FindingsEvent.isSafeService(name) ? "" : name;
  }

  /** Returns the workload a SPIFFE id names, or empty for another URI. */
  static String spiffe(String uri) {
    if (!uri.regionMatches(true, 0, SPIFFE, 0, SPIFFE.length())) {
      return "";
    }
    int slash = uri.indexOf('/', SPIFFE.length());
    if (slash < 0 || slash == uri.length() - 1 || uri.indexOf('?') >= 0
        || uri.indexOf('#') >= 0) {
      return "";
    }
    String path = uri.substring(slash + 1);
    String[] parts = path.split("/", -1);
    if (parts.length == 4 && parts[0].equals("ns") && parts[2].equals("sa")) {
      return parts[1] + "/" + parts[3];
    }
    return path;
  }
}
