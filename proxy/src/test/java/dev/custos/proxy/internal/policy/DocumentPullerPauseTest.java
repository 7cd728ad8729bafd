package dev.custos.proxy.internal.policy;

import static dev.custos.proxy.internal.policy.DocumentPuller.MIN_GAP_NANOS;
import static dev.custos.proxy.internal.policy.DocumentPuller.MIN_UNCHANGED_NANOS;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** How long the policy and configuration pullers wait between pulls that succeeded. */
class DocumentPullerPauseTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long S = TimeUnit.SECONDS.toNanos(1);

  @Test
  void withoutALongPollAnUnchangedAnswerWaitsTheUnchangedInterval() {
    // wait: 0 used to pull again after 200 ms, five pulls a second per proxy.
    assertThat(DocumentPuller.pause(false, 3 * MS, 0)).isEqualTo(MIN_UNCHANGED_NANOS - 3 * MS);
    assertThat(MIN_UNCHANGED_NANOS).isGreaterThanOrEqualTo(S);
  }

  @Test
  void anUnchangedAnswerToALongPollThatCameAtOnceWaitsTheUnchangedInterval() {
    assertThat(DocumentPuller.pause(false, 10 * MS, 30 * S))
        .isEqualTo(MIN_UNCHANGED_NANOS - 10 * MS);
  }

  @Test
  void aLongPollThePlaneHeldIsFollowedAtOnce() {
    assertThat(DocumentPuller.pause(false, 30 * S, 30 * S)).isZero();
    assertThat(DocumentPuller.pause(false, 2 * S, 2 * S)).isZero();
  }

  @Test
  void aChangeIsFollowedAfterTheShortGap() {
    assertThat(DocumentPuller.pause(true, 0, 0)).isEqualTo(MIN_GAP_NANOS);
    assertThat(DocumentPuller.pause(true, 5 * MS, 30 * S)).isEqualTo(MIN_GAP_NANOS - 5 * MS);
  }

  @Property
  void pullsNeverStartCloserThanTheShortGapAndUnheldUnchangedOnesThanTheLongOne(
      @ForAll boolean changed,
      @ForAll @LongRange(min = 0, max = 600_000_000_000L) long elapsed,
      @ForAll @LongRange(min = 0, max = 300_000_000_000L) long longPoll) {
    long pause = DocumentPuller.pause(changed, elapsed, longPoll);
    assertThat(pause).isNotNegative();
    assertThat(elapsed + pause).isGreaterThanOrEqualTo(MIN_GAP_NANOS);
    if (!changed && (longPoll == 0 || elapsed < longPoll / 2)) {
      assertThat(elapsed + pause).isGreaterThanOrEqualTo(MIN_UNCHANGED_NANOS);
    }
  }
}
