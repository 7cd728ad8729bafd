package dev.custos.command.internal.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custos.command.AlertsConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** The webhook body: Slack's shape, whatever the names in it. */
class SlackMessageTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final AlertsConfig.Rule SPIKE = new AlertsConfig.Rule("spike",
      AlertsConfig.Kind.BLOCKED_SPIKE, Duration.ofMinutes(5), Duration.ZERO, 5, 0, 3,
      AlertsConfig.GroupBy.ROUTE, "", "", "", List.of());

  static String unescape(String s) {
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
  }

  @Property(tries = 300)
  void anyRouteGivesSlackJsonWithItsMarkupEscaped(@ForAll @StringLength(min = 1, max = 80)
      String route) throws Exception {
    Map<String, String> subject = new LinkedHashMap<>();
    subject.put("route", route);
    String summary = SlackMessage.summary(SPIKE, subject, 7, Map.of("threshold", 5));
    Alert a = new Alert("0123456789abcdef0123456789abcdef", "spike", "blocked_spike", subject,
        0, "firing", 7, Map.of("threshold", 5), summary, 0, 0, null, "pending", "");

    JsonNode body = JSON.readTree(SlackMessage.body(false, a, SPIKE, summary, 0));

    String text = body.get("text").asText();
    assertThat(text).doesNotContain("<").doesNotContain(">");
    assertThat(unescape(text)).isEqualTo("[FIRING] spike (blocked_spike): " + summary);
    assertThat(body.get("blocks")).hasSize(3);
    for (JsonNode block : body.get("blocks")) {
      assertThat(block.get("type").asText()).isIn("section", "context");
      assertThat(block.toString()).doesNotContain("<").doesNotContain(">");
    }
    assertThat(unescape(body.get("blocks").get(1).get("fields").get(0).get("text").asText()))
        .isEqualTo("*route*\n" + route);
  }

  @Test
  void slackMarkupCharactersAreEscaped() {
    assertThat(SlackMessage.escape("<!channel> & <https://x|y>"))
        .isEqualTo("&lt;!channel&gt; &amp; &lt;https://x|y&gt;");
  }
}
