package dev.custos.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Limits have sane defaults and reject nonsense with "name: value (expected: …)". */
class SandboxLimitsTest {
  @Test
  void defaultsBoundMemoryTimeAndInstances() {
    var limits = SandboxLimits.ofDefault();
    assertThat(limits.maxMemoryPages()).isEqualTo(256);
    assertThat(limits.callTimeout()).isEqualTo(Duration.ofMillis(100));
    assertThat(limits.maxInstances()).isEqualTo(64);
  }

  @Test
  void maxMemoryPages_outOfRange() {
    assertThatThrownBy(() -> SandboxLimits.builder().maxMemoryPages(-1))
        .hasMessage("maxMemoryPages: -1 (expected: 0..65536)");
    assertThatThrownBy(() -> SandboxLimits.builder().maxMemoryPages(65_537))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void callTimeout_notPositive() {
    assertThatThrownBy(() -> SandboxLimits.builder().callTimeout(Duration.ZERO))
        .hasMessage("callTimeout: PT0S (expected: > 0)");
  }

  @Test
  void maxInstances_zero() {
    assertThatThrownBy(() -> SandboxLimits.builder().maxInstances(0))
        .hasMessage("maxInstances: 0 (expected: >= 1)");
  }
}
