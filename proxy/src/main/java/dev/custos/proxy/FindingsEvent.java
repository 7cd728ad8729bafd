package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.Direction;
import dev.custos.proxy.internal.inspect.FindingPaths;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What the inspection layer found in one message and what it did, without any value: counts per
 * category, where the findings were (parts such as {@code body}, {@code header:x-card} or
 * {@code query:card} — names only), which rules acted and how. Immutable.
 *
 * @param time when the message ended (or was refused)
 * @param route the route name
 * @param direction request or response
 * @param identityHash keyed hash of the caller's identity (16 hex digits), never the identity
 * @param categories findings per category id
 * @param locations the parts of the message that held findings
 * @param actions what was done, in order of rules: {@code observe}, {@code alert}, {@code
 *     redact}, {@code block}; in shadow mode what would have been done
 * @param rules the names of the rules that acted (or would have)
 * @param blockedBy the rule that refused the message, {@code on_uninspectable}, or {@code null};
 *     in shadow mode the rule that would have refused it ({@code stage} is then {@code null})
 * @param stage how a refusal happened: {@code before_upstream}, {@code in_place}, {@code
 *     stream_aborted}, {@code stream_ended} (a Server-Sent Events response ended with an error
 *     event), or {@code null}
 * @param alert whether an alert rule acted
 * @param shadow whether the policy was in shadow mode (nothing was changed)
 * @param uninspectable why the message could not be inspected in full, or {@code null}
 * @param inspectedBytes bytes scanned (decoded bytes for a compressed body)
 * @param protocol what carried the message: {@code http} for the HTTP listeners, {@code grpc}
 *     for a gRPC or gRPC-Web body, {@code websocket} for a message of a proxied WebSocket session,
 *     {@code ext_proc} for a message Envoy handed to the External Processing server; for a layer-4 listener its
 *     framing, {@code tcp} (lines), {@code syslog} or {@code fluent_forward}
 * @param paths where in the body the findings were, in path order, at most 32: JSON paths ({@code
 *     $.user.card}), form fields, multipart parts ({@code $.parts['meta'].ssn}), protobuf field paths
 *     ({@code $[0].card.number}, or field numbers without descriptors); every name in a path that
 *     could hold a value (an e-mail address, a number of five digits or more, anything but ASCII
 *     letters, digits, {@code _} and {@code -}, a token-like name) is written {@code [*]}
 * @param values the distinct values found, by category and keyed hash with a masked preview, at
 *     most {@value #MAX_VALUES}
 * @param cluster the upstream cluster the message went to or came from (for a route with a split,
 *     the one chosen for this request), or empty when there is none (a request refused before a
 *     split route chose one, a layer-4 listener, Envoy's External Processing)
 * @param service the caller's service, or empty when unknown: the workload a verified client
 *     certificate's SPIFFE id names ({@code ns/sa} for {@code spiffe://td/ns/<ns>/sa/<sa>}, else
 *     its path), or the name a verified API key is configured with; written only when every part
 *     of it has a shape that cannot hold a protected value (see {@link #isSafeService})
 */
public record FindingsEvent(
    Instant time,
    String route,
    Direction direction,
    String identityHash,
    Map<String, Integer> categories,
    Set<String> locations,
    List<String> actions,
    List<String> rules,
    @Nullable String blockedBy,
    @Nullable String stage,
    boolean alert,
    boolean shadow,
    @Nullable String uninspectable,
    long inspectedBytes,
    String protocol,
    List<String> paths,
    List<FindingsEvent.Value> values,
    String cluster,
    String service) {
  /** The most distinct values an event lists (the first ones found are kept). */
  public static final int MAX_VALUES = 32;

  /**
   * One distinct value found in the message, as its evidence: what lets a command plane count
   * distinct values and follow the same value across services, never the value.
   *
   * @param category the category id
   * @param hash the keyed hash of the normalized value (HMAC-SHA256 with the deployment's
   *     evidence key, 32 hex digits)
   * @param preview the masked preview (stars, then at most the last 4 letters or digits), or an
   *     empty string when it is not plain enough to show
   */
  public record Value(String category, String hash, String preview) {
    /** Checks that nothing is missing. */
    public Value {
      requireNonNull(category, "category");
      requireNonNull(hash, "hash");
      requireNonNull(preview, "preview");
    }
  }

  /** Creates an event without cluster and service. */
  public FindingsEvent(Instant time, String route, Direction direction, String identityHash,
      Map<String, Integer> categories, Set<String> locations, List<String> actions,
      List<String> rules, @Nullable String blockedBy, @Nullable String stage, boolean alert,
      boolean shadow, @Nullable String uninspectable, long inspectedBytes, String protocol,
      List<String> paths, List<FindingsEvent.Value> values) {
    this(time, route, direction, identityHash, categories, locations, actions, rules, blockedBy,
        stage, alert, shadow, uninspectable, inspectedBytes, protocol, paths, values, "", "");
  }

  /** Creates an event without distinct values. */
  public FindingsEvent(Instant time, String route, Direction direction, String identityHash,
      Map<String, Integer> categories, Set<String> locations, List<String> actions,
      List<String> rules, @Nullable String blockedBy, @Nullable String stage, boolean alert,
      boolean shadow, @Nullable String uninspectable, long inspectedBytes, String protocol,
      List<String> paths) {
    this(time, route, direction, identityHash, categories, locations, actions, rules, blockedBy,
        stage, alert, shadow, uninspectable, inspectedBytes, protocol, paths, List.of());
  }

  /** Creates the event of an HTTP message ({@code protocol} {@code http}). */
  public FindingsEvent(Instant time, String route, Direction direction, String identityHash,
      Map<String, Integer> categories, Set<String> locations, List<String> actions,
      List<String> rules, @Nullable String blockedBy, @Nullable String stage, boolean alert,
      boolean shadow, @Nullable String uninspectable, long inspectedBytes) {
    this(time, route, direction, identityHash, categories, locations, actions, rules, blockedBy,
        stage, alert, shadow, uninspectable, inspectedBytes, "http", List.of(), List.of());
  }

  /** Creates an event without finding paths. */
  public FindingsEvent(Instant time, String route, Direction direction, String identityHash,
      Map<String, Integer> categories, Set<String> locations, List<String> actions,
      List<String> rules, @Nullable String blockedBy, @Nullable String stage, boolean alert,
      boolean shadow, @Nullable String uninspectable, long inspectedBytes, String protocol) {
    this(time, route, direction, identityHash, categories, locations, actions, rules, blockedBy,
        stage, alert, shadow, uninspectable, inspectedBytes, protocol, List.of(), List.of());
  }

  /** Copies the collections. */
  public FindingsEvent {
    requireNonNull(protocol, "protocol");
    requireNonNull(time, "time");
    requireNonNull(route, "route");
    requireNonNull(direction, "direction");
    requireNonNull(identityHash, "identityHash");
    categories = Map.copyOf(categories);
    locations = Set.copyOf(locations);
    actions = List.copyOf(actions);
    rules = List.copyOf(rules);
    paths = List.copyOf(paths);
    values = List.copyOf(values);
    requireNonNull(cluster, "cluster");
    requireNonNull(service, "service");
    if (!service.isEmpty() && !isSafeService(service)) {
      throw new IllegalArgumentException("service: not a safe service name (expected: 1 to "
          + MAX_SERVICE + " characters of parts such as ns/sa, see isSafeService)");
    }
  }

  /** The longest service name an event carries. */
  public static final int MAX_SERVICE = 128;

  /**
   * Returns whether {@code service} has a shape that cannot hold a protected value: at most
   * {@value #MAX_SERVICE} characters, at most four parts separated by {@code /}, each made of
   * words separated by {@code .}; every word 1 to 40 ASCII letters, digits, {@code _} and {@code
   * -} with at most 4 digits, and, from 16 characters, no digit and at most a third upper-case
   * letters (the rule the finding paths follow). No e-mail address, card number, telephone
   * number, national id or token passes it.
   */
  public static boolean isSafeService(String service) {
    if (service.isEmpty() || service.length() > MAX_SERVICE) {
      return false;
    }
    String[] parts = service.split("/", -1);
    if (parts.length > 4) {
      return false;
    }
    for (String part : parts) {
      for (String word : part.split("\\.", -1)) {
        if (!FindingPaths.keeps(word)) {
          return false;
        }
      }
    }
    return true;
  }
}
