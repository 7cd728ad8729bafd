package dev.custos.engine.internal.policy;

import static dev.custos.engine.PolicyErrors.assertPosition;
import static dev.custos.engine.PolicyErrors.error;
import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.custos.engine.Action;
import dev.custos.engine.Direction;
import dev.custos.engine.IdentitySource;
import dev.custos.engine.Policy;
import dev.custos.engine.PolicyException;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.Rule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Rules, identity sources, enforce and on_uninspectable in policy YAML. */
class PolicyRulesParserTest {
  /** The example from the rules issue, exactly as written there. */
  static final String EXAMPLE = String.join("\n",
      "version: 1",
      "rules:",
      "  - name: cards are masked on the way out",
      "    match: { paths: ['/api/**'], direction: response }",
      "    categories: [credit_card]",
      "    action: redact",
      "    redact: { style: partial }",
      "  - name: bulk SSN export",
      "    categories: [us_ssn]",
      "    action: block",
      "    when: { per_message: { at_least: 10 } }",
      "  - name: card budget per caller",
      "    categories: [credit_card]",
      "    action: block",
      "    when: { per_identity: { distinct_at_least: 10, window: 1h } }",
      "identity:",
      "  - { from: jwt, header: Authorization, claim: sub }",
      "  - { from: header, name: X-Api-Key }",
      "  - { from: client_ip }",
      "enforce: true     # false = shadow mode: record what would have been done, change nothing",
      "");

  @Test
  void issueExampleParsesToRulesIdentitySourcesAndEnforce() {
    Policy policy = PolicyParser.parse(EXAMPLE, "policy.yaml");

    assertThat(policy.rules()).extracting(Rule::name).containsExactly(
        "cards are masked on the way out", "bulk SSN export", "card budget per caller");
    Rule cards = policy.rules().get(0);
    assertThat(cards.paths()).containsExactly("/api/**");
    assertThat(cards.directions()).containsExactly(Direction.RESPONSE);
    assertThat(cards.methods()).isEmpty();
    assertThat(cards.hosts()).isEmpty();
    assertThat(cards.categories()).containsExactly("credit_card");
    assertThat(cards.action()).isEqualTo(Action.REDACT);
    assertThat(cards.redactionStyle()).isEqualTo(RedactionStyle.PARTIAL);
    assertThat(cards.condition()).isEqualTo(Rule.Condition.always());

    Rule bulk = policy.rules().get(1);
    assertThat(bulk.directions()).containsExactlyInAnyOrder(Direction.REQUEST, Direction.RESPONSE);
    assertThat(bulk.paths()).isEmpty();
    assertThat(bulk.action()).isEqualTo(Action.BLOCK);
    assertThat(bulk.redactionStyle()).isNull();
    assertThat(bulk.condition().kind()).isEqualTo(Rule.Condition.Kind.PER_MESSAGE);
    assertThat(bulk.condition().threshold()).isEqualTo(10);
    assertThat(bulk.condition().window()).isNull();

    Rule budget = policy.rules().get(2);
    assertThat(budget.condition())
        .isEqualTo(Rule.Condition.perIdentityDistinctAtLeast(10, Duration.ofHours(1)));
    assertThat(budget.condition().isPerIdentity()).isTrue();

    assertThat(policy.identitySources()).containsExactly(
        new IdentitySource.Jwt("Authorization", "sub"),
        new IdentitySource.Header("X-Api-Key"),
        new IdentitySource.ClientIp(List.of()));
    assertThat(policy.enforce()).isTrue();
    assertThat(policy.onUninspectable()).isNull();

    assertThat(policy.rulesFor(Direction.RESPONSE, "GET", "shop.example.com", "/api/cards/1"))
        .extracting(Rule::name).containsExactly(
            "cards are masked on the way out", "bulk SSN export", "card budget per caller");
    assertThat(policy.rulesFor(Direction.REQUEST, "POST", "shop.example.com", "/api/cards"))
        .extracting(Rule::name).containsExactly("bulk SSN export", "card budget per caller");
  }

  @Test
  void absentKeysTakeTheirDefaults() {
    Policy policy = PolicyParser.parse(String.join("\n",
        "version: 1",
        "rules:",
        "  - name: r",
        "    action: redact",
        "  - name: s",
        "    action: alert",
        "    categories: []",
        "    match: { methods: [get, Post], hosts: ['API.example.com', '*.Internal'],"
            + " direction: both }",
        "  - name: t",
        "    action: observe",
        "    when: { per_identity: { at_least: 3, window: 30s } }",
        "identity:",
        "  - { from: jwt }",
        "  - { from: client_ip, trusted_proxies: ['10.0.0.0/8', 'fd00::/8'] }",
        "enforce: false",
        "on_uninspectable: block",
        ""), "p.yaml");

    Rule r = policy.rules().get(0);
    assertThat(r.redactionStyle()).isEqualTo(RedactionStyle.MASK);
    assertThat(r.categories()).isEmpty();
    assertThat(r.covers("anything")).isTrue();
    assertThat(r.directions()).hasSize(2);
    Rule s = policy.rules().get(1);
    assertThat(s.methods()).containsExactlyInAnyOrder("GET", "POST");
    assertThat(s.hosts()).containsExactly("api.example.com", "*.internal");
    assertThat(s.directions()).hasSize(2);
    assertThat(policy.rules().get(2).condition())
        .isEqualTo(Rule.Condition.perIdentityAtLeast(3, Duration.ofSeconds(30)));
    assertThat(policy.identitySources()).containsExactly(
        new IdentitySource.Jwt("Authorization", "sub"),
        new IdentitySource.ClientIp(List.of("10.0.0.0/8", "fd00::/8")));
    assertThat(policy.enforce()).isFalse();
    assertThat(policy.onUninspectable()).isEqualTo(Policy.OnUninspectable.BLOCK);

    Policy minimal = PolicyParser.parse("version: 1\n", "p.yaml");
    assertThat(minimal.rules()).isEmpty();
    assertThat(minimal.identitySources()).containsExactly(IdentitySource.clientIp());
    assertThat(minimal.enforce()).isTrue();
    assertThat(minimal.onUninspectable()).isNull();
  }

  @Test
  void rulesMayCoverCustomCategories() {
    Policy policy = PolicyParser.parse(String.join("\n",
        "version: 1",
        "categories:",
        "  employee_id:",
        "    detectors: [{regex: 'EMP-[0-9]{6}'}]",
        "rules:",
        "  - { name: staff, categories: [employee_id, email], action: alert }",
        ""), "p.yaml");
    assertThat(policy.rules().get(0).categories()).containsExactlyInAnyOrder("employee_id", "email");
  }

  @Test
  void durationsTakeEveryUnit() {
    for (var c : List.of(List.of("30s", Duration.ofSeconds(30)), List.of("5m", Duration.ofMinutes(5)),
        List.of("1h", Duration.ofHours(1)), List.of("1d", Duration.ofDays(1)))) {
      Policy policy = PolicyParser.parse(rule("when: { per_identity: { at_least: 1, window: "
          + c.get(0) + " } }"), "p.yaml");
      assertThat(policy.rules().get(0).condition().window()).isEqualTo(c.get(1));
    }
  }

  @Test
  void redactWithAnotherActionIsAnErrorAtTheRedactKey() {
    PolicyException e = error(String.join("\n",
        "version: 1",
        "rules:",
        "  - name: first",
        "    action: observe",
        "  - name: second",
        "    action: block",
        "    redact: { style: partial }",
        ""));
    assertPosition(e, 7, 5);
    assertThat(e.getMessage()).isEqualTo("p.yaml:7:5: rules[1].redact: only allowed with action"
        + " redact (expected: action: redact, or no redact key)");
  }

  @Test
  void duplicateRuleNamesPointAtTheSecond() {
    PolicyException e = error(String.join("\n",
        "version: 1",
        "rules:",
        "  - name: same",
        "    action: observe",
        "  - name: same",
        "    action: block",
        ""));
    assertPosition(e, 5, 11);
    assertThat(e.getMessage()).isEqualTo("p.yaml:5:11: rules[1].name: 'same' used twice"
        + " (expected: unique rule names; first at line 3, column 11)");
  }

  @Test
  void unknownCategoryInARulePointsAtTheItem() {
    PolicyException e = error(String.join("\n",
        "version: 1",
        "categories:",
        "  employee_id:",
        "    detectors: [{regex: 'EMP-[0-9]{6}'}]",
        "rules:",
        "  - name: cards",
        "    categories: [credit_card, credit_cards]",
        "    action: block",
        ""));
    assertPosition(e, 7, 31);
    assertThat(e.getMessage()).startsWith(
        "p.yaml:7:31: rules[0].categories[1]: 'credit_cards' (expected: a built-in category (")
        .contains("credit_card, ").endsWith(") or a custom category (employee_id))");
  }

  @Test
  void zeroWindowIsAnError() {
    PolicyException e = error(rule("when: { per_identity: { at_least: 5, window: 0s } }"));
    assertPosition(e, 6, 50);
    assertThat(e.getMessage()).isEqualTo("p.yaml:6:50: rules[0].when.per_identity.window: '0s'"
        + " (expected: a positive duration such as 30s, 5m, 1h or 1d)");
  }

  @Test
  void windowWithoutAUnitIsAnError() {
    PolicyException e = error(rule("when: { per_identity: { at_least: 5, window: 10 } }"));
    assertPosition(e, 6, 50);
    assertThat(e.getMessage()).startsWith("p.yaml:6:50: rules[0].when.per_identity.window: an"
        + " integer 10 (expected: a string");
    e = error(rule("when: { per_identity: { at_least: 5, window: 10w } }"));
    assertPosition(e, 6, 50);
    assertThat(e.getMessage()).isEqualTo("p.yaml:6:50: rules[0].when.per_identity.window: '10w'"
        + " (expected: matching ^[0-9]{1,9}[smhd]$)");
  }

  @Test
  void zeroThresholdIsAnError() {
    PolicyException e = error(rule("when: { per_message: { at_least: 0 } }"));
    assertPosition(e, 6, 38);
    assertThat(e.getMessage()).isEqualTo(
        "p.yaml:6:38: rules[0].when.per_message.at_least: 0 (expected: at least 1)");
    e = error(rule("when: { per_identity: { distinct_at_least: 0, window: 1h } }"));
    assertPosition(e, 6, 48);
    assertThat(e.getMessage()).startsWith(
        "p.yaml:6:48: rules[0].when.per_identity.distinct_at_least: 0 (expected: at least 1)");
  }

  @Test
  void bothThresholdsAreAnErrorAtTheSecond() {
    PolicyException e = error(
        rule("when: { per_identity: { at_least: 5, distinct_at_least: 5, window: 1h } }"));
    assertPosition(e, 6, 42);
    assertThat(e.getMessage()).isEqualTo("p.yaml:6:42: rules[0].when.per_identity: both"
        + " at_least and distinct_at_least (expected: one of them)");
  }

  @Test
  void missingThresholdOrConditionIsAnError() {
    PolicyException e = error(rule("when: { per_identity: { window: 1h } }"));
    assertPosition(e, 6, 27);
    assertThat(e.getMessage()).isEqualTo("p.yaml:6:27: rules[0].when.per_identity: no threshold"
        + " (expected: at_least or distinct_at_least)");

    e = error(rule("when: {}"));
    assertPosition(e, 6, 11);
    assertThat(e.getMessage()).isEqualTo(
        "p.yaml:6:11: rules[0].when: no condition (expected: per_message or per_identity)");

    e = error(rule("when: { per_message: { at_least: 2 }, per_identity: { at_least: 2, window: 1h } }"));
    assertPosition(e, 6, 43);
    assertThat(e.getMessage()).isEqualTo("p.yaml:6:43: rules[0].when: both per_message and"
        + " per_identity (expected: one of them)");
  }

  @Test
  void missingNameOrActionIsASchemaError() {
    PolicyException e = error("version: 1\nrules:\n  - { categories: [email] }\n");
    assertPosition(e, 3, 5);
    assertThat(e.getMessage()).isEqualTo("p.yaml:3:5: rules[0]: missing key 'name' in rule"
        + " (expected: required keys: name, action)\n"
        + "p.yaml:3:5: rules[0]: missing key 'action' in rule (expected: required keys: name, action)");
  }

  @Test
  void badActionDirectionAndStyleAreSchemaErrors() {
    PolicyException e = error(String.join("\n",
        "version: 1",
        "rules:",
        "  - name: r",
        "    match: { direction: outbound }",
        "    action: mask",
        "    redact: { style: stars }",
        ""));
    assertThat(e.getMessage().split("\n")).containsExactly(
        "p.yaml:4:25: rules[0].match.direction: 'outbound' (expected one of: request, response, both)",
        "p.yaml:5:13: rules[0].action: 'mask' (expected one of: observe, redact, block, alert)",
        "p.yaml:6:22: rules[0].redact.style: 'stars' (expected one of: mask, partial, hash)");
  }

  @Test
  void unknownKeysInsideRulesAreErrors() {
    PolicyException e = error(String.join("\n",
        "version: 1",
        "rules:",
        "  - name: r",
        "    action: block",
        "    match: { path: ['/api/**'] }",
        "    catgories: [email]",
        ""));
    assertThat(e.getMessage().split("\n")).containsExactly(
        "p.yaml:5:14: unknown key 'path' in match (expected one of: paths, methods, hosts,"
            + " parts, direction)",
        "p.yaml:6:5: unknown key 'catgories' in rule (expected one of: name, match, categories,"
            + " action, redact, when, min_confidence, allowlist)");
  }

  @Test
  void badGlobHostAndMethodPointAtTheItem() {
    PolicyException e = error(String.join("\n",
        "version: 1",
        "rules:",
        "  - name: r",
        "    action: block",
        "    match:",
        "      paths: ['/ok/**', '/users/{id}/cards', 'api/**', '/a**']",
        "      hosts: [ok.example.com, 'api.*.com']",
        ""));
    assertThat(e.getMessage().split("\n")).containsExactly(
        "p.yaml:6:25: rules[0].match.paths[1]: '/users/{id}/cards' (expected: literal characters,"
            + " * and ** only; no ?, [ ], { }, backslash or spaces)",
        "p.yaml:6:46: rules[0].match.paths[2]: 'api/**' (expected: a path glob starting with /)",
        "p.yaml:6:56: rules[0].match.paths[3]: '/a**' (expected: ** only as a whole segment, such"
            + " as /api/**)",
        "p.yaml:7:31: rules[0].match.hosts[1]: 'api.*.com' (expected: a host name such as"
            + " api.example.com or *.example.com; * only as a leading *.)");

    e = error(rule("match: { methods: ['GET', 'NOT A METHOD'] }"));
    assertThat(e.getMessage()).isEqualTo("p.yaml:6:31: rules[0].match.methods[1]: 'NOT A METHOD'"
        + " (expected: matching ^[!#$%&'*+.^_`|~0-9A-Za-z-]+$)");
  }

  @Test
  void identitySourceKeysDependOnFrom() {
    PolicyException e = error(String.join("\n",
        "version: 1",
        "identity:",
        "  - { from: header, claim: sub }",
        "  - { from: client_ip, header: X-Real-Ip }",
        "  - { from: cookie }",
        "  - { header: Authorization }",
        ""));
    assertThat(e.getMessage().split("\n")).containsExactly(
        "p.yaml:3:5: identity[0]: missing key 'name' in header identity source (expected:"
            + " required keys: from, name)",
        "p.yaml:3:21: unknown key 'claim' in header identity source (expected one of: from, name)",
        "p.yaml:4:24: unknown key 'header' in client_ip identity source (expected one of: from,"
            + " trusted_proxies)",
        "p.yaml:5:13: identity[2].from: 'cookie' (expected one of: jwt, header, client_ip)",
        "p.yaml:6:5: identity[3]: missing key 'from' in identity source (expected: required keys:"
            + " from)");
  }

  @Test
  void badIdentityValuesPointAtTheValue() {
    PolicyException e = error(String.join("\n",
        "version: 1",
        "identity:",
        "  - { from: client_ip, trusted_proxies: ['10.0.0.0/8', '10.0.0.300/8', 'fd00::/129'] }",
        "  - { from: header, name: 'X Api Key' }",
        "  - { from: jwt, header: 'Auth: x' }",
        ""));
    assertThat(e.getMessage().split("\n")).containsExactly(
        "p.yaml:3:56: identity[0].trusted_proxies[1]: '10.0.0.300/8' (expected: a CIDR block such"
            + " as 10.0.0.0/8 or fd00::/8)",
        "p.yaml:3:72: identity[0].trusted_proxies[2]: 'fd00::/129' (expected: a CIDR block such"
            + " as 10.0.0.0/8 or fd00::/8)",
        "p.yaml:4:27: identity[1].name: 'X Api Key' (expected: an HTTP header name such as"
            + " X-Api-Key)",
        "p.yaml:5:26: identity[2].header: 'Auth: x' (expected: an HTTP header name such as"
            + " X-Api-Key)");
  }

  @Test
  void emptyIdentityListAndBadEnforceAreSchemaErrors() {
    PolicyException e = error("version: 1\nidentity: []\nenforce: yes\non_uninspectable: drop\n");
    assertThat(e.getMessage().split("\n")).containsExactly(
        "p.yaml:2:11: identity: 0 items (expected: at least 1 item)",
        "p.yaml:3:10: enforce: a string 'yes' (expected: true or false)",
        "p.yaml:4:19: on_uninspectable: 'drop' (expected one of: allow, block)");
  }

  @Test
  void schemaAcceptsTheExampleAndRejectsUnknownKeysInsideRules() throws Exception {
    JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
        .getSchema(PolicySchema.readSchemaJson());
    YamlDocument doc = YamlDocument.parse(EXAMPLE, "p.yaml", 1 << 20);
    assertThat(schema.validate(doc.root())).isEmpty();

    YamlDocument bad = YamlDocument.parse(EXAMPLE.replace("action: block", "acton: block"),
        "p.yaml", 1 << 20);
    assertThat(schema.validate(bad.root())).extracting(m -> m.getType())
        .contains("additionalProperties");
  }

  @Test
  void ruleNamesAreEchoedButExcludeValuesAreNot() {
    String secret = "4111111111111111";
    PolicyException e = error(String.join("\n",
        "version: 1",
        "categories:",
        "  c:",
        "    detectors: [{regex: 'c[0-9]{4}', exclude: ['" + secret + "']}]",
        "rules:",
        "  - { name: visible name, categories: [nope], action: block }",
        ""));
    assertThat(e.getMessage()).doesNotContain(secret).contains("rules[0].categories[0]: 'nope'");
    assertThat(Set.of(e.line(), e.column())).containsExactlyInAnyOrder(6, 40);
  }

  @Test
  void exampleFileAndReadmeHoldWorkingRules() throws Exception {
    Policy policy = PolicyParser.parse(Path.of("..", "examples", "policies", "rules.yaml"));
    assertThat(policy.rules()).hasSize(4);
    assertThat(policy.onUninspectable()).isEqualTo(Policy.OnUninspectable.BLOCK);
    assertThat(policy.rulesFor(Direction.REQUEST, "PUT", "ops.internal", "/admin/keys"))
        .extracting(Rule::name).contains("secrets never go upstream from admin tools");

    String readme = Files.readString(Path.of("..", "README.md"));
    assertThat(readme).contains("```yaml\n" + EXAMPLE + "```");
  }

  /** Returns a policy whose one rule's last line (line 6) is {@code line}, indented by 4. */
  private static String rule(String line) {
    return "version: 1\nrules:\n  - name: r\n    categories: [email]\n    action: block\n    "
        + line + "\n";
  }
}
