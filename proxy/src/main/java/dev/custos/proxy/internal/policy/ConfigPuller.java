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
import dev.custos.engine.config.ConfigException;
import dev.custos.engine.config.ConfigProblem;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.telemetry.commandplane.CommandPlaneClients;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Pulls this proxy's configuration from the command plane: {@code GET
 * <url>/api/v1/proxy/config?wait=} in a loop on a thread of its own (never an event loop), with
 * the proxy's token, {@code Custos-Proxy-Id}, {@code Custos-Config-Version} (what it runs) and
 * {@code If-None-Match} (the ETag of what it has). A new configuration is parsed with the proxy's
 * own parser (relative paths against the bootstrap file's folder); an invalid one, or one the
 * {@link Target} refuses because it cannot be applied live, is refused (logged without content,
 * counted, reported to the plane with {@code Custos-Config-Refused} on the next pull) and the
 * current one keeps running; a valid one is written to the cache file, then handed to the
 * target. {@code 204} means no rollout covers this proxy: the bootstrap file runs again and the
 * cache file is deleted. Failures back off as the findings sender does. Thread-safe.
 *
 * <p>Metrics: {@code custos_config_pulls_total{outcome}} ({@code updated}, {@code not_modified},
 * {@code local}, {@code invalid}, {@code refused}, {@code apply_failed}, {@code unauthorized},
 * {@code status}, {@code io}, {@code token}) and {@code custos_config_info{version}} = 1 for the
 * version running.
 */
public final class ConfigPuller implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(ConfigPuller.class);
  private static final Pattern LABEL = ConfigCache.LABEL;
  private static final Pattern ETAG = ConfigCache.ETAG_VALUE;
  private static final String LOCAL_ETAG = "\"local\"";
  /** The shortest time between two pulls, whatever the plane answers. */

  /** Where pulled configurations go: the proxy. */
  public interface Target {
    /**
     * Runs a pulled configuration from now on; null runs the bootstrap file again.
     *
     * @return false when this puller has been replaced and the configuration was not applied
     * @throws ConfigRefusedException if it cannot be applied live (the current one stays)
     * @throws RuntimeException if it cannot be applied (the current one stays)
     */
    boolean apply(ConfigPuller source, @Nullable PulledConfig config);

    /** Returns the version the proxy runs now, for {@code Custos-Config-Version}. */
    String runningVersion();

    /** Returns the folder relative paths in a pulled configuration resolve against. */
    Path baseDir();
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
   * @param etag the ETag of the configuration running now (from the cache), or null
   */
  public ConfigPuller(ProxyConfig.Command command, Target target, @Nullable String etag,
      MeterRegistry registry) {
    this.command = requireNonNull(command, "command");
    this.pull = requireNonNull(command.configPull(), "command.configPull");
    this.target = requireNonNull(target, "target");
    this.registry = requireNonNull(registry, "registry");
    this.etag = etag == null ? "" : etag;
    this.io = EventLoopGroups.newEventLoopGroup(1,
        ThreadFactories.builder("custos-config-io").eventLoop(true).daemon(true).build());
    this.factory = CommandPlaneClients.factory(io, command);
    URI u = command.url();
    this.client = WebClient.builder(u.getScheme() + "://" + u.getRawAuthority())
        .factory(factory)
        .responseTimeout(pull.longPoll().plus(command.requestTimeout()))
        .maxResponseLength(8L << 20)
        .build();
    this.thread = new Thread(this::loop, "custos-config-pull");
    thread.setDaemon(true);
  }

  /** Returns the settings this puller runs with. */
  public ProxyConfig.Command command() {
    return command;
  }

  /** Starts pulling. */
  public ConfigPuller start() {
    running(target.runningVersion());
    thread.start();
    return this;
  }

  private void loop() {
    long backoff = 0;
    while (!closed) {
      long started = System.nanoTime();
      PolicyPuller.Pull pulled;
      try {
        pulled = pullOnce();
      } catch (RuntimeException e) {
        count("io");
        logger.warn("config pull: {}", e.getClass().getSimpleName());
        pulled = PolicyPuller.Pull.FAILED;
      }
      long pause;
      if (pulled != PolicyPuller.Pull.FAILED) {
        backoff = 0;
        // As the policy puller: no tight loop on answers that change nothing (wait: 0).
        pause = PolicyPuller.pause(pulled, System.nanoTime() - started,
            pull.longPoll().toNanos());
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

  /** Pulls once. */
  private PolicyPuller.Pull pullOnce() {
    String token;
    try {
      token = CommandPlaneClients.token(command);
    } catch (IOException e) {
      count("token");
      logger.warn("config pull: token file {} unreadable ({})", command.tokenFile(),
          e.getClass().getSimpleName());
      return PolicyPuller.Pull.FAILED;
    }
    String path = command.url().getRawPath();
    path = (path == null ? "" : path.replaceAll("/+$", "")) + "/api/v1/proxy/config?wait="
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
      h.set("custos-config-refused", r);
    }
    AggregatedHttpResponse res;
    try {
      res = client.execute(h.build()).aggregate().get(
          pull.longPoll().plus(command.requestTimeout()).plusSeconds(5).toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
      return PolicyPuller.Pull.UNCHANGED;
    } catch (Exception e) {
      if (!closed) {
        count("io");
        logger.warn("config pull: {} unreachable ({})", command.url(),
            e.getCause() == null ? e.getClass().getSimpleName()
                : e.getCause().getClass().getSimpleName());
      }
      return PolicyPuller.Pull.FAILED;
    }
    if (closed) {
      return PolicyPuller.Pull.UNCHANGED;
    }
    int status = res.status().code();
    String tag = res.headers().get(HttpHeaderNames.ETAG);
    switch (status) {
      case 304:
        count("not_modified");
        return PolicyPuller.Pull.UNCHANGED;
      case 204:
        if (LOCAL_ETAG.equals(etag)) {
          count("local");
          return PolicyPuller.Pull.UNCHANGED;
        }
        if (!apply(null)) {
          return PolicyPuller.Pull.UNCHANGED;
        }
        try {
          Files.deleteIfExists(pull.cacheFile());
        } catch (IOException e) {
          logger.warn("config pull: cannot delete the cache file {} ({})", pull.cacheFile(),
              e.getClass().getSimpleName());
        }
        logger.info("config pull: no rollout covers proxy {}; the bootstrap file runs",
            command.proxyId());
        etag = LOCAL_ETAG;
        refused = null;
        count("local");
        return PolicyPuller.Pull.CHANGED;
      case 200:
        return received(res, tag);
      case 401:
      case 403:
        count("unauthorized");
        logger.warn("config pull: {}: the plane refused this proxy's token ({})", status,
            command.tokenFile());
        return PolicyPuller.Pull.FAILED;
      default:
        count("status");
        logger.warn("config pull: the plane answered {}", status);
        return PolicyPuller.Pull.FAILED;
    }
  }

  private PolicyPuller.Pull received(AggregatedHttpResponse res, @Nullable String tag) {
    String label = res.headers().get("custos-config-version");
    if (tag == null || !ETAG.matcher(tag).matches() || label == null
        || !LABEL.matcher(label).matches()) {
      count("status");
      logger.warn("config pull: an answer without a valid ETag or Custos-Config-Version;"
          + " ignored");
      return PolicyPuller.Pull.FAILED;
    }
    PulledConfig c;
    try {
      c = ConfigCache.parse(label, tag, res.contentUtf8(), "command plane " + label,
          target.baseDir());
    } catch (ConfigException e) {
      count("invalid");
      ConfigProblem first = e.problems().get(0);
      // Positions only: the text of a problem may quote the configuration, which is not logged.
      logger.warn("config pull: {} refused, not a valid configuration here ({} problems, the"
          + " first at line {}, column {}); the current configuration keeps running", label,
          e.problems().size(), first.line(), first.column());
      refused = label;
      etag = tag;
      return PolicyPuller.Pull.UNCHANGED;
    }
    try {
      if (!target.apply(this, c)) {
        return PolicyPuller.Pull.UNCHANGED;
      }
    } catch (ConfigRefusedException e) {
      count("refused");
      logger.warn("config pull: {} refused, it cannot be applied live: {}; the current"
          + " configuration keeps running", label, e.getMessage());
      refused = label;
      etag = tag;
      return PolicyPuller.Pull.UNCHANGED;
    } catch (RuntimeException e) {
      count("apply_failed");
      logger.warn("config pull: {} could not be applied ({}); the current configuration keeps"
          + " running", label, e.getClass().getSimpleName());
      return PolicyPuller.Pull.FAILED;
    }
    try {
      ConfigCache.write(pull.cacheFile(), c);
    } catch (IOException e) {
      logger.warn("config pull: cannot write the cache file {} ({}); {} runs all the same",
          pull.cacheFile(), e.getClass().getSimpleName(), label);
    }
    running(target.runningVersion());
    etag = tag;
    refused = null;
    count("updated");
    logger.info("config pull: {} runs", label);
    return PolicyPuller.Pull.CHANGED;
  }

  /** Hands the bootstrap file back to the proxy; false when it was not applied. */
  private boolean apply(@Nullable PulledConfig c) {
    try {
      if (!target.apply(this, c)) {
        return false;
      }
    } catch (RuntimeException e) {
      count("apply_failed");
      logger.warn("config pull: the bootstrap file could not be applied again ({}); the current"
          + " configuration keeps running", e.getClass().getSimpleName());
      return false;
    }
    running(target.runningVersion());
    return true;
  }

  private synchronized void running(String version) {
    if (info != null) {
      registry.remove(info);
    }
    info = Gauge.builder("custos.config.info", () -> 1)
        .description("The version this proxy runs: a pulled configuration's and its policy's,"
            + " as reported in Custos-Config-Version")
        .tag("version", version).register(registry);
  }

  private void count(String outcome) {
    outcomes.computeIfAbsent(outcome, o -> Counter.builder("custos.config.pulls")
        .description("Configuration pulls from the command plane, by outcome").tag("outcome", o)
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
