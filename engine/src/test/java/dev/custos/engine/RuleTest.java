package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RuleTest {
  @Test
  void builtRuleHasDefaultsEverywhereButNameAndAction() {
    Rule rule = Rule.builder("r").action(Action.OBSERVE).build();
    assertThat(rule.name()).isEqualTo("r");
    assertThat(rule.paths()).isEmpty();
    assertThat(rule.methods()).isEmpty();
    assertThat(rule.hosts()).isEmpty();
    assertThat(rule.directions()).containsExactlyInAnyOrder(Direction.REQUEST, Direction.RESPONSE);
    assertThat(rule.categories()).isEmpty();
    assertThat(rule.redactionStyle()).isNull();
    assertThat(rule.condition()).isEqualTo(Rule.Condition.always());
    assertThat(rule.condition().threshold()).isEqualTo(1);
    assertThat(rule.condition().window()).isNull();
    assertThat(rule.appliesTo(Direction.REQUEST, "DELETE", "any.host", "/any/path")).isTrue();
    assertThat(rule.covers("credit_card")).isTrue();
  }

  @Test
  void redactRuleMasksByDefault() {
    assertThat(Rule.builder("r").action(Action.REDACT).build().redactionStyle())
        .isEqualTo(RedactionStyle.MASK);
    assertThat(Rule.builder("r").action(Action.REDACT).redactionStyle(RedactionStyle.HASH).build()
        .redactionStyle()).isEqualTo(RedactionStyle.HASH);
  }

  @Test
  void redactionStyleIsOnlyAllowedWithRedact() {
    assertThatThrownBy(() -> Rule.builder("r").action(Action.BLOCK)
        .redactionStyle(RedactionStyle.PARTIAL).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("rule r: redactionStyle: partial (expected: only with action redact, not block)");
  }

  @Test
  void actionIsRequired() {
    assertThatThrownBy(() -> Rule.builder("r").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("rule r: action: not set (expected: observe, redact, block or alert)");
  }

  @Test
  void nullsAreRefusedAtTheBoundary() {
    Rule.Builder b = Rule.builder("r");
    assertThatThrownBy(() -> Rule.builder(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("name");
    assertThatThrownBy(() -> b.action(null)).hasMessage("action");
    assertThatThrownBy(() -> b.direction(null)).hasMessage("direction");
    assertThatThrownBy(() -> b.redactionStyle(null)).hasMessage("style");
    assertThatThrownBy(() -> b.paths((String) null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.categories((String) null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> b.perIdentityAtLeast(1, null)).hasMessage("window");
    Rule rule = b.action(Action.BLOCK).build();
    assertThatThrownBy(() -> rule.appliesTo(Direction.REQUEST, "GET", "h", null))
        .hasMessage("path");
    assertThatThrownBy(() -> rule.covers(null)).hasMessage("category");
  }

  @Test
  void blankNameIsRefused() {
    assertThatThrownBy(() -> Rule.builder(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name: ' ' (expected: a non-blank rule name)");
  }

  @Test
  void thresholdsAreAtLeastOneAndWindowsPositive() {
    Rule.Builder b = Rule.builder("r");
    assertThatThrownBy(() -> b.perMessageAtLeast(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("at_least: 0 (expected: at least 1)");
    assertThatThrownBy(() -> b.perIdentityAtLeast(-1, Duration.ofMinutes(1)))
        .hasMessage("at_least: -1 (expected: at least 1)");
    assertThatThrownBy(() -> b.perIdentityDistinctAtLeast(0, Duration.ofMinutes(1)))
        .hasMessage("distinct_at_least: 0 (expected: at least 1)");
    assertThatThrownBy(() -> b.perIdentityAtLeast(1, Duration.ZERO))
        .hasMessage("window: PT0S (expected: a positive duration)");
    assertThatThrownBy(() -> b.perIdentityDistinctAtLeast(1, Duration.ofSeconds(-5)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void conditionsCarryKindThresholdAndWindow() {
    Rule r = Rule.builder("r").action(Action.BLOCK).perIdentityAtLeast(5, Duration.ofMinutes(5))
        .build();
    assertThat(r.condition().kind()).isEqualTo(Rule.Condition.Kind.PER_IDENTITY);
    assertThat(r.condition().threshold()).isEqualTo(5);
    assertThat(r.condition().window()).isEqualTo(Duration.ofMinutes(5));
    assertThat(r.condition().isPerIdentity()).isTrue();
    assertThat(Rule.Condition.perMessageAtLeast(3).isPerIdentity()).isFalse();
    assertThat(Rule.Condition.perMessageAtLeast(3)).isEqualTo(Rule.Condition.perMessageAtLeast(3))
        .isNotEqualTo(Rule.Condition.perMessageAtLeast(4));
  }

  @Test
  void methodsAreUpperCasedAndHostsLowerCased() {
    Rule rule = Rule.builder("r").action(Action.BLOCK).methods("get", "Post")
        .hosts("API.Example.com").build();
    assertThat(rule.methods()).containsExactlyInAnyOrder("GET", "POST");
    assertThat(rule.hosts()).containsExactly("api.example.com");
    assertThatThrownBy(() -> Rule.builder("r").methods("GET /"))
        .hasMessage("method: 'GET /' (expected: an HTTP method such as GET)");
    assertThatThrownBy(() -> Rule.builder("r").paths("api/**"))
        .hasMessage("path glob: api/** (expected: a path glob starting with /)");
  }

  @Test
  void appliesToChecksDirectionMethodHostAndPath() {
    Rule rule = Rule.builder("r").action(Action.REDACT)
        .paths("/api/**", "/users/*/cards").methods("GET").hosts("*.example.com")
        .direction(Direction.RESPONSE).build();
    assertThat(rule.appliesTo(Direction.RESPONSE, "get", "shop.example.com", "/api/x")).isTrue();
    assertThat(rule.appliesTo(Direction.RESPONSE, "GET", "shop.example.com", "/users/7/cards"))
        .isTrue();
    assertThat(rule.appliesTo(Direction.REQUEST, "GET", "shop.example.com", "/api/x")).isFalse();
    assertThat(rule.appliesTo(Direction.RESPONSE, "POST", "shop.example.com", "/api/x")).isFalse();
    assertThat(rule.appliesTo(Direction.RESPONSE, "GET", "example.org", "/api/x")).isFalse();
    assertThat(rule.appliesTo(Direction.RESPONSE, "GET", "shop.example.com", "/other")).isFalse();
  }

  @Test
  void coversOnlyItsCategories() {
    Rule rule = Rule.builder("r").action(Action.BLOCK).categories("us_ssn", "credit_card").build();
    assertThat(rule.covers("us_ssn")).isTrue();
    assertThat(rule.covers("credit_card")).isTrue();
    assertThat(rule.covers("email")).isFalse();
  }

  @Test
  void toStringShowsOnlyStructure() {
    Rule rule = Rule.builder("card budget").action(Action.BLOCK).categories("credit_card")
        .paths("/api/secret-4111111111111111/**").hosts("db.internal")
        .perIdentityDistinctAtLeast(10, Duration.ofHours(1)).build();
    assertThat(rule.toString()).isEqualTo("Rule{card budget, block, both,"
        + " categories=[credit_card], per_identity distinct_at_least 10 in 1h}");
    assertThat(Rule.builder("m").action(Action.REDACT).direction(Direction.REQUEST).build())
        .hasToString("Rule{m, redact mask, request, categories=all}");
  }

  @org.junit.jupiter.api.Test
  void blockOutranksRedactWhichOutranksAlertWhichOutranksObserve() {
    assertThat(Action.BLOCK.outranks(Action.REDACT)).isTrue();
    assertThat(Action.REDACT.outranks(Action.ALERT)).isTrue();
    assertThat(Action.ALERT.outranks(Action.OBSERVE)).isTrue();
    assertThat(Action.OBSERVE.outranks(Action.BLOCK)).isFalse();
    assertThat(Action.REDACT.outranks(Action.REDACT)).isFalse();
  }
}
