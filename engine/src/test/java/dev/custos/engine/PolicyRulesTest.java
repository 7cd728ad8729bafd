package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Rules, identity sources and enforce on a {@link Policy} built in code. */
class PolicyRulesTest {
  private static final Policy POLICY = Policy.builder()
      .rule(Rule.builder("responses of the api").action(Action.REDACT).paths("/api/**")
          .direction(Direction.RESPONSE).build())
      .rule(Rule.builder("uploads").action(Action.BLOCK).methods("POST", "PUT")
          .paths("/upload/**").build())
      .rule(Rule.builder("internal hosts").action(Action.ALERT).hosts("*.internal").build())
      .rule(Rule.builder("everything").action(Action.OBSERVE).build())
      .build();

  @Test
  void rulesForSelectsByDirectionMethodHostAndPathInOrder() {
    assertThat(names(Direction.RESPONSE, "GET", "shop.example.com", "/api/users"))
        .containsExactly("responses of the api", "everything");
    assertThat(names(Direction.REQUEST, "GET", "shop.example.com", "/api/users"))
        .containsExactly("everything");
    assertThat(names(Direction.REQUEST, "post", "shop.example.com", "/upload/a.csv"))
        .containsExactly("uploads", "everything");
    assertThat(names(Direction.REQUEST, "GET", "shop.example.com", "/upload/a.csv"))
        .containsExactly("everything");
    assertThat(names(Direction.RESPONSE, "GET", "db.internal", "/api/x"))
        .containsExactly("responses of the api", "internal hosts", "everything");
    assertThat(names(Direction.RESPONSE, "GET", "internal", "/"))
        .containsExactly("everything");
  }

  @Test
  void rulesThatDependOnNoRequestAreChosenOncePerDirection() {
    Policy policy = Policy.builder()
        .rule(Rule.builder("cards").action(Action.BLOCK).build())
        .rule(Rule.builder("emails out").action(Action.REDACT).direction(Direction.RESPONSE).build())
        .build();

    assertThat(policy.rulesFor(Direction.REQUEST, "POST", "a.test", "/b")).extracting(Rule::name)
        .containsExactly("cards");
    assertThat(policy.rulesFor(Direction.RESPONSE, "GET", "b.test", "/a")).extracting(Rule::name)
        .containsExactly("cards", "emails out");
    assertThat(policy.rulesFor(Direction.RESPONSE, "GET", "b.test", "/a"))
        .isSameAs(policy.rulesFor(Direction.RESPONSE, "DELETE", "c.test", "/z"));
  }

  @Test
  void aRuleNamingOnlyHostsStillDependsOnTheRequest() {
    Rule internal = Rule.builder("internal hosts").action(Action.ALERT).hosts("*.internal").build();
    Policy policy = Policy.builder().rule(internal).build();

    assertThat(internal.dependsOnRequest()).isTrue();
    assertThat(Rule.builder("plain").action(Action.ALERT).build().dependsOnRequest()).isFalse();
    assertThat(policy.rulesFor(Direction.REQUEST, "GET", "db.internal", "/")).containsExactly(internal);
    assertThat(policy.rulesFor(Direction.REQUEST, "GET", "shop.example.com", "/")).isEmpty();
  }

  @Test
  void defaultPolicyHasNoRulesClientIpIdentityAndEnforces() {
    Policy policy = Policy.ofDefault();
    assertThat(policy.rules()).isEmpty();
    assertThat(policy.rulesFor(Direction.REQUEST, "GET", "h", "/")).isEmpty();
    assertThat(policy.identitySources()).containsExactly(IdentitySource.clientIp());
    assertThat(policy.enforce()).isTrue();
    assertThat(policy.onUninspectable()).isNull();
    assertThat(Policy.builder().build().identitySources())
        .containsExactly(new IdentitySource.ClientIp(List.of()));
  }

  @Test
  void builderSetsIdentityEnforceAndOnUninspectable() {
    Policy policy = Policy.builder()
        .identitySource(IdentitySource.jwt("X-Token", "email"))
        .identitySource(IdentitySource.header("X-Api-Key"))
        .identitySource(IdentitySource.clientIp(List.of("10.0.0.0/8")))
        .enforce(false)
        .onUninspectable(Policy.OnUninspectable.ALLOW)
        .build();
    assertThat(policy.identitySources()).containsExactly(
        new IdentitySource.Jwt("X-Token", "email"), new IdentitySource.Header("X-Api-Key"),
        new IdentitySource.ClientIp(List.of("10.0.0.0/8")));
    assertThat(policy.enforce()).isFalse();
    assertThat(policy.onUninspectable()).isEqualTo(Policy.OnUninspectable.ALLOW);
    assertThat(policy.toString()).endsWith(", 0 rules, shadow}");
  }

  @Test
  void duplicateRuleNamesAreRefused() {
    Rule a = Rule.builder("same").action(Action.OBSERVE).build();
    Rule b = Rule.builder("same").action(Action.BLOCK).build();
    assertThatThrownBy(() -> Policy.builder().rule(a).rule(b).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rule name: same (expected: a unique rule name)");
  }

  @Test
  void ruleCategoriesMustBeKnown() {
    Rule rule = Rule.builder("r").action(Action.BLOCK).categories("credit_cards").build();
    assertThatThrownBy(() -> Policy.builder().rule(rule).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rule r: category: credit_cards (expected: a built-in or custom category id)");

    Rule custom = Rule.builder("c").action(Action.BLOCK).categories("employee_id").build();
    Policy policy = Policy.builder()
        .detector(DetectorDefinition.builder("employee_id.main", "employee_id", "EMP-[0-9]{6}")
            .build())
        .rule(custom).build();
    assertThat(policy.rules()).containsExactly(custom);
  }

  @Test
  void aRedactRuleNamingThePathOrHostIsRefusedAtItsPosition() {
    PolicyException e = PolicyErrors.error("""
        version: 1
        rules:
          - name: mask ids
            match: { direction: request, parts: [query, path] }
            action: redact
          - name: mask hosts
            match: { parts: [host] }
            action: redact
        """);
    PolicyErrors.assertPosition(e, 4, 49);
    assertThat(e.getMessage()).contains("rules[0].match.parts[1] (rule 'mask ids'): 'path' with"
        + " action redact (expected: block, alert or observe for the path")
        .contains("p.yaml:7:")
        .contains("rules[1].match.parts[0] (rule 'mask hosts'): 'host' with action redact");
    assertThatThrownBy(() -> Rule.builder("r").action(Action.REDACT).parts(List.of("path"))
        .build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("rule r: parts:");
  }

  @Test
  void partsNameWhereARuleLooksAndBlockRulesMayNameThePath() {
    Policy policy = Policy.parse("""
        version: 1
        rules:
          - { name: ids in urls, match: { parts: [path, host, query] }, action: block }
          - { name: everywhere, action: redact }
        """, "p.yaml");
    Rule urls = policy.rules().get(0);
    assertThat(urls.parts()).containsExactlyInAnyOrder("path", "host", "query");
    assertThat(urls.coversPart("path")).isTrue();
    assertThat(urls.coversPart("body")).isFalse();
    assertThat(urls.toString()).contains("parts=[host, path, query]");
    assertThat(policy.rules().get(1).parts()).isEmpty();
    assertThat(policy.rules().get(1).coversPart("path")).isTrue();
    assertThat(PolicyErrors.error("""
        version: 1
        rules:
          - { name: r, match: { parts: [cookies] }, action: block }
        """).line()).isEqualTo(3);
  }

  @Test
  void identitySourcesValidateTheirConfiguration() {
    assertThat(IdentitySource.jwt()).isEqualTo(new IdentitySource.Jwt("Authorization", "sub"));
    assertThatThrownBy(() -> IdentitySource.header("X Api Key"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name: 'X Api Key' (expected: an HTTP header name such as X-Api-Key)");
    assertThatThrownBy(() -> IdentitySource.jwt("Authorization", ""))
        .hasMessage("claim: '' (expected: a claim name such as sub)");
    assertThatThrownBy(() -> IdentitySource.clientIp(List.of("10.0.0.0")))
        .hasMessage("trusted_proxies: '10.0.0.0' (expected: a CIDR block such as 10.0.0.0/8 or"
            + " fd00::/8)");
    assertThatThrownBy(() -> IdentitySource.header(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> Policy.builder().identitySource(null)).hasMessage("source");
    assertThatThrownBy(() -> Policy.builder().rule(null)).hasMessage("rule");
    assertThatThrownBy(() -> POLICY.rulesFor(null, "GET", "h", "/")).hasMessage("direction");
  }

  @Test
  void actionIdsRoundTrip() {
    for (Action a : Action.values()) {
      assertThat(Action.ofId(a.id())).isEqualTo(a);
    }
    assertThatThrownBy(() -> Action.ofId("drop"))
        .hasMessage("action: drop (expected: observe, redact, block or alert)");
  }

  private static List<String> names(Direction d, String method, String host, String path) {
    return POLICY.rulesFor(d, method, host, path).stream().map(Rule::name).toList();
  }
}
