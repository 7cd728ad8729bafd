package dev.custos.proxy.internal.inspect;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.Action;
import dev.custos.engine.ContentType;
import dev.custos.engine.Direction;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.Rule;
import dev.custos.engine.Scanner;
import dev.custos.engine.StreamScanner;
import dev.custos.proxy.BudgetStore;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.Identity;
import dev.custos.proxy.internal.identity.IdentityHasher;
import io.netty.util.NetUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inspects the records of a layer-4 listener (log lines, syslog messages, Fluentd records) one at a
 * time, as client-to-upstream messages ({@link Direction#REQUEST}) under the policy of the
 * configuration in force: the rules that apply are those of the request direction that name no
 * methods, hosts or paths. Findings, redactions and drops go to the same findings events,
 * metrics (the listener's name as the {@code route} label) and per-identity budgets as HTTP
 * messages; the identity is the client's address, kept only as its keyed hash. Thread-safe; a
 * record is scanned on the calling thread in time linear in its length.
 */
public final class RecordInspector {
  private static final Logger logger = LoggerFactory.getLogger(RecordInspector.class);

  /** What became of a record. */
  public enum Verdict {
    /** Forward it as it was. */
    FORWARD,
    /** Forward {@link Outcome#redacted()} in its place. */
    REDACT,
    /** Drop it. */
    DROP
  }

  /**
   * The outcome of one record.
   *
   * @param redacted the rewritten content when the verdict is {@link Verdict#REDACT}, else null
   */
  public record Outcome(Verdict verdict, byte @Nullable [] redacted, int findings) {
    static final Outcome FORWARD = new Outcome(Verdict.FORWARD, null, 0);
  }

  /** Who sent a connection's records: the identity budgets count by, and its keyed hash. */
  public record Source(String identity, String hash) {
    /** Checks the parts. */
    public Source {
      requireNonNull(identity, "identity");
      requireNonNull(hash, "hash");
    }

    @Override
    public String toString() {
      return "Source{" + hash + "}";
    }
  }

  private record Rules(Policy policy, List<Rule> rules) {}

  private final String listener;
  private final String protocol;
  private final Supplier<Compiled> compiled;
  private final InspectionMetrics metrics;
  private final FindingsSink sink;
  private final BudgetStore budgets;
  private final EvidenceKey identityKey;
  private final Clock clock;
  private volatile @Nullable Rules rules;

  /** A policy and the scanner compiled from its detectors. */
  record Compiled(Policy policy, Scanner scanner) {}

  RecordInspector(String listener, String protocol, Supplier<Compiled> compiled,
      io.micrometer.core.instrument.MeterRegistry registry,
      FindingsSink sink, BudgetStore budgets, EvidenceKey identityKey, Clock clock) {
    this.listener = requireNonNull(listener, "listener");
    this.protocol = requireNonNull(protocol, "protocol");
    this.compiled = requireNonNull(compiled, "compiled");
    this.metrics = InspectionMetrics.of(registry, listener);
    this.sink = sink;
    this.budgets = budgets;
    this.identityKey = identityKey;
    this.clock = clock;
  }

  /** Returns the source of a connection from {@code peer}, hashed like HTTP clients' addresses. */
  public Source source(InetAddress peer) {
    Identity identity = new IdentityHasher(identityKey).identity(Identity.Kind.CLIENT_IP,
        NetUtil.toAddressString(requireNonNull(peer, "peer")), false);
    byte[] h = identityKey.hmac(identity.key().getBytes(StandardCharsets.UTF_8));
    return new Source(identity.key(), HexFormat.of().formatHex(h, 0, 8));
  }

  /**
   * Scans one record and decides on it.
   *
   * @param content the bytes scanned (and rewritten on redaction)
   * @param type {@link ContentType#TEXT} or {@link ContentType#JSON}
   * @param textPath the location reported for findings without a JSON path, such as {@code
   *     $.message}
   */
  public Outcome inspect(byte[] content, ContentType type, String textPath, Source source) {
    long started = System.nanoTime();
    Compiled c = compiled.get();
    Policy p = c.policy();
    Scanner s = c.scanner();
    List<Finding> findings = scan(s, content, type, null, null);
    metrics.inspectedBytes(Direction.REQUEST, content.length);
    if (findings.isEmpty()) {
      metrics.inspectionTime(Direction.REQUEST, System.nanoTime() - started);
      return Outcome.FORWARD;
    }
    RuleTally tally = new RuleTally(rulesOf(p), budgets, source.identity(), clock);
    for (Finding f : findings) {
      tally.record(f, f.jsonPath() != null ? f.jsonPath() : textPath, "body");
    }
    boolean shadow = !p.enforce();
    List<Rule> acting = tally.actingRules();
    Rule block = tally.blockingRule();
    Outcome outcome;
    if (block != null && !shadow) {
      outcome = new Outcome(Verdict.DROP, null, findings.size());
      metrics.blocked(Direction.REQUEST, "record_dropped");
    } else if (tally.anyRedaction() && !shadow) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 64);
      scan(s, content, type, f -> {
        RedactionStyle style = tally.styleFor(f, "body");
        if (style != null) {
          metrics.redaction(Direction.REQUEST, f.category(), style.id());
        }
        return style;
      }, out);
      outcome = new Outcome(Verdict.REDACT, out.toByteArray(), findings.size());
    } else {
      outcome = new Outcome(Verdict.FORWARD, null, findings.size());
    }
    List<String> actions = new ArrayList<>();
    List<String> names = new ArrayList<>();
    boolean alert = false;
    for (Rule r : acting) {
      String a = (shadow ? "would_" : "") + r.action().id();
      if (!actions.contains(a)) {
        actions.add(a);
      }
      names.add(r.name());
      alert |= r.action() == Action.ALERT;
    }
    for (var e : tally.categories().entrySet()) {
      Action a = tally.actionFor(e.getKey(), acting);
      String id = a == Action.OBSERVE ? "observe" : (shadow ? "would_" : "") + a.id();
      metrics.findings(Direction.REQUEST, e.getKey(), id, e.getValue());
    }
    if (outcome.verdict() != Verdict.DROP) {
      tally.commitBudgets();
    }
    String blockedBy = outcome.verdict() == Verdict.DROP ? block.name() : null;
    FindingsEvent event = new FindingsEvent(clock.instant(), listener, Direction.REQUEST,
        source.hash(), tally.categories(), tally.locations(), actions, names, blockedBy,
        blockedBy == null ? null : "record_dropped", alert, shadow, null, content.length, protocol,
        List.copyOf(tally.paths()), tally.values());
    try {
      sink.accept(event);
    } catch (RuntimeException e) {
      logger.warn("Findings sink failed: {}", e.getClass().getName());
    }
    metrics.inspectionTime(Direction.REQUEST, System.nanoTime() - started);
    return outcome;
  }

  /**
   * Counts a frame that could not be inspected ({@code reason}: {@code frame_too_large}, {@code
   * malformed_frame}, {@code malformed_encoding}) and what was done with it ({@code decision}:
   * {@code forward}, {@code drop}, {@code close}).
   */
  public void uninspectable(String reason, String decision) {
    metrics.uninspectable(Direction.REQUEST, reason, decision);
  }

  private List<Rule> rulesOf(Policy p) {
    Rules r = rules;
    if (r == null || r.policy() != p) {
      List<Rule> list = new ArrayList<>();
      for (Rule rule : p.rules()) {
        if (rule.directions().contains(Direction.REQUEST) && !rule.dependsOnRequest()) {
          list.add(rule);
        }
      }
      r = new Rules(p, List.copyOf(list));
      rules = r;
    }
    return r.rules();
  }

  private static List<Finding> scan(Scanner s, byte[] content, ContentType type,
      dev.custos.engine.@Nullable RedactionChoice choice, @Nullable ByteArrayOutputStream out) {
    try (StreamScanner stream = choice == null ? s.newStream(type)
        : s.newRedactingStream(type, choice, out::write)) {
      List<Finding> found = new ArrayList<>(stream.feed(content, 0, content.length));
      found.addAll(stream.finish());
      return found;
    }
  }
}
