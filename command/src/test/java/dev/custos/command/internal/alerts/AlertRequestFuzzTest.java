package dev.custos.command.internal.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.custos.command.AlertsConfig;
import dev.custos.command.CommandConfig;
import dev.custos.command.internal.config.AlertsBinder;
import dev.custos.engine.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Coverage-guided fuzzing of what admins send the alerts API: whatever the bytes, a rule body is
 * a checked rule or a {@link ConfigException} naming problems, and a silence body is a checked
 * silence or an {@link IllegalArgumentException} naming the field; nothing else escapes, and a
 * silence's refusal never echoes the input. Without {@code JAZZER_FUZZ} set, only the seeds in
 * {@code AlertRequestFuzzTestInputs/} run.
 */
class AlertRequestFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void rule(byte[] input) {
    String json = new String(input, StandardCharsets.UTF_8);
    try {
      AlertsConfig.Rule r = AlertsBinder.parseRule(json, Set.of("secops"),
          CommandConfig.Retention.DEFAULT);
      assertThat(r.id()).matches(AlertsConfig.NAME);
      assertThat(r.window().toMillis()).isGreaterThanOrEqualTo(60_000);
      assertThat(r.webhooks()).allMatch("secops"::equals);
      // What the API stores reads back as the same rule.
      assertThat(AlertsBinder.parseStoredRule(RuleJson.of(r).toString())).isEqualTo(r);
    } catch (ConfigException e) {
      assertThat(e.problems()).isNotEmpty();
    }
  }

  @FuzzTest(maxDuration = "30s")
  void silence(byte[] input) {
    String json = new String(input, StandardCharsets.UTF_8);
    long now = 1_796_000_000_000L;
    try {
      Silence s = AlertsApi.silence(AlertsApi.object(json), "fuzz", now);
      assertThat(s.endsMillis()).isGreaterThan(now);
      assertThat(s.endsMillis()).isGreaterThan(s.startsMillis());
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).matches("[a-z_, ]+: .*");
      if (json.length() >= 12) {
        assertThat(e.getMessage()).doesNotContain(json);
      }
    }
  }
}
