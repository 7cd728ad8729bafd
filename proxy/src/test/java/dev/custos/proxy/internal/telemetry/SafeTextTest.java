package dev.custos.proxy.internal.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SafeTextTest {
  @Test
  void runsOfFourOrMoreDigitsAreMaskedAndShorterOnesKept() {
    assertThat(SafeText.of("/v2/cards/4111111111111111/items/12", 256))
        .isEqualTo("/v2/cards/#/items/12");
    assertThat(SafeText.of("/ssn/078-05-1120", 256)).isEqualTo("/ssn/078-05-#");
    assertThat(SafeText.of("/orders/123", 256)).isEqualTo("/orders/123");
  }

  @Test
  void textIsCutToTheLimitBeforeMasking() {
    assertThat(SafeText.of("abcdef", 3)).isEqualTo("abc");
    assertThat(SafeText.of("ab123456", 5)).isEqualTo("ab123");
  }
}
