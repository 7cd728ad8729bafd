package dev.custos.command.internal.policy;

import dev.custos.engine.Policy;
import dev.custos.engine.PolicyException;
import dev.custos.engine.config.ConfigException;
import dev.custos.engine.config.ConfigProblem;
import dev.custos.proxy.ProxyConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The kinds of documents the plane stores and distributes: Custos policies, and proxy
 * configurations. Each is validated with the proxies' own parser before it is stored, versioned
 * the same way, rolled out the same way and pulled from its own endpoint.
 */
public enum DocumentKind {
  /** A Custos policy ({@code /api/v1/policies}, pulled from {@code /api/v1/proxy/policy}). */
  POLICY("policy", "policy", "policies", "Custos policy", "custos policy validate accepts"),
  /**
   * A proxy configuration, {@code custos.yaml} without its {@code command} section ({@code
   * /api/v1/configs}, pulled from {@code /api/v1/proxy/config}).
   */
  PROXY_CONFIG("proxy_config", "config", "configs", "Custos proxy configuration",
      "custos proxy accepts, without a command section (files and environment variables it"
          + " names are checked by each proxy when it pulls it)");

  private static final Pattern COMMAND_KEY = Pattern.compile("(?m)^command[ \\t]*:");

  private final String id;
  private final String field;
  private final String collection;
  private final String title;
  private final String accepted;

  DocumentKind(String id, String field, String collection, String title, String accepted) {
    this.id = id;
    this.field = field;
    this.collection = collection;
    this.title = title;
    this.accepted = accepted;
  }

  /** Returns the kind's id in the database ({@code policy}, {@code proxy_config}). */
  public String id() {
    return id;
  }

  /** Returns the word naming one document in the API ({@code policy}, {@code config}). */
  public String field() {
    return field;
  }

  /** Returns the API's collection ({@code policies}, {@code configs}). */
  public String collection() {
    return collection;
  }

  /** Returns the kind of a database id. */
  static DocumentKind of(String id) {
    for (DocumentKind k : values()) {
      if (k.id.equals(id)) {
        return k;
      }
    }
    throw new IllegalArgumentException("kind: " + id + " (expected: policy or proxy_config)");
  }

  /** Returns what a 400 says a valid body is: {@code "a policy that ... accepts"}. */
  String expected() {
    return "a " + field + " that " + accepted;
  }

  /** Returns the title used in a 400: {@code "a valid Custos policy"}. */
  String title() {
    return title;
  }

  /**
   * Returns every problem of a body as {@code line:column: what (expected: what)}, the source
   * name left out; empty when the body is valid. Parses with the proxies' own parser; a
   * configuration's files and environment variables are not read here (the plane cannot see the
   * proxies' disks), each proxy checks them when it pulls.
   */
  List<String> problems(String name, String body) {
    if (this == POLICY) {
      try {
        Policy.parse(body, name);
        return List.of();
      } catch (PolicyException e) {
        return lines(name, e.getMessage());
      } catch (IllegalArgumentException e) {
        return List.of(String.valueOf(e.getMessage()));
      }
    }
    List<String> out = new ArrayList<>();
    try {
      ProxyConfig.validateStructure(body, name);
    } catch (ConfigException e) {
      for (ConfigProblem p : e.problems()) {
        out.add(p.line() > 0 ? p.line() + ":" + p.column() + ": " + p.text() : p.text());
      }
    } catch (IllegalArgumentException e) {
      out.add(String.valueOf(e.getMessage()));
    }
    Matcher m = COMMAND_KEY.matcher(body);
    if (m.find()) {
      int line = 1;
      for (int i = 0; i < m.start(); i++) {
        if (body.charAt(i) == '\n') {
          line++;
        }
      }
      out.add(line + ":1: command: set in a distributed configuration (expected: no command"
          + " section; each proxy keeps the one of its bootstrap file)");
    }
    return out;
  }

  /** Returns each line of a parser's message as {@code line:column: text}, the source left out. */
  static List<String> lines(String source, @Nullable String message) {
    List<String> out = new ArrayList<>();
    for (String line : (message == null ? "" : message).split("\n")) {
      out.add(line.startsWith(source + ":") ? line.substring(source.length() + 1)
          : line.startsWith(source + " ") ? line.substring(source.length() + 1) : line);
    }
    return out;
  }
}
