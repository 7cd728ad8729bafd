package dev.custos.proxy.internal;

import com.google.re2j.Pattern;
import com.linecorp.armeria.common.HttpMethod;
import dev.custos.proxy.ProxyConfig;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A route with its match compiled. Path globs become RE2/J patterns (linear time). Immutable and
 * thread-safe.
 */
public final class CompiledRoute {
  private final ProxyConfig.Route route;
  private final @Nullable Pattern glob;

  /** Compiles the match of {@code route}. */
  public CompiledRoute(ProxyConfig.Route route) {
    this.route = route;
    String path = route.match().path();
    this.glob = path == null ? null : Pattern.compile(globToRegex(path));
  }

  /** Returns the route. */
  public ProxyConfig.Route route() {
    return route;
  }

  /**
   * Returns whether a request fits every condition of the route's match.
   *
   * @param host the request's host as {@link #host} returns it
   */
  public boolean matches(HttpMethod method, @Nullable String host, String path) {
    ProxyConfig.Match m = route.match();
    if (!m.methods().isEmpty() && !m.methods().contains(method.name())) {
      return false;
    }
    if (m.prefix() != null && !path.startsWith(m.prefix())) {
      return false;
    }
    if (glob != null && !glob.matches(path)) {
      return false;
    }
    return m.host() == null || hostMatches(m.host(), host);
  }

  private static boolean hostMatches(String pattern, @Nullable String host) {
    if (host == null) {
      return false;
    }
    if (pattern.startsWith("*.")) {
      return host.endsWith(pattern.substring(1)) && host.length() > pattern.length() - 1;
    }
    return host.equals(pattern);
  }

  /** Returns the host of an authority, lower-cased, without port or IPv6 brackets. */
  public static @Nullable String host(@Nullable String authority) {
    if (authority == null || authority.isEmpty()) {
      return null;
    }
    String a = authority.toLowerCase(Locale.ROOT);
    int at = a.lastIndexOf('@');
    if (at >= 0) {
      a = a.substring(at + 1);
    }
    if (a.startsWith("[")) {
      int close = a.indexOf(']');
      return close < 0 ? a : a.substring(1, close);
    }
    int colon = a.indexOf(':');
    return colon < 0 ? a : a.substring(0, colon);
  }

  /** Turns a glob into a regex: {@code **} any characters, {@code *} any but '/'. */
  public static String globToRegex(String glob) {
    StringBuilder sb = new StringBuilder();
    int literalStart = 0;
    for (int i = 0; i < glob.length(); i++) {
      if (glob.charAt(i) != '*') {
        continue;
      }
      if (i > literalStart) {
        sb.append(Pattern.quote(glob.substring(literalStart, i)));
      }
      if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
        sb.append(".*");
        i++;
      } else {
        sb.append("[^/]*");
      }
      literalStart = i + 1;
    }
    if (literalStart < glob.length()) {
      sb.append(Pattern.quote(glob.substring(literalStart)));
    }
    return sb.toString();
  }
}
