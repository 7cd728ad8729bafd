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

  @Test
  void anIdentifierHasOnlyItsRunsOfNineOrMoreDigitsMasked() {
    assertThat(SafeText.identifier("4bf92f3577b34da6a3ce929d0e0e4736", 32))
        .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(SafeText.identifier("00000000000000004111111111111111", 32)).isEqualTo("#");
    assertThat(SafeText.identifier("4bf92f3577b34da6a3ce92a078051120", 32))
        .isEqualTo("4bf92f3577b34da6a3ce92a#");
    assertThat(SafeText.identifier("ab12345678cd", 32)).isEqualTo("ab12345678cd");
  }
}
