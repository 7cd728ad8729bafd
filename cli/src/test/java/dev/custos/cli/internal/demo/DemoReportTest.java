package dev.custos.cli.internal.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.Direction;
import dev.custos.engine.Policy;
import dev.custos.proxy.FindingsEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DemoReportTest {
  private static final Demo.Step NO_KEY =
      new Demo.Step("no key", "GET", Demo.ORDERS_PREFIX, null, null);
  private static final Demo.Step BURST =
      new Demo.Step("burst", "GET", Demo.ORDERS_PREFIX, Demo.API_KEY, null, 4);

  @Test
  void aMissingApiKeyIsShownRefusedWithItsChallenge() {
    Demo.Outcome o = new Demo.Outcome(NO_KEY, 401, "{}", List.of(), List.of(401),
        "ApiKey realm=\"custos\", header=\"X-Api-Key\"", null);

    assertThat(DemoReport.gateway(o)).containsExactly(
        "authn     refused   no API key; challenge: ApiKey realm=\"custos\", header=\"X-Api-Key\"");
  }

  @Test
  void aBurstShowsEveryStatusAndTheRetryAfter() {
    Demo.Outcome o = new Demo.Outcome(BURST, 429, "{}", List.of(), List.of(200, 200, 429, 429),
        null, "3");

    assertThat(DemoReport.gateway(o)).containsExactly(
        "authn     accepted  API key \"alice\" (the configuration holds its SHA-256 only)",
        "limit     refused   4 sent: 200 200 429 429 (per_caller: 3 per 10s; Retry-After: 3 s)");
  }

  @Test
  void otherRoutesHaveNoGatewayLines() {
    Demo.Step users = new Demo.Step("users", "GET", "/api/users", "demo-alice", null);

    assertThat(DemoReport.gateway(new Demo.Outcome(users, 200, "[]", List.of()))).isEmpty();
  }

  @Test
  void aShadowEventIsNotShownBlockedThoughItNamesTheRuleThatWouldHaveBlocked() {
    Policy policy = Policy.parse("version: 1\nenforce: false\nrules:\n  - { name: no cards,"
        + " categories: [credit_card], action: block }\n", "shadow.yaml");
    FindingsEvent shadow = new FindingsEvent(Instant.EPOCH, "api", Direction.REQUEST,
        "0123456789abcdef", Map.of("credit_card", 1), Set.of("body"), List.of("block"),
        List.of("no cards"), "no cards", null, false, true, null, 10, "http", List.of(),
        List.of());

    assertThat(DemoReport.describe(List.of(shadow), policy)).containsExactly(
        "request   observed  credit_card 1 (rule \"no cards\")");
  }

  @Test
  void aStepIsSentAtLeastOnce() {
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> new Demo.Step("x", "GET", "/", null, null, 0))
        .withMessage("times: 0 (expected: >= 1)");
  }
}
