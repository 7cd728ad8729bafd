package dev.custos.command.internal.api;

import com.linecorp.armeria.server.ServiceRequestContext;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Checks an API request's query parameters: each is given at most once, known to the route, and
 * well formed; every problem is a {@link BadParameter} whose message names the parameter and what
 * was expected, never echoing its value. Not thread-safe: one per request.
 */
final class Params {
  static final Pattern CATEGORY = Pattern.compile("[a-z0-9_.-]{1,64}");
  static final Pattern PROXY_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  static final Pattern IDENTITY = Pattern.compile("[A-Za-z0-9:_.-]{1,128}");
  private static final int MAX_NAME = 256;
  private static final Instant EARLIEST = Instant.parse("0000-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

  private final ServiceRequestContext ctx;

  /** A query parameter that is malformed, unknown, repeated or out of range. */
  static final class BadParameter extends Exception {
    private static final long serialVersionUID = 1L;

    BadParameter(String message) {
      super(message, null, false, false);
    }
  }

  private Params(ServiceRequestContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Returns the parameters of a request, refusing any not in {@code known} and any given twice.
   */
  static Params of(ServiceRequestContext ctx, Set<String> known) throws BadParameter {
    for (String name : ctx.queryParams().names()) {
      if (!known.contains(name)) {
        throw new BadParameter("unknown parameter " + shown(name) + " (expected: some of "
            + String.join(", ", new TreeSet<>(known)) + ")");
      }
      if (ctx.queryParams().getAll(name).size() > 1) {
        throw new BadParameter(name + ": given more than once (expected: once)");
      }
    }
    return new Params(ctx);
  }

  /** Returns the raw value, or null when absent. */
  @Nullable String raw(String name) {
    return ctx.queryParam(name);
  }

  /** Returns an instant, or {@code dflt} when absent. */
  Instant instant(String name, Instant dflt) throws BadParameter {
    String v = raw(name);
    if (v == null) {
      return dflt;
    }
    Instant t;
    try {
      t = Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw new BadParameter(name + ": not an instant (expected: ISO-8601 such as"
          + " 2026-12-07T13:00:00Z)");
    }
    // Instant.parse takes years up to a billion; epoch milliseconds overflow long well before.
    if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
      throw new BadParameter(name + ": out of range (expected: an instant from year 0000 to"
          + " 9999)");
    }
    return t;
  }

  /** Returns an integer in {@code [min, max]}, or {@code dflt} when absent. */
  int integer(String name, int dflt, int min, int max) throws BadParameter {
    String v = raw(name);
    if (v == null) {
      return dflt;
    }
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      n = min - 1;
    }
    if (n < min || n > max) {
      throw new BadParameter(name + ": out of range (expected: an integer from " + min + " to "
          + max + ")");
    }
    return n;
  }

  /** Returns a value matching {@code pattern}, or null when absent. */
  @Nullable String matching(String name, Pattern pattern, String what) throws BadParameter {
    String v = raw(name);
    if (v != null && !pattern.matcher(v).matches()) {
      throw new BadParameter(name + ": malformed (expected: " + what + " matching "
          + pattern.pattern() + ")");
    }
    return v;
  }

  /** Returns a name (1 to 256 characters, no control characters), or null when absent. */
  @Nullable String name(String name) throws BadParameter {
    String v = raw(name);
    if (v != null && (v.isEmpty() || v.length() > MAX_NAME
        || v.chars().anyMatch(Character::isISOControl))) {
      throw new BadParameter(name + ": malformed (expected: 1 to " + MAX_NAME
          + " characters without control characters)");
    }
    return v;
  }

  /** Returns one of {@code values}, or {@code dflt} when absent. */
  @Nullable String oneOf(String name, List<String> values, @Nullable String dflt)
      throws BadParameter {
    String v = raw(name);
    if (v == null) {
      return dflt;
    }
    if (!values.contains(v)) {
      throw new BadParameter(name + ": not a known value (expected: one of "
          + String.join(", ", values) + ")");
    }
    return v;
  }

  /** Returns a boolean, or null when absent. */
  @Nullable Boolean bool(String name) throws BadParameter {
    String v = oneOf(name, List.of("true", "false"), null);
    return v == null ? null : Boolean.valueOf(v);
  }

  /**
   * Returns the range {@code [from, to)} given by {@code from} and {@code to}: by default the
   * {@code dflt} before now (or before {@code to}), at most {@code max} long.
   */
  Instant[] range(Instant now, Duration dflt, Duration max) throws BadParameter {
    Instant to = instant("to", now);
    Instant from = instant("from", to.minus(dflt));
    if (!from.isBefore(to)) {
      throw new BadParameter("from, to: from is not before to (expected: from < to)");
    }
    if (Duration.between(from, to).compareTo(max) > 0) {
      throw new BadParameter("from, to: a range longer than " + human(max) + " (expected: at"
          + " most " + human(max) + ")");
    }
    return new Instant[] {from, to};
  }

  static String human(Duration d) {
    return d.toHours() % 24 == 0 && d.toHours() > 48 ? d.toDays() + " days"
        : d.toHours() + " hours";
  }

  /** Returns a parameter's name for an error message: a plain short name quoted, else none. */
  private static String shown(String name) {
    return name.matches("[a-z_]{1,32}") ? "'" + name + "'" : "(a name of " + name.length()
        + " characters)";
  }
}
