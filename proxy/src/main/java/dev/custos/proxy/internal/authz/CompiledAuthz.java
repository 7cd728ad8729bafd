package dev.custos.proxy.internal.authz;

import com.google.re2j.Pattern;
import com.linecorp.armeria.common.util.InetAddressPredicates;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.CompiledRoute;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A route's authorization rules, compiled: path globs as RE2/J patterns, CIDRs as predicates,
 * conditions as CEL programs. Deny rules come first. Immutable and thread-safe; a decision takes
 * time linear in the rules and the request's path, plus the bounded cost of CEL conditions.
 */
public final class CompiledAuthz {
  /** What was decided, and by which rule. */
  public record Decision(boolean allowed, int rule) {
    /** The rule index in the route's list, or -1 for the default (deny). */
    String ruleName() {
      return rule < 0 ? "default" : String.valueOf(rule);
    }
  }

  /** What a rule may look at. */
  public interface Request {
    String method();

    String path();

    @Nullable InetAddress sourceIp();

    /** Returns the verified principal's name, or null when unauthenticated. */
    @Nullable String principal();

    /** Returns the verified JWT's claims (empty without one). */
    Map<String, Object> claims();

    /** Returns the CEL variables, built on first call. */
    Map<String, Object> celVariables();
  }

  private final List<Rule> rules;

  /**
   * Compiles a route's rules.
   *
   * @throws IllegalArgumentException if a CIDR or condition is not valid
   */
  public CompiledAuthz(ProxyConfig.Authz authz) {
    List<Rule> deny = new ArrayList<>();
    List<Rule> allow = new ArrayList<>();
    List<ProxyConfig.AuthzRule> list = authz.rules();
    for (int i = 0; i < list.size(); i++) {
      Rule r = new Rule(i, list.get(i));
      (r.source.allow() ? allow : deny).add(r);
    }
    deny.addAll(allow);
    this.rules = List.copyOf(deny);
  }

  /** Decides a request: the first matching deny rule, else the first matching allow rule. */
  public Decision decide(Request request) {
    for (Rule r : rules) {
      if (r.matches(request)) {
        return new Decision(r.source.allow(), r.index);
      }
    }
    return new Decision(false, -1);
  }

  /** Returns whether a principal name fits a pattern ({@code *} prefix or suffix wildcard). */
  static boolean principalMatches(String pattern, String name) {
    if (pattern.equals("*")) {
      return true;
    }
    if (pattern.length() > 1 && pattern.endsWith("*")) {
      return name.startsWith(pattern.substring(0, pattern.length() - 1));
    }
    if (pattern.length() > 1 && pattern.startsWith("*")) {
      return name.endsWith(pattern.substring(1));
    }
    return name.equals(pattern);
  }

  /** Returns whether a claim value (a scalar or a list of them) has an accepted value. */
  static boolean claimMatches(@Nullable Object value, Set<String> accepted) {
    if (value instanceof Iterable<?> list) {
      for (Object v : list) {
        if (v != null && !(v instanceof Iterable<?>) && !(v instanceof Map<?, ?>)
            && accepted.contains(String.valueOf(v))) {
          return true;
        }
      }
      return false;
    }
    return value != null && !(value instanceof Map<?, ?>)
        && accepted.contains(String.valueOf(value));
  }

  /** Returns a predicate for a CIDR or a single address. */
  public static Predicate<InetAddress> cidr(String cidr) {
    return InetAddressPredicates.ofCidr(
        cidr.contains("/") ? cidr : cidr + (cidr.contains(":") ? "/128" : "/32"));
  }

  private static final class Rule {
    final int index;
    final ProxyConfig.AuthzRule source;
    final List<Predicate<InetAddress>> cidrs;
    final List<Pattern> paths;
    final AuthzCel.@Nullable Condition when;

    Rule(int index, ProxyConfig.AuthzRule source) {
      this.index = index;
      this.source = source;
      List<Predicate<InetAddress>> c = new ArrayList<>();
      for (String s : source.sourceIps()) {
        c.add(cidr(s));
      }
      this.cidrs = List.copyOf(c);
      List<Pattern> p = new ArrayList<>();
      for (String glob : source.paths()) {
        p.add(Pattern.compile(CompiledRoute.globToRegex(glob)));
      }
      this.paths = List.copyOf(p);
      this.when = source.when() == null ? null : AuthzCel.compile(source.when());
    }

    boolean matches(Request r) {
      if (!source.methods().isEmpty() && !source.methods().contains(r.method())) {
        return false;
      }
      if (!paths.isEmpty() && !any(paths, p -> p.matches(r.path()))) {
        return false;
      }
      if (!source.principals().isEmpty()) {
        String name = r.principal();
        if (name == null || !any(source.principals(), p -> principalMatches(p, name))) {
          return false;
        }
      }
      for (Map.Entry<String, Set<String>> e : source.claims().entrySet()) {
        if (!claimMatches(r.claims().get(e.getKey()), e.getValue())) {
          return false;
        }
      }
      if (!cidrs.isEmpty()) {
        InetAddress ip = r.sourceIp();
        if (ip == null || !any(cidrs, p -> p.test(ip))) {
          return false;
        }
      }
      if (when != null) {
        try {
          return when.test(r.celVariables());
        } catch (Exception e) {
          // Fail closed: a broken condition never allows, and always denies.
          return !source.allow();
        }
      }
      return true;
    }

    private static <T> boolean any(Iterable<T> items, Predicate<T> test) {
      for (T t : items) {
        if (test.test(t)) {
          return true;
        }
      }
      return false;
    }
  }

}
