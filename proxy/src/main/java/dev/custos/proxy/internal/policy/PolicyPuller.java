package dev.custos.proxy.internal.policy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import dev.custos.engine.PolicyException;
import dev.custos.proxy.ProxyConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
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
public final class PolicyPuller extends DocumentPuller {
  private static final Logger logger = LoggerFactory.getLogger(PolicyPuller.class);
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]{1,64}@[0-9]{1,9}");
  private static final Pattern ETAG = Pattern.compile("\"[0-9a-z-]{1,80}\"");

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

  private final Target target;

  /**
   * Returns a puller, not started.
   *
   * @param etag the ETag of the policy running now (from the cache), or null
   */
  public PolicyPuller(ProxyConfig.Command command, Target target, @Nullable String etag,
      MeterRegistry registry) {
    super("policy", "the local policy", command,
        requireNonNull(command.policyPull(), "command.policyPull"), etag, registry,
        "The policy version this proxy runs (pulled from the command plane, or its local"
            + " configuration's version)");
    this.target = requireNonNull(target, "target");
  }

  /** Starts pulling. */
  public PolicyPuller start() {
    startPulling();
    return this;
  }

  @Override
  String runningVersion() {
    return target.runningVersion();
  }

  @Override
  boolean applyLocal() {
    return apply(null);
  }

  @Override
  boolean received(AggregatedHttpResponse res, @Nullable String tag) {
    String label = res.headers().get("custos-policy-version");
    String enforce = res.headers().get("custos-enforce");
    if (tag == null || !ETAG.matcher(tag).matches() || label == null
        || !LABEL.matcher(label).matches() || enforce == null
        || !(enforce.equals("true") || enforce.equals("false"))) {
      count("status");
      logger.warn("policy pull: an answer without a valid ETag, Custos-Policy-Version or"
          + " Custos-Enforce; ignored");
      return false;
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
      refuse(label, tag);
      return true;
    }
    if (!apply(p)) {
      return true;
    }
    // Cached only once it runs, as a pulled configuration is: the file keeps the last good one.
    try {
      PolicyCache.write(pull.cacheFile(), p);
    } catch (IOException e) {
      logger.warn("policy pull: cannot write the cache file {} ({}); {} runs all the same",
          pull.cacheFile(), e.getClass().getSimpleName(), label);
    }
    accept(tag);
    count("updated");
    logger.info("policy pull: {} runs{}", label, p.enforce() ? "" : " in shadow mode");
    return true;
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
}
