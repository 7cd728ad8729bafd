package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.cli.internal.demo.Demo;
import dev.custos.cli.internal.demo.DemoUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class DemoCommandTest {
  @Test
  void demoOnceRedactsCardsBlocksSsnsAuthenticatesRateLimitsAndPrintsNoRawValue() throws IOException {
    java.nio.file.Path leftover = java.nio.file.Path.of("findings.jsonl");
    java.nio.file.Files.deleteIfExists(leftover);
    Cli.Result r = Cli.run("demo", "--once", "--port", "0", "--admin-port", "0");

    assertThat(r.code()).as(r.all()).isEqualTo(Main.OK);
    assertThat(leftover).as("the demo leaves no findings file in the working directory").doesNotExist();
    String out = r.out();
    assertThat(out.lines().findFirst()).hasValueSatisfying(
        first -> assertThat(first).startsWith("custos demo: compiling the policy"));
    assertThat(out).containsPattern("ready in [0-9.]+ s: upstream http://127\\.0\\.0\\.1:\\d+,"
        + " proxy http://127\\.0\\.0\\.1:\\d+, admin http://127\\.0\\.0\\.1:\\d+, command plane"
        + " http://127\\.0\\.0\\.1:\\d+");
    // Cards are redacted in the partial style: the last four digits stay.
    assertThat(out).contains("\"card\":\"**** **** **** 1111\"");
    // The demo's API key header is itself a (low-confidence, demo-spelled) credential finding.
    assertThat(out).containsPattern("GET  /api/users +demo-alice +200 +(?:request +observed"
        + " +generic_secret 1\\s+)?response +redacted +credit_card 4 \\(partial\\), us_ssn 4"
        + " \\(mask\\)");
    assertThat(out).containsPattern("observed +email 4");
    // A request carrying an SSN, the bulk export and the over-budget request are refused.
    assertThat(rowStatus(out, "POST /api/users", "request +blocked +us_ssn 1")).isEqualTo("403");
    assertThat(out).contains("{\"error\":\"blocked\",\"rule\":\"SSNs never go upstream\"}");
    assertThat(rowStatus(out, "GET  /api/export", "response +blocked +us_ssn 12")).isEqualTo("403");
    assertThat(rowStatus(out, "GET  /api/users/3", "response +blocked +credit_card 1 \\(rule"
        + " \"card budget per API key\"\\)")).isEqualTo("403");
    assertThat(out).containsPattern("GET  /api/users/3 +demo-bob +200");
    // The orders route: no API key is refused with 401 and a challenge, alice's key is served,
    // and a burst past the rate limit (3 per 10s for one caller) gets 429.
    assertThat(rowStatus(out, "GET  /api/orders", "authn +refused +no API key; challenge: ApiKey"
        + " realm=\"custos\", header=\"X-Api-Key\"")).isEqualTo("401");
    assertThat(out).contains("{\"error\":\"authentication required\",\"status\":401}");
    assertThat(out).containsPattern("GET  /api/orders +demo-alice +200 +(?:request +observed"
        + " +generic_secret 1\\s+)?authn +accepted +API key \"alice\"");
    assertThat(out).contains("\"id\":\"o-1001\"");
    assertThat(rowStatus(out, "GET  /api/orders", "authn +accepted .*\n +limit +refused +5 sent:"
        + " (200 )+429( 429)* \\(per_caller: 3 per 10s; Retry-After: \\d+ s\\)"))
        .isEqualTo("429");
    assertThat(out).contains("{\"error\":\"rate limit exceeded\",\"status\":429}");
    // The breaker's state, read from the proxy's meter registry.
    assertThat(out).containsPattern("Circuit breaker on cluster demo-upstream: closed \\(opens"
        + " after 5 failures in a row; custos_circuit_breaker_state in"
        + " http://127\\.0\\.0\\.1:\\d+/metrics\\)");
    assertThat(out).contains("custos demo: done (--once)");
    // The streamed completion's card, split across 20 events, is partially redacted in them.
    assertThat(out).contains("26 events, deltas joined: The card on file is **** **** **** 0004.");
    // The gRPC call's answer holds the card in a protobuf field, redacted in place.
    assertThat(out).containsPattern("GRPC /custos\\.demo\\.Users/GetUser +demo-dave +200 +(?:request"
        + " +observed +generic_secret 1\\s+)?response +redacted +credit_card 1 \\(partial\\)");
    assertThat(out).contains("grpc-status 0, {1: 1, 2: \"Ada Lovelace\", 3: \"**** **** **** 1111\"}");

    // The fleet: three services through two more routes; the SSN sent to payments is refused.
    assertThat(rowStatus(out, "POST " + Demo.PAYMENTS_PREFIX, "request +blocked +us_ssn 1"))
        .isEqualTo("403");
    assertThat(out).containsPattern("GET  /internal/profiles/1 +demo-storefront +200 +(?:request"
        + " +observed +generic_secret 1\\s+)?response +redacted +credit_card 1 \\(partial\\)");
    // The command plane took every event: the summary comes from its API after they were stored;
    // user 1's card went out through the demo and profiles routes, then into payments.
    assertThat(out).containsPattern("Dashboard: http://127\\.0\\.0\\.1:\\d+/ +\\(admin API token:"
        + " cdm_[0-9a-f]{48}\\)");
    Matcher summary = Pattern.compile("Command plane: (\\d+) events, (\\d+) flows; categories"
        + " ([^;]+); routes ([^;]+); services ([^;]+); one card \\(\\*+1111\\) seen at ([^\\n]+)")
        .matcher(out);
    assertThat(summary.find()).as(out).isTrue();
    assertThat(Integer.parseInt(summary.group(1))).isGreaterThan(20);
    assertThat(summary.group(3)).contains("credit_card", "email", "us_ssn");
    assertThat(summary.group(4)).contains("demo", "orders", "payments", "profiles");
    assertThat(summary.group(5)).isEqualTo("alice, analytics, billing, storefront");
    assertThat(summary.group(6)).isEqualTo("demo response, payments request, profiles response");

    List<String> raw = new ArrayList<>(DemoUpstream.sensitiveValues());
    List<Demo.Step> sent = new ArrayList<>(Demo.STEPS);
    sent.addAll(Demo.FLEET);
    for (Demo.Step step : sent) {
      Matcher ssn = Pattern.compile("\\d{3}-\\d{2}-\\d{4}").matcher(String.valueOf(step.jsonBody()));
      while (ssn.find()) {
        raw.add(ssn.group());
      }
    }
    assertThat(raw).hasSizeGreaterThan(DemoUpstream.EXPORT_SIZE);
    for (String value : raw) {
      assertThat(r.all()).doesNotContain(value).doesNotContain(value.replaceAll("[ -]", ""));
    }
  }

  @Test
  void aPortInUseExitsWith2AndOneLineNamingIt() throws IOException {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      int port = taken.getLocalPort();

      Cli.Result r = Cli.run("demo", "--once", "--upstream-port", Integer.toString(port),
          "--port", "0", "--admin-port", "0");

      assertThat(r.code()).isEqualTo(Main.ERROR);
      assertThat(r.err().strip().lines()).hasSize(1);
      assertThat(r.err()).startsWith("custos: cannot listen on 127.0.0.1:" + port
          + " (--upstream-port)");
    }
  }

  /** Returns the status of the request row whose request and first policy line match. */
  private static String rowStatus(String out, String request, String policy) {
    // A row may open with the request's own observed findings (the API key header) first.
    Matcher m = Pattern.compile(Pattern.quote(request) + " +\\S+ +(\\d{3}) +(?:request +observed"
            + " +generic_secret 1\\s+)?" + policy)
        .matcher(out);
    assertThat(m.find()).as("a row %s ... %s in:%n%s", request, policy, out).isTrue();
    return m.group(1);
  }
}
