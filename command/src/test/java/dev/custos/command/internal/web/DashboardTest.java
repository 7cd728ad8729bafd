package dev.custos.command.internal.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import dev.custos.proxy.internal.BossGroups;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The dashboard's routes on a real server, with a small fixture bundle or none. */
class DashboardTest {
  private static final String FIXTURE = "dev/custos/command/internal/web/fixture";

  private Server server;

  @AfterEach
  void stop() {
    if (server != null) {
      // Without waiting out the acceptor thread's two-second quiet period: each test's server
      // has a port of its own.
      server.closeAsync();
    }
  }

  private WebClient start(String root) {
    ServerBuilder sb = Server.builder().bossGroupFactory(BossGroups::newBossGroup).http(0);
    Dashboard.addTo(sb, DashboardTest.class.getClassLoader(), root);
    server = sb.build();
    server.start().join();
    return WebClient.of("http://127.0.0.1:" + server.activeLocalPort());
  }

  private static AggregatedHttpResponse get(WebClient client, String path, String encoding) {
    return client.execute(RequestHeaders.builder(HttpMethod.GET, path)
        .set(HttpHeaderNames.ACCEPT_ENCODING, encoding).build()).aggregate().join();
  }

  @Test
  void pageIsRevalidatedOnEveryLoadAndCarriesAStrictContentSecurityPolicy() {
    WebClient client = start(FIXTURE);

    for (String path : new String[] {"/", "/index.html"}) {
      AggregatedHttpResponse res = get(client, path, "identity");

      assertThat(res.status()).as(path).isEqualTo(HttpStatus.OK);
      assertThat(res.contentType().toString()).startsWith("text/html");
      assertThat(res.contentUtf8()).contains("assets/app-0123abcd.js");
      assertThat(res.headers().get(HttpHeaderNames.CACHE_CONTROL)).contains("no-cache");
      String csp = res.headers().get("content-security-policy");
      assertThat(csp).isEqualTo(Dashboard.CSP).contains("default-src 'self'")
          .contains("script-src 'self';").doesNotContain("unsafe-inline", "unsafe-eval", "*");
      assertThat(res.headers().get("x-content-type-options")).isEqualTo("nosniff");
      assertThat(res.headers().get("x-frame-options")).isEqualTo("DENY");
    }
  }

  @Test
  void hashedAssetsAreCachedForEverAndSentCompressedWhenAccepted() {
    WebClient client = start(FIXTURE);

    AggregatedHttpResponse gz = get(client, "/assets/app-0123abcd.js", "gzip");
    AggregatedHttpResponse plain = get(client, "/assets/app-0123abcd.js", "identity");

    assertThat(gz.status()).isEqualTo(HttpStatus.OK);
    assertThat(gz.headers().get(HttpHeaderNames.CONTENT_ENCODING)).isEqualTo("gzip");
    assertThat(gz.headers().get(HttpHeaderNames.CACHE_CONTROL)).contains("immutable")
        .contains("max-age=31536000");
    assertThat(gz.headers().get("content-security-policy")).isEqualTo(Dashboard.CSP);
    assertThat(plain.status()).isEqualTo(HttpStatus.OK);
    assertThat(plain.headers().get(HttpHeaderNames.CONTENT_ENCODING)).isNull();
    assertThat(plain.contentUtf8()).isEqualTo("console.log(\"fixture\");\n");
    assertThat(plain.contentType().toString()).contains("javascript");
  }

  @Test
  void anAssetNotInTheBundleIsNotFound() {
    WebClient client = start(FIXTURE);

    assertThat(get(client, "/assets/app-ffffffff.js", "identity").status())
        .isEqualTo(HttpStatus.NOT_FOUND);
    assertThat(get(client, "/assets/../index.html", "identity").status())
        .isNotEqualTo(HttpStatus.OK);
  }

  @Test
  void aBuildWithoutTheBundleAnswers503SayingHowToBuildIt() {
    WebClient client = start("dev/custos/command/internal/web/no-such-bundle");

    AggregatedHttpResponse page = get(client, "/", "identity");
    AggregatedHttpResponse asset = get(client, "/assets/app-0123abcd.js", "identity");

    assertThat(page.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    assertThat(page.contentType().toString()).startsWith("text/html");
    assertThat(page.contentUtf8()).contains("-Dskip.npm", "npm ci", "command/src/main/web");
    assertThat(page.headers().get(HttpHeaderNames.CACHE_CONTROL)).isEqualTo("no-store");
    assertThat(asset.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
  }
}
