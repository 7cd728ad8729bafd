package dev.custos.proxy.internal.policy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import dev.custos.engine.config.ConfigException;
import dev.custos.engine.config.ConfigProblem;
import dev.custos.proxy.ProxyConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
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
public final class ConfigPuller extends DocumentPuller {
  private static final Logger logger = LoggerFactory.getLogger(ConfigPuller.class);
  private static final Pattern LABEL = ConfigCache.LABEL;
  private static final Pattern ETAG = ConfigCache.ETAG_VALUE;

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

  private final Target target;

  /**
   * Returns a puller, not started.
   *
   * @param etag the ETag of the configuration running now (from the cache), or null
   */
  public ConfigPuller(ProxyConfig.Command command, Target target, @Nullable String etag,
      MeterRegistry registry) {
    super("config", "the bootstrap file", command,
        requireNonNull(command.configPull(), "command.configPull"), etag, registry,
        "The version this proxy runs: a pulled configuration's and its policy's, as reported"
            + " in Custos-Config-Version");
    this.target = requireNonNull(target, "target");
  }

  /** Starts pulling. */
  public ConfigPuller start() {
    startPulling();
    return this;
  }

  @Override
  String runningVersion() {
    return target.runningVersion();
  }

  @Override
  boolean received(AggregatedHttpResponse res, @Nullable String tag) {
    String label = res.headers().get("custos-config-version");
    if (tag == null || !ETAG.matcher(tag).matches() || label == null
        || !LABEL.matcher(label).matches()) {
      count("status");
      logger.warn("config pull: an answer without a valid ETag or Custos-Config-Version;"
          + " ignored");
      return false;
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
      refuse(label, tag);
      return true;
    }
    try {
      if (!target.apply(this, c)) {
        return true;
      }
    } catch (ConfigRefusedException e) {
      count("refused");
      logger.warn("config pull: {} refused, it cannot be applied live: {}; the current"
          + " configuration keeps running", label, e.getMessage());
      refuse(label, tag);
      return true;
    } catch (RuntimeException e) {
      count("apply_failed");
      logger.warn("config pull: {} could not be applied ({}); the current configuration keeps"
          + " running", label, e.getClass().getSimpleName());
      return false;
    }
    try {
      ConfigCache.write(pull.cacheFile(), c);
    } catch (IOException e) {
      logger.warn("config pull: cannot write the cache file {} ({}); {} runs all the same",
          pull.cacheFile(), e.getClass().getSimpleName(), label);
    }
    running(target.runningVersion());
    accept(tag);
    count("updated");
    logger.info("config pull: {} runs", label);
    return true;
  }

  /** Hands the bootstrap file back to the proxy; false when it was not applied. */
  @Override
  boolean applyLocal() {
    try {
      if (!target.apply(this, null)) {
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
}
