package dev.custos.proxy.internal.policy;

import static dev.custos.proxy.internal.policy.PolicyPuller.MIN_GAP_NANOS;
import static dev.custos.proxy.internal.policy.PolicyPuller.MIN_UNCHANGED_NANOS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.proxy.internal.policy.PolicyPuller.Pull;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** How long the policy puller waits between pulls that succeeded. */
class PolicyPullerPauseTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long S = TimeUnit.SECONDS.toNanos(1);

  @Test
  void withoutALongPollAnUnchangedAnswerWaitsTheUnchangedInterval() {
    // wait: 0 used to pull again after 200 ms, five pulls a second per proxy.
    assertThat(PolicyPuller.pause(Pull.UNCHANGED, 3 * MS, 0))
        .isEqualTo(MIN_UNCHANGED_NANOS - 3 * MS);
    assertThat(MIN_UNCHANGED_NANOS).isGreaterThanOrEqualTo(S);
  }

  @Test
  void anUnchangedAnswerToALongPollThatCameAtOnceWaitsTheUnchangedInterval() {
    assertThat(PolicyPuller.pause(Pull.UNCHANGED, 10 * MS, 30 * S))
        .isEqualTo(MIN_UNCHANGED_NANOS - 10 * MS);
  }

  @Test
  void aLongPollThePlaneHeldIsFollowedAtOnce() {
    assertThat(PolicyPuller.pause(Pull.UNCHANGED, 30 * S, 30 * S)).isZero();
    assertThat(PolicyPuller.pause(Pull.UNCHANGED, 2 * S, 2 * S)).isZero();
  }

  @Test
  void aChangeIsFollowedAfterTheShortGap() {
    assertThat(PolicyPuller.pause(Pull.CHANGED, 0, 0)).isEqualTo(MIN_GAP_NANOS);
    assertThat(PolicyPuller.pause(Pull.CHANGED, 5 * MS, 30 * S))
        .isEqualTo(MIN_GAP_NANOS - 5 * MS);
  }

  @Property
  void pullsNeverStartCloserThanTheShortGapAndUnheldUnchangedOnesThanTheLongOne(
      @ForAll Pull pulled, @ForAll @LongRange(min = 0, max = 600_000_000_000L) long elapsed,
      @ForAll @LongRange(min = 0, max = 300_000_000_000L) long longPoll) {
    long pause = PolicyPuller.pause(pulled, elapsed, longPoll);
    assertThat(pause).isNotNegative();
    assertThat(elapsed + pause).isGreaterThanOrEqualTo(MIN_GAP_NANOS);
    if (pulled != Pull.CHANGED && (longPoll == 0 || elapsed < longPoll / 2)) {
      assertThat(elapsed + pause).isGreaterThanOrEqualTo(MIN_UNCHANGED_NANOS);
    }
  }
}
