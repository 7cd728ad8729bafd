package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.MediaType;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * What the inspection layer of one route works with: the compiled policy, limits, where counts and
 * events go, and how callers are identified. Immutable and thread-safe; a reload builds new
 * settings and the next message uses them (a message in flight keeps the settings it started
 * with).
 *
 * <p>Memory per message is bounded by {@link #maxInspectedBody()} while a message is held (a block
 * rule or a per-message threshold could apply) and by the scanner's hold-back window otherwise; a
 * compressed body is decoded in slices of at most {@value #DECODE_SLICE} compressed bytes, and
 * stops at {@link #maxDecodedBody()} or {@link #maxDecodeRatio()}.
 */
public final class InspectionSettings {
  /** The largest compressed slice given to a decoder at once. */
  public static final int DECODE_SLICE = 2048;

  private final Scanner scanner;
  private final Policy policy;
  private final String route;
  private final MeterRegistry meterRegistry;
  private final FindingsSink findingsSink;
  private final BudgetStore budgetStore;
  private final Clock clock;
  private final CallerIdentity callerIdentity;
  private final EvidenceKey identityKey;
  private final long maxInspectedBody;
  private final long maxDecodedBody;
  private final int maxDecodeRatio;
  private final List<MediaType> skippedMediaTypes;

  private InspectionSettings(Builder b) {
    this.scanner = b.scanner;
    this.policy = b.policy != null ? b.policy : b.scanner.policy();
    this.route = b.route;
    this.meterRegistry = b.meterRegistry != null ? b.meterRegistry : new SimpleMeterRegistry();
    this.findingsSink = b.findingsSink;
    this.budgetStore = b.budgetStore != null ? b.budgetStore : BudgetStore.inMemory();
    this.clock = b.clock;
    this.callerIdentity = b.callerIdentity;
    this.identityKey = b.identityKey != null ? b.identityKey : EvidenceKey.fromEnvironment();
    this.maxInspectedBody = b.maxInspectedBody;
    this.maxDecodedBody = b.maxDecodedBody;
    this.maxDecodeRatio = b.maxDecodeRatio;
    this.skippedMediaTypes = List.copyOf(b.skippedMediaTypes);
  }

  /** Returns a builder for settings that scan with {@code scanner} and act on its policy. */
  public static Builder builder(Scanner scanner) {
    return new Builder(requireNonNull(scanner, "scanner"));
  }

  /** Returns the compiled policy. */
  public Scanner scanner() {
    return scanner;
  }

  /**
   * Returns the policy whose rules, identity sources, {@code enforce} and {@code
   * on_uninspectable} apply: the scanner's own unless {@link Builder#policy} set another.
   */
  public Policy policy() {
    return policy;
  }

  /** Returns the route name used in metrics and events. */
  public String route() {
    return route;
  }

  /** Returns where counters and timers are registered. */
  public MeterRegistry meterRegistry() {
    return meterRegistry;
  }

  /** Returns where one event per message goes. */
  public FindingsSink findingsSink() {
    return findingsSink;
  }

  /** Returns the per-identity budgets. */
  public BudgetStore budgetStore() {
    return budgetStore;
  }

  /** Returns the clock budgets and events read. */
  public Clock clock() {
    return clock;
  }

  /** Returns how the caller of a request is identified. */
  public CallerIdentity callerIdentity() {
    return callerIdentity;
  }

  /** Returns the key identities are hashed with before they reach budgets and events. */
  public EvidenceKey identityKey() {
    return identityKey;
  }

  /** Returns the most bytes of one message held while a decision waits (default 8 MiB). */
  public long maxInspectedBody() {
    return maxInspectedBody;
  }

  /** Returns the most decoded bytes of one compressed body (default 64 MiB). */
  public long maxDecodedBody() {
    return maxDecodedBody;
  }

  /** Returns the highest decoded-to-compressed ratio accepted past the first MiB (default 100). */
  public int maxDecodeRatio() {
    return maxDecodeRatio;
  }

  /** Returns the media types whose bodies are not scanned (default image, audio and video). */
  public List<MediaType> skippedMediaTypes() {
    return skippedMediaTypes;
  }

  @Override
  public String toString() {
    return "InspectionSettings{route=" + route + ", " + policy
        + ", maxInspectedBody=" + maxInspectedBody + ", maxDecodedBody=" + maxDecodedBody
        + ", maxDecodeRatio=" + maxDecodeRatio + '}';
  }

  /** Builds {@link InspectionSettings}. Not thread-safe. */
  public static final class Builder {
    private final Scanner scanner;
    private @org.jspecify.annotations.Nullable Policy policy;
    private String route = "default";
    private @org.jspecify.annotations.Nullable MeterRegistry meterRegistry;
    private FindingsSink findingsSink = FindingsSink.noop();
    private @org.jspecify.annotations.Nullable BudgetStore budgetStore;
    private Clock clock = Clock.systemUTC();
    private CallerIdentity callerIdentity = CallerIdentity.ofDefault();
    private @org.jspecify.annotations.Nullable EvidenceKey identityKey;
    private long maxInspectedBody = 8L << 20;
    private long maxDecodedBody = 64L << 20;
    private int maxDecodeRatio = 100;
    private final List<MediaType> skippedMediaTypes =
        new ArrayList<>(List.of(MediaType.ANY_IMAGE_TYPE, MediaType.ANY_AUDIO_TYPE,
            MediaType.ANY_VIDEO_TYPE));

    private Builder(Scanner scanner) {
      this.scanner = scanner;
    }

    /**
     * Sets the policy whose rules and modes apply, when only those changed since the scanner
     * was compiled: its detectors must be the scanner's (default the scanner's own policy).
     *
     * @throws IllegalArgumentException if the policy's detectors differ from the scanner's
     */
    public Builder policy(Policy policy) {
      requireNonNull(policy, "policy");
      if (!policy.detectors().equals(scanner.policy().detectors())) {
        throw new IllegalArgumentException(
            "policy: " + policy + " (expected: the detectors the scanner was compiled with)");
      }
      this.policy = policy;
      return this;
    }

    /** Sets the route name used in metrics and events (default {@code default}). */
    public Builder route(String route) {
      requireNonNull(route, "route");
      if (route.isBlank()) {
        throw new IllegalArgumentException("route: '" + route + "' (expected: a non-blank name)");
      }
      this.route = route;
      return this;
    }

    /** Sets where counters and timers are registered (default a private simple registry). */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = requireNonNull(meterRegistry, "meterRegistry");
      return this;
    }

    /** Sets where one event per message goes (default none). */
    public Builder findingsSink(FindingsSink findingsSink) {
      this.findingsSink = requireNonNull(findingsSink, "findingsSink");
      return this;
    }

    /** Sets the per-identity budgets (default an in-memory store made for these settings). */
    public Builder budgetStore(BudgetStore budgetStore) {
      this.budgetStore = requireNonNull(budgetStore, "budgetStore");
      return this;
    }

    /** Sets the clock budgets and events read (default the system clock in UTC). */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** Sets how callers are identified (default {@link CallerIdentity#ofDefault()}). */
    public Builder callerIdentity(CallerIdentity callerIdentity) {
      this.callerIdentity = requireNonNull(callerIdentity, "callerIdentity");
      return this;
    }

    /** Sets the key identities are hashed with (default {@link EvidenceKey#fromEnvironment()}). */
    public Builder identityKey(EvidenceKey identityKey) {
      this.identityKey = requireNonNull(identityKey, "identityKey");
      return this;
    }

    /** Sets the most bytes of one message held while a decision waits (default 8 MiB). */
    public Builder maxInspectedBody(long bytes) {
      if (bytes < 1 || bytes > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(
            "maxInspectedBody: " + bytes + " (expected: 1 to " + (Integer.MAX_VALUE - 8) + ")");
      }
      this.maxInspectedBody = bytes;
      return this;
    }

    /** Sets the most decoded bytes of one compressed body (default 64 MiB). */
    public Builder maxDecodedBody(long bytes) {
      if (bytes < 1 || bytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "maxDecodedBody: " + bytes + " (expected: 1 to " + Integer.MAX_VALUE + ")");
      }
      this.maxDecodedBody = bytes;
      return this;
    }

    /** Sets the highest decoded-to-compressed ratio accepted past the first MiB (default 100). */
    public Builder maxDecodeRatio(int ratio) {
      if (ratio < 1) {
        throw new IllegalArgumentException("maxDecodeRatio: " + ratio + " (expected: >= 1)");
      }
      this.maxDecodeRatio = ratio;
      return this;
    }

    /** Replaces the media types whose bodies are not scanned, such as {@code image/*}. */
    public Builder skippedMediaTypes(List<MediaType> mediaTypes) {
      requireNonNull(mediaTypes, "mediaTypes");
      skippedMediaTypes.clear();
      for (MediaType m : mediaTypes) {
        skippedMediaTypes.add(requireNonNull(m, "mediaType"));
      }
      return this;
    }

    /** Returns the immutable settings. */
    public InspectionSettings build() {
      return new InspectionSettings(this);
    }
  }
}
