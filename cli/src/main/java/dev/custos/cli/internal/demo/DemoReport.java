package dev.custos.cli.internal.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custos.engine.Action;
import dev.custos.engine.Policy;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.Rule;
import dev.custos.proxy.FindingsEvent;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Prints what the demo did, for a terminal: one block per request with aligned columns (what
 * the policy did per direction, from the findings events) and an excerpt of the body the client
 * received, then the URLs and a few commands to try.
 *
 * <p>Only what left the proxy is printed: bodies after redaction, and counts and category ids
 * from the events, which never hold a value. Stateless.
 */
public final class DemoReport {
  private static final int EXCERPT_WIDTH = 150;
  private static final ObjectMapper JSON = new ObjectMapper();

  private DemoReport() {}

  /** Prints the outcomes as a table. */
  public static void printOutcomes(List<Demo.Outcome> outcomes, Policy policy, PrintStream out) {
    int requestWidth = "REQUEST".length();
    int keyWidth = "API KEY".length();
    for (Demo.Outcome o : outcomes) {
      requestWidth = Math.max(requestWidth, request(o.step()).length());
      keyWidth = Math.max(keyWidth, apiKey(o.step()).length());
    }
    String row = " %2s  %-" + requestWidth + "s  %-" + keyWidth + "s  %-6s  %s%n";
    String indent = " ".repeat(1 + 2 + 2 + requestWidth + 2 + keyWidth + 2 + 6 + 2);
    out.printf(row, "#", "REQUEST", "API KEY", "STATUS", "WHAT THE POLICY DID");
    int n = 0;
    for (Demo.Outcome o : outcomes) {
      n++;
      List<String> did = new ArrayList<>(gateway(o));
      did.addAll(describe(o.events(), policy));
      if (did.isEmpty()) {
        did = List.of("nothing found");
      }
      out.printf(row, n, request(o.step()), apiKey(o.step()), o.status(), did.get(0));
      for (String line : did.subList(1, did.size())) {
        out.print(indent);
        out.println(line);
      }
      out.println("      " + o.step().title() + ": " + excerpt(o.body()));
    }
  }

  /** Prints the state of the demo cluster's circuit breaker, as the proxy's metrics show it. */
  public static void printBreaker(Demo demo, PrintStream out) {
    out.println("Circuit breaker on cluster " + Demo.CLUSTER + ": " + demo.breakerState()
        + " (opens after " + Demo.BREAKER_FAILURES + " failures in a row;"
        + " custos_circuit_breaker_state in " + demo.adminUrl() + "/metrics)");
  }

  /** Prints the URLs and commands to try. */
  public static void printTryIt(Demo demo, PrintStream out) {
    String proxy = demo.proxyUrl();
    out.println("  proxy     " + proxy + "   (demo policy: " + Demo.POLICY_RESOURCE + ")");
    out.println("  upstream  " + demo.upstreamUrl() + "   (direct: raw synthetic data, unprotected)");
    out.println("  metrics   " + demo.adminUrl() + "/metrics");
    out.println();
    out.println("Try:");
    out.println("  curl -s " + proxy + "/api/users");
    out.println("  curl -s -H 'X-Api-Key: demo-carol' " + proxy + "/api/users/1");
    out.println("  curl -s " + proxy + "/api/export");
    out.println("  curl -s -X POST -H 'Content-Type: application/json' \\");
    out.println("       -d '{\"name\":\"Test\",\"ssn\":\"078-05-1120\"}' " + proxy + "/api/users");
    out.println("  curl -s -i " + proxy + Demo.ORDERS_PREFIX + "   (401: no API key)");
    out.println("  curl -s -H 'X-Api-Key: " + Demo.API_KEY + "' " + proxy + Demo.ORDERS_PREFIX
        + "   (429 after " + Demo.RATE_REQUESTS + " per " + Demo.RATE_PER + ")");
    out.println("  curl -s " + demo.adminUrl() + "/metrics | grep '^custos_'");
  }

  private static String apiKey(Demo.Step step) {
    return step.apiKey() == null ? "-" : step.apiKey();
  }

  /**
   * Returns what authentication and the rate limit did, for a request to the orders route: from
   * the status codes and the {@code WWW-Authenticate} and {@code Retry-After} headers.
   */
  static List<String> gateway(Demo.Outcome o) {
    if (!o.step().path().startsWith(Demo.ORDERS_PREFIX)) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    List<Integer> statuses = o.statuses();
    if (statuses.contains(401)) {
      lines.add(String.format("%-8s  %-8s  %s", "authn", "refused",
          (o.step().apiKey() == null ? "no API key" : "API key not accepted")
              + (o.challenge() == null ? "" : "; challenge: " + o.challenge())));
    }
    if (statuses.stream().anyMatch(s -> s / 100 == 2 || s == 429)) {
      lines.add(String.format("%-8s  %-8s  %s", "authn", "accepted",
          "API key \"" + Demo.API_KEY_NAME + "\" (the configuration holds its SHA-256 only)"));
    }
    if (statuses.size() > 1 || statuses.contains(429)) {
      StringBuilder all = new StringBuilder();
      for (int s : statuses) {
        all.append(all.length() == 0 ? "" : " ").append(s);
      }
      long limited = statuses.stream().filter(s -> s == 429).count();
      lines.add(String.format("%-8s  %-8s  %s", "limit", limited > 0 ? "refused" : "passed",
          statuses.size() + " sent: " + all + " (per_caller: " + Demo.RATE_REQUESTS + " per "
              + Demo.RATE_PER + (o.retryAfter() == null ? "" : "; Retry-After: "
              + o.retryAfter() + " s") + ")"));
    }
    return lines;
  }

  private static String request(Demo.Step step) {
    return String.format("%-4s %s", step.method(), step.path());
  }

  /** Returns one line per direction and kind of action, such as "response: redacted ...". */
  static List<String> describe(List<FindingsEvent> events, Policy policy) {
    Map<String, Rule> rules = new LinkedHashMap<>();
    for (Rule r : policy.rules()) {
      rules.put(r.name(), r);
    }
    List<String> lines = new ArrayList<>();
    for (FindingsEvent e : events) {
      // A shadow event names the rule that would have refused it; nothing was refused.
      @Nullable String refusedBy = e.shadow() ? null : e.blockedBy();
      String direction = e.direction().name().toLowerCase(java.util.Locale.ROOT);
      Map<String, List<String>> byVerb = new LinkedHashMap<>();
      for (Map.Entry<String, Integer> c : new TreeMap<>(e.categories()).entrySet()) {
        @Nullable Rule acting = strongest(c.getKey(), e.rules(), rules);
        Action action = acting == null ? Action.OBSERVE : acting.action();
        String verb;
        String item = c.getKey() + " " + c.getValue();
        switch (action) {
          case BLOCK:
            verb = refusedBy != null ? "blocked" : "observed";
            item += " (rule \"" + acting.name() + "\")";
            break;
          case REDACT:
            verb = "redacted";
            RedactionStyle style = acting.redactionStyle();
            item += " (" + (style == null ? "mask" : style.name().toLowerCase(java.util.Locale.ROOT))
                + ")";
            break;
          case ALERT:
            verb = "alerted";
            break;
          default:
            verb = "observed";
        }
        byVerb.computeIfAbsent(verb, v -> new ArrayList<>()).add(item);
      }
      if (refusedBy != null && !byVerb.containsKey("blocked")) {
        byVerb.computeIfAbsent("blocked", v -> new ArrayList<>()).add("(" + refusedBy + ")");
      }
      if (refusedBy != null) {
        // Nothing of a refused message was delivered: other actions on it are moot.
        List<String> others = new ArrayList<>();
        for (Map.Entry<String, List<String>> v : byVerb.entrySet()) {
          if (!v.getKey().equals("blocked")) {
            for (String item : v.getValue()) {
              others.add(item.replaceFirst(" \\(.*", ""));
            }
          }
        }
        lines.add(String.format("%-8s  %-8s  %s%s", direction, "blocked",
            String.join(", ", byVerb.get("blocked")), stage(e.stage())));
        if (!others.isEmpty()) {
          lines.add(String.format("%-8s  %-8s  %s", direction, "found", String.join(", ", others)));
        }
      } else {
        List<String> verbs = new ArrayList<>(byVerb.keySet());
        verbs.sort((a, b) -> Integer.compare(rank(b), rank(a)));
        for (String verb : verbs) {
          lines.add(String.format("%-8s  %-8s  %s", direction, verb,
              String.join(", ", byVerb.get(verb))));
        }
      }
      if (e.uninspectable() != null) {
        lines.add(String.format("%-8s  %-8s  %s", direction, "note", e.uninspectable()));
      }
    }
    return lines;
  }

  private static int rank(String verb) {
    switch (verb) {
      case "blocked":
        return 3;
      case "redacted":
        return 2;
      case "alerted":
        return 1;
      default:
        return 0;
    }
  }

  private static String stage(@Nullable String stage) {
    if (stage == null) {
      return "";
    }
    switch (stage) {
      case "before_upstream":
        return ": the upstream never saw it";
      case "in_place":
        return ": replaced the upstream's response";
      case "stream_aborted":
        return ": stream aborted";
      default:
        return "";
    }
  }

  private static @Nullable Rule strongest(String category, List<String> acting, Map<String, Rule> rules) {
    Rule best = null;
    for (String name : acting) {
      Rule r = rules.get(name);
      if (r == null || !r.covers(category)) {
        continue;
      }
      if (best == null || r.action().outranks(best.action())) {
        best = r;
      }
    }
    return best;
  }


  /** Returns the first record of a JSON list (and how many more), or the body cut short. */
  static String excerpt(String body) {
    String text = body.strip();
    if (text.startsWith("[")) {
      try {
        JsonNode list = JSON.readTree(text);
        if (list.isArray() && list.size() > 0) {
          String first = JSON.writeValueAsString(list.get(0));
          String more = list.size() > 1 ? ", … " + (list.size() - 1) + " more]" : "]";
          return cut("[" + first, EXCERPT_WIDTH - more.length()) + more;
        }
      } catch (IOException e) {
        // Not JSON after all: shown as text.
      }
    }
    if (text.startsWith("data: ")) {
      // Server-Sent Events of a chat completion: the text the deltas spell out.
      StringBuilder said = new StringBuilder();
      int events = 0;
      for (String line : text.split("\n")) {
        if (line.startsWith("data: {")) {
          events++;
          try {
            JsonNode content = JSON.readTree(line.substring(6)).path("choices").path(0)
                .path("delta").path("content");
            said.append(content.isTextual() ? content.asText() : "");
          } catch (IOException e) {
            // An event that is not JSON adds nothing.
          }
        }
      }
      return cut(events + " events, deltas joined: " + said, EXCERPT_WIDTH);
    }
    return cut(text.replaceAll("\\s+", " "), EXCERPT_WIDTH);
  }

  private static String cut(String s, int width) {
    return s.length() <= width ? s : s.substring(0, width - 1) + "…";
  }
}
