package dev.custos.proxy.internal.policy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.util.EventLoopGroups;
import com.linecorp.armeria.common.util.ThreadFactories;
import dev.custos.engine.PolicyException;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.telemetry.commandplane.CommandPlaneClients;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls this proxy's policy from the command plane: {@code GET <url>/api/v1/proxy/policy?wait=}
 * in a loop on a thread of its own (never an event loop), with the proxy's token, {@code
 * Custos-Proxy-Id}, {@code Custos-Config-Version} (what it runs) and {@code If-None-Match} (the
 * ETag of what it has). A new policy is validated with the proxy's own parser; an invalid one
 * is refused (logged without content, counted, reported to the plane with {@code
 * Custos-Policy-Refused} on the next pull) and the current one keeps running; a valid one is
 * written to the cache file, then handed to the {@link Target}. {@code 204} means no rollout
 * covers this proxy: the local policy runs again and the cache file is deleted. Failures back
 * off as the findings sender does. Thread-safe.
 *
 * <p>Metrics: {@code custos_policy_pulls_total{outcome}} ({@code updated}, {@code not_modified},
 * {@code local}, {@code invalid}, {@code apply_failed}, {@code unauthorized}, {@code status},
 * {@code io}, {@code token}) and {@code custos_policy_info{version}} = 1 for the version running.
 */
public final class PolicyPuller implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(PolicyPuller.class);
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]{1,64}@[0-9]{1,9}");
  private static final Pattern ETAG = Pattern.compile("\"[0-9a-z-]{1,80}\"");
  private static final String LOCAL_ETAG = "\"local\"";
  /** The shortest time between the starts of two pulls, whatever the plane answers. */
  static final long MIN_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  /**
   * The shortest time between the starts of two pulls when the first changed nothing: what
   * {@code wait: 0} polls at, and what holds back a plane that answers a long poll at once.
   */
  static final long MIN_UNCHANGED_NANOS = TimeUnit.SECONDS.toNanos(5);

  /** What a pull did. */
  enum Pull {
    /** The policy changed (a new one runs, or the local one again). */
    CHANGED,
    /** Nothing changed: not modified, or a policy refused as invalid. */
    UNCHANGED,
    /** The pull failed; the next one backs off. */
    FAILED
  }

  /** Where pulled policies go: the proxy. */
  public interface Target {
    /**
     * Runs a pulled policy from now on; null runs the local policy again.
     *
     * @return false when this puller has been replaced and the policy was not applied
     * @throws RuntimeException if the policy cannot be applied (the current one stays)
     */
    boolean apply(PolicyPuller source, @Nullable PulledPolicy policy);

    /** Returns the version the proxy runs now, for {@code Custos-Config-Version}. */
    String runningVersion();
  }

  private final ProxyConfig.Command command;
  private final ProxyConfig.PolicyPull pull;
  private final Target target;
  private final MeterRegistry registry;
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final Thread thread;
  private final io.netty.channel.EventLoopGroup io;
  private final ClientFactory factory;
  private final WebClient client;
  private volatile boolean closed;
  private volatile String etag;
  private volatile @Nullable String refused;
  private @Nullable Gauge info;

  /**
   * Returns a puller, not started.
   *
   * @param etag the ETag of the policy running now (from the cache), or null
   */
  public PolicyPuller(ProxyConfig.Command command, Target target, @Nullable String etag,
      MeterRegistry registry) {
    this.command = requireNonNull(command, "command");
    this.pull = requireNonNull(command.policyPull(), "command.policyPull");
    this.target = requireNonNull(target, "target");
    this.registry = requireNonNull(registry, "registry");
    this.etag = etag == null ? "" : etag;
    this.io = EventLoopGroups.newEventLoopGroup(1,
        ThreadFactories.builder("custos-policy-io").eventLoop(true).daemon(true).build());
    this.factory = CommandPlaneClients.factory(io, command);
    URI u = command.url();
    this.client = WebClient.builder(u.getScheme() + "://" + u.getRawAuthority())
        .factory(factory)
        .responseTimeout(pull.longPoll().plus(command.requestTimeout()))
        .maxResponseLength(8L << 20)
        .build();
    this.thread = new Thread(this::loop, "custos-policy-pull");
    thread.setDaemon(true);
  }

  /** Returns the settings this puller runs with. */
  public ProxyConfig.Command command() {
    return command;
  }

  /** Starts pulling. */
  public PolicyPuller start() {
    running(target.runningVersion());
    thread.start();
    return this;
  }

  private void loop() {
    long backoff = 0;
    while (!closed) {
      long started = System.nanoTime();
      Pull pulled;
      try {
        pulled = pullOnce();
      } catch (RuntimeException e) {
        count("io");
        logger.warn("policy pull: {}", e.getClass().getSimpleName());
        pulled = Pull.FAILED;
      }
      long pause;
      if (pulled != Pull.FAILED) {
        backoff = 0;
        pause = pause(pulled, System.nanoTime() - started, pull.longPoll().toNanos());
      } else {
        long initial = command.initialBackoff().toNanos();
        backoff = backoff == 0 ? initial : Math.min(backoff * 2, command.maxBackoff().toNanos());
        pause = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
      }
      if (pause > 0 && !closed) {
        try {
          TimeUnit.NANOSECONDS.sleep(pause);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /**
   * Returns how long to wait before the next pull after one that succeeded and took {@code
   * elapsedNanos}: after a change, until {@link #MIN_GAP_NANOS} after the pull started; after a
   * long poll the plane held (half of {@code longPollNanos} or more), at once; after an answer
   * that changed nothing and came sooner (always so with {@code wait: 0}), until {@link
   * #MIN_UNCHANGED_NANOS} after the pull started, so that such answers never loop tightly.
   */
  static long pause(Pull pulled, long elapsedNanos, long longPollNanos) {
    boolean held = longPollNanos > 0 && elapsedNanos >= longPollNanos / 2;
    long gap = pulled == Pull.CHANGED || held ? MIN_GAP_NANOS : MIN_UNCHANGED_NANOS;
    return Math.max(0, gap - elapsedNanos);
  }

  /** Pulls once. */
  private Pull pullOnce() {
    String token;
    try {
      token = CommandPlaneClients.token(command);
    } catch (IOException e) {
      count("token");
      logger.warn("policy pull: token file {} unreadable ({})", command.tokenFile(),
          e.getClass().getSimpleName());
      return Pull.FAILED;
    }
    String path = command.url().getRawPath();
    path = (path == null ? "" : path.replaceAll("/+$", "")) + "/api/v1/proxy/policy?wait="
        + pull.longPoll().toMillis() + "ms";
    RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.GET, path)
        .set("custos-proxy-id", command.proxyId())
        .set("custos-config-version", target.runningVersion());
    if (token != null) {
      // Without a token file the proxy authenticates by its client certificate (command.tls).
      h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
    }
    if (!etag.isEmpty()) {
      h.set(HttpHeaderNames.IF_NONE_MATCH, etag);
    }
    String r = refused;
    if (r != null) {
      h.set("custos-policy-refused", r);
    }
    AggregatedHttpResponse res;
    try {
      res = client.execute(h.build()).aggregate().get(
          pull.longPoll().plus(command.requestTimeout()).plusSeconds(5).toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
      return Pull.UNCHANGED;
    } catch (Exception e) {
      if (!closed) {
        count("io");
        logger.warn("policy pull: {} unreachable ({})", command.url(),
            e.getCause() == null ? e.getClass().getSimpleName()
                : e.getCause().getClass().getSimpleName());
      }
      return Pull.FAILED;
    }
    if (closed) {
      return Pull.UNCHANGED;
    }
    int status = res.status().code();
    String tag = res.headers().get(HttpHeaderNames.ETAG);
    switch (status) {
      case 304:
        count("not_modified");
        return Pull.UNCHANGED;
      case 204:
        if (LOCAL_ETAG.equals(etag)) {
          count("local");
          return Pull.UNCHANGED;
        }
        if (!apply(null)) {
          return Pull.UNCHANGED;
        }
        try {
          Files.deleteIfExists(pull.cacheFile());
        } catch (IOException e) {
          logger.warn("policy pull: cannot delete the cache file {} ({})", pull.cacheFile(),
              e.getClass().getSimpleName());
        }
        logger.info("policy pull: no rollout covers proxy {}; the local policy runs",
            command.proxyId());
        etag = LOCAL_ETAG;
        refused = null;
        count("local");
        return Pull.CHANGED;
      case 200:
        return received(res, tag);
      case 401:
      case 403:
        count("unauthorized");
        logger.warn("policy pull: {}: the plane refused this proxy's token ({})", status,
            command.tokenFile());
        return Pull.FAILED;
      default:
        count("status");
        logger.warn("policy pull: the plane answered {}", status);
        return Pull.FAILED;
    }
  }

  private Pull received(AggregatedHttpResponse res, @Nullable String tag) {
    String label = res.headers().get("custos-policy-version");
    String enforce = res.headers().get("custos-enforce");
    if (tag == null || !ETAG.matcher(tag).matches() || label == null
        || !LABEL.matcher(label).matches() || enforce == null
        || !(enforce.equals("true") || enforce.equals("false"))) {
      count("status");
      logger.warn("policy pull: an answer without a valid ETag, Custos-Policy-Version or"
          + " Custos-Enforce; ignored");
      return Pull.FAILED;
    }
    PulledPolicy p;
    try {
      p = PolicyCache.parse(label, enforce.equals("true"), tag, res.contentUtf8(),
          "command plane " + label);
    } catch (PolicyException e) {
      count("invalid");
      // Positions only: the text of a problem is the engine's, the policy's content is not
      // logged.
      logger.warn("policy pull: {} refused, not a valid policy here (first problem at line {},"
          + " column {}); the current policy keeps running", label, e.line(), e.column());
      refused = label;
      etag = tag;
      return Pull.UNCHANGED;
    }
    try {
      PolicyCache.write(pull.cacheFile(), p);
    } catch (IOException e) {
      logger.warn("policy pull: cannot write the cache file {} ({}); {} runs all the same",
          pull.cacheFile(), e.getClass().getSimpleName(), label);
    }
    if (!apply(p)) {
      return Pull.UNCHANGED;
    }
    etag = tag;
    refused = null;
    count("updated");
    logger.info("policy pull: {} runs{}", label, p.enforce() ? "" : " in shadow mode");
    return Pull.CHANGED;
  }

  /** Hands the policy to the proxy; false when it was not applied. */
  private boolean apply(@Nullable PulledPolicy p) {
    try {
      if (!target.apply(this, p)) {
        return false;
      }
    } catch (RuntimeException e) {
      count("apply_failed");
      logger.warn("policy pull: {} could not be applied ({}); the current policy keeps running",
          p == null ? "the local policy" : p.label(), e.getClass().getSimpleName());
      return false;
    }
    running(target.runningVersion());
    return true;
  }

  private synchronized void running(String version) {
    if (info != null) {
      registry.remove(info);
    }
    info = Gauge.builder("custos.policy.info", () -> 1)
        .description("The policy version this proxy runs (pulled from the command plane, or"
            + " its local configuration's version)")
        .tag("version", version).register(registry);
  }

  private void count(String outcome) {
    outcomes.computeIfAbsent(outcome, o -> Counter.builder("custos.policy.pulls")
        .description("Policy pulls from the command plane, by outcome").tag("outcome", o)
        .register(registry)).increment();
  }

  /** Stops pulling; a pull in flight is abandoned. Does not wait for the thread. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    factory.closeAsync();
    io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    synchronized (this) {
      if (info != null) {
        registry.remove(info);
        info = null;
      }
    }
  }
}
