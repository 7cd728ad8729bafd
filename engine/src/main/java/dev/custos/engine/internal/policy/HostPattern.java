package dev.custos.engine.internal.policy;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A host name to match: exact ({@code api.example.com}) or a wildcard suffix ({@code
 * *.example.com}, which matches {@code a.example.com} and {@code a.b.example.com} but not {@code
 * example.com}). Case-insensitive; a trailing dot is ignored. Immutable and thread-safe.
 */
public final class HostPattern {
  /** The longest host name: 253 characters, plus room for the wildcard. */
  private static final int MAX_LENGTH = 255;

  private final String pattern;
  private final String suffix;
  private final boolean wildcard;

  private HostPattern(String pattern) {
    this.pattern = pattern;
    this.wildcard = pattern.startsWith("*.");
    this.suffix = wildcard ? pattern.substring(1) : pattern;
  }

  /**
   * Compiles a host pattern, lower-casing it.
   *
   * @throws IllegalArgumentException worded "host: value (expected: …)" for an empty pattern, a
   *     {@code *} other than a leading {@code *.}, or characters that are not in a host name
   */
  public static HostPattern compile(String host) {
    requireNonNull(host, "host");
    String problem = problem(host);
    if (problem != null) {
      throw new IllegalArgumentException("host: " + host + " (expected: " + problem + ")");
    }
    return new HostPattern(normalize(host));
  }

  /** Returns what is wrong with a host pattern, worded as what was expected, or {@code null}. */
  static @Nullable String problem(String host) {
    String h = host.startsWith("*.") ? host.substring(2) : host;
    if (h.isEmpty() || host.length() > MAX_LENGTH) {
      return "a host name such as api.example.com or *.example.com";
    }
    for (int i = 0; i < h.length(); i++) {
      char c = h.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
      if (!ok) {
        return "a host name such as api.example.com or *.example.com; * only as a leading *.";
      }
    }
    return null;
  }

  /** Returns the pattern, lower-cased. */
  public String pattern() {
    return pattern;
  }

  /** Returns whether a host name (without port) matches. */
  public boolean matches(String host) {
    String h = normalize(host);
    if (!wildcard) {
      return h.equals(suffix);
    }
    return h.length() > suffix.length() && h.endsWith(suffix);
  }

  private static String normalize(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.length() > 1 && h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  @Override
  public String toString() {
    return pattern;
  }
}
