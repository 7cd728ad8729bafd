package dev.custos.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.Server;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Policy;
import dev.custos.proxy.CustosProxy;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.BossGroups;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real proxy sends its findings events to a real command plane: each flow row names the
 * cluster the request went to (the one a split route chose) and the caller's service (the name
 * of the verified API key), and a caller without a verified identity has no service.
 */
class FlowClusterAndServiceTest {
  static final String CARD = "4111111111111111";
  static final String BILLING_KEY = "billing-key-0123456789";

  @TempDir
  Path dir;

  @Test
  void flowRowsCarryTheChosenClusterAndTheVerifiedCallersService() throws Exception {
    Server upstream = Server.builder().bossGroupFactory(BossGroups::newBossGroup).http(0).serviceUnder("/", (ctx, req) ->
        HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, "{\"card\":\"" + CARD + "\"}"))
        .build();
    upstream.start().join();
    try (CommandPlane plane = CommandPlane.builder(CommandPlaneTest.config(dir)).build()) {
      plane.start();
      Files.writeString(dir.resolve("proxy.token"), CommandPlaneTest.TOKEN);
      ProxyConfig config = ProxyConfig.parse("""
          listen: 127.0.0.1:0
          findings: { file: off }
          authn:
            api_keys:
              header: x-api-key
              keys:
                - { name: billing, sha256: %s, routes: [keyed] }
          command:
            url: http://127.0.0.1:%d
            token_file: proxy.token
            spool_dir: spool
            proxy_id: edge-1
            linger: 10ms
          routes:
            - name: keyed
              match: { prefix: /keyed }
              split:
                clusters:
                  - { cluster: stable, weight: 0 }
                  - { cluster: canary, weight: 1, canary: true }
              authn: { require: [api_key] }
            - name: open
              match: { prefix: / }
              cluster: stable
          clusters:
            stable: { endpoints: ["127.0.0.1:%3$d"] }
            canary: { endpoints: ["127.0.0.1:%3$d"] }
          policy:
            version: 1
            disable: [%4$s]
            rules:
              - { name: cards, categories: [credit_card], action: observe }
          """.formatted(CommandPlaneTest.sha256(BILLING_KEY), plane.activePort(),
          upstream.activeLocalPort(), String.join(", ", otherCategories())),
          "custos.yaml", dir);
      try (CustosProxy proxy = CustosProxy.builder(config).watch(false).build().start()) {
        WebClient client = WebClient.of("http://127.0.0.1:" + proxy.activeHttpPort());
        // A request without a body is inspected in full before it is forwarded: its event still
        // names the cluster the split then sends it to.
        assertThat(client.execute(RequestHeaders.builder(HttpMethod.GET, "/keyed?card=" + CARD)
            .set("x-api-key", BILLING_KEY).build()).aggregate().join().status())
            .isEqualTo(HttpStatus.OK);
        assertThat(client.get("/open").aggregate().join().status()).isEqualTo(HttpStatus.OK);

        WebClient api = WebClient.builder("http://127.0.0.1:" + plane.activePort())
            .addHeader(HttpHeaderNames.AUTHORIZATION, "Bearer " + CommandPlaneTest.API_TOKEN)
            .build();
        List<JsonNode> flows = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          AggregatedHttpResponse r = api.get("/api/v1/flows?from=2000-01-01T00:00:00Z")
              .aggregate().join();
          flows.clear();
          CommandPlaneTest.JSON.readTree(r.contentUtf8()).get("flows").forEach(flows::add);
          return flows.size() >= 3;
        });
        assertThat(flows).extracting(f -> f.get("route").asText() + " "
                + f.get("direction").asText() + " " + f.get("cluster").asText() + " "
                + f.get("service").asText())
            .containsExactlyInAnyOrder(
                "keyed request canary billing",
                "keyed response canary billing",
                "open response stable null");
        assertThat(flows.toString()).doesNotContain(CARD).doesNotContain(BILLING_KEY);
      }
    } finally {
      upstream.stop().join();
    }
  }

  /** Returns every category but the card's: compiling the whole catalog is slow. */
  static List<String> otherCategories() {
    TreeSet<String> others = new TreeSet<>();
    for (DetectorDefinition d : Policy.ofDefault().detectors()) {
      if (!d.category().equals("credit_card")) {
        others.add(d.category());
      }
    }
    return List.copyOf(others);
  }
}
