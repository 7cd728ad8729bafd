package dev.custos.proxy.internal.inspect;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.engine.Direction;
import dev.custos.engine.Policy;
import dev.custos.engine.Rule;
import dev.custos.proxy.InspectionSettings;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the inspection of every exchange on one route shares, worked out once when the route's
 * settings are: the settings, the route's meters, and, when no rule of the policy names paths,
 * methods or hosts, the rules of each direction (else they are picked per request). Immutable
 * and thread-safe.
 */
public final class InspectionPlan {
  private final InspectionSettings settings;
  private final InspectionMetrics metrics;
  private final @Nullable List<Rule> requestRules;
  private final @Nullable List<Rule> responseRules;

  private InspectionPlan(InspectionSettings settings) {
    this.settings = settings;
    this.metrics = InspectionMetrics.of(settings.meterRegistry(), settings.route());
    Policy policy = settings.policy();
    boolean conditional = false;
    for (Rule r : policy.rules()) {
      conditional |= !r.paths().isEmpty() || !r.methods().isEmpty() || !r.hosts().isEmpty();
    }
    // Without a path, method or host condition a rule applies by direction alone.
    this.requestRules = conditional ? null : policy.rulesFor(Direction.REQUEST, "GET", "", "/");
    this.responseRules = conditional ? null : policy.rulesFor(Direction.RESPONSE, "GET", "", "/");
  }

  /** Returns the plan of exchanges inspected with {@code settings}. */
  public static InspectionPlan of(InspectionSettings settings) {
    return new InspectionPlan(requireNonNull(settings, "settings"));
  }

  /** Returns the settings the plan was made for. */
  public InspectionSettings settings() {
    return settings;
  }

  InspectionMetrics metrics() {
    return metrics;
  }

  /**
   * Returns the rules of a direction for a request: the plan's when they do not depend on the
   * request, else those whose paths, methods and hosts match it.
   */
  List<Rule> rules(Direction direction, RequestHeaders headers, ServiceRequestContext ctx) {
    List<Rule> fixed = direction == Direction.REQUEST ? requestRules : responseRules;
    if (fixed != null) {
      return fixed;
    }
    return settings.policy().rulesFor(direction, headers.method().name(),
        Inspector.hostOf(headers.authority()), ctx.path());
  }
}
