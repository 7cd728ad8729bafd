package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.HttpService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An {@link Error} on a request path is logged in one line (without its message), answered with a
 * JSON 500, and turns {@code /readyz} and {@code /healthz} to 503: an orchestrator restarts the
 * proxy instead of sending traffic to a zombie.
 */
class FatalErrorTest {
  @TempDir
  Path dir;

  @Test
  void anErrorOnARequestPathMakesTheProxyUnreadyAndUnhealthy() throws Exception {
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        findings: { file: off }
        routes:
          - match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:9"] }
        policy: { version: 1 }
        """);
    try (CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(file))
        .decorator(FilterStage.AUTHN, delegate -> (HttpService) (ctx, req) -> {
          if (ctx.path().equals("/boom")) {
            throw new OutOfMemoryError("EXAMPLE-secret-message");
          }
          return delegate.serve(ctx, req);
        })
        .build()
        .start()) {
      WebClient admin = WebClient.of("http://127.0.0.1:" + proxy.activeAdminPort().orElseThrow());
      assertThat(admin.get("/readyz").aggregate().join().status()).isEqualTo(HttpStatus.OK);

      AggregatedHttpResponse res = WebClient.builder("http://127.0.0.1:" + proxy.activeHttpPort())
          .responseTimeout(Duration.ofSeconds(30)).build().get("/boom").aggregate().join();

      assertThat(res.status()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
      assertThat(res.contentUtf8()).doesNotContain("EXAMPLE");
      assertThat(proxy.ready()).isFalse();
      assertThat(admin.get("/readyz").aggregate().join().status())
          .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
      assertThat(admin.get("/healthz").aggregate().join().status())
          .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
      assertThat(admin.get("/metrics").aggregate().join().contentUtf8())
          .containsPattern("(?m)^custos_fatal_errors_total 1\\.0$");
    }
    assertThat(Files.exists(file)).isTrue();
  }
}
