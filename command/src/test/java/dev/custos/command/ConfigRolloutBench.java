package dev.custos.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import dev.custos.proxy.CustosProxy;
import dev.custos.proxy.ProxyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures how long a configuration rollout takes to reach the fleet: a command plane (SQLite)
 * and several real proxies long-polling {@code GET /api/v1/proxy/config}; each round stores a
 * new configuration version and rolls it out to every proxy, and the time from the rollout's
 * {@code 201} until every proxy serves it (its reported version changed) is recorded. Rounds are
 * 500 ms apart, so that every proxy is back in its long poll (a puller waits 200 ms between two
 * pulls) and a round measures the wake-up, the pull, the validation and the atomic apply. Prints
 * the median, 90th percentile and maximum over the rounds.
 *
 * <p>Usage (see {@code bench/config-rollout.sh}): {@code ConfigRolloutBench PROXIES ROUNDS}.
 */
public final class ConfigRolloutBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "proxy-token-0123456789";
  private static final String API_TOKEN = "api-token-9876543210";

  private ConfigRolloutBench() {}

  public static void main(String[] args) throws Exception {
    int proxies = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    Path dir = Files.createTempDirectory("custos-config-rollout-bench");
    Files.writeString(dir.resolve("token"), TOKEN + "\n");
    CommandConfig config = CommandConfig.parse("""
        listen: 127.0.0.1:0
        tokens:
          - { name: edge, sha256: %s }
        api_tokens:
          - { name: alice, sha256: %s, role: admin }
        """.formatted(CommandPlaneTest.sha256(TOKEN), CommandPlaneTest.sha256(API_TOKEN)),
        "command.yaml", dir);
    List<CustosProxy> fleet = new ArrayList<>();
    try (CommandPlane plane = CommandPlane.builder(config).build()) {
      plane.start();
      for (int i = 0; i < proxies; i++) {
        Path folder = Files.createDirectories(dir.resolve("gw-" + i));
        Files.writeString(folder.resolve("token"), TOKEN + "\n");
        fleet.add(CustosProxy.builder(ProxyConfig.parse(bootstrap(plane.activePort(), i),
            "custos.yaml", folder)).watch(false).build().start());
      }
      WebClient api = WebClient.of("http://127.0.0.1:" + plane.activePort());
      long[] nanos = new long[rounds];
      for (int r = 0; r < rounds; r++) {
        // Each version renames the route: a change a reload applies live.
        String body = "listen: 127.0.0.1:0\nfindings: { file: off }\nroutes:\n  - { name: api-"
            + (r + 1) + ", match: { prefix: / }, cluster: u }\nclusters:\n  u: { endpoints:"
            + " [\"127.0.0.1:9\"] }\n";
        check(post(api, "/api/v1/configs/edge/versions",
            JSON.createObjectNode().put("body", body).toString()), HttpStatus.CREATED);
        String label = "edge@" + (r + 1) + "/";
        long start = System.nanoTime();
        check(post(api, "/api/v1/rollouts", "{\"config\":\"edge\",\"version\":" + (r + 1)
            + ",\"proxies\":[\"*\"]}"), HttpStatus.CREATED);
        for (CustosProxy p : fleet) {
          while (!p.config().version().startsWith(label)) {
            LockSupport.parkNanos(100_000);
          }
        }
        nanos[r] = System.nanoTime() - start;
        // A puller waits 200 ms between two pulls: let every proxy be back in its long poll.
        Thread.sleep(500);
      }
      Arrays.sort(nanos);
      System.out.printf("%d proxies, %d rollouts: from the rollout's 201 to every proxy serving"
          + " it: median %.1f ms, p90 %.1f ms, max %.1f ms%n", proxies, rounds,
          nanos[rounds / 2] / 1e6, nanos[Math.min(rounds - 1, rounds * 9 / 10)] / 1e6,
          nanos[rounds - 1] / 1e6);
    } finally {
      fleet.forEach(CustosProxy::stop);
    }
  }

  private static String bootstrap(int planePort, int i) {
    return """
        listen: 127.0.0.1:0
        findings: { file: off }
        command:
          url: http://127.0.0.1:%d
          token_file: token
          spool_dir: spool
          proxy_id: gw-%d
          config: { wait: 30s }
        routes:
          - { name: api, match: { prefix: / }, cluster: u }
        clusters:
          u: { endpoints: ["127.0.0.1:9"] }
        """.formatted(planePort, i);
  }

  private static AggregatedHttpResponse post(WebClient api, String path, String json) {
    return api.execute(HttpRequest.of(RequestHeaders.builder(HttpMethod.POST, path)
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + API_TOKEN)
        .contentType(MediaType.JSON_UTF_8).build(), HttpData.ofUtf8(json))).aggregate().join();
  }

  private static void check(AggregatedHttpResponse res, HttpStatus expected) {
    if (!res.status().equals(expected)) {
      throw new IllegalStateException(res.status() + ": " + res.contentUtf8());
    }
  }
}
