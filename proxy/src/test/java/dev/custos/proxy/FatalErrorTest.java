package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.HttpService;
import java.nio.file.Path;
import java.time.Duration;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.ResponseHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An {@link Error} on a request path is logged in one line (without its message), answered with a
 * JSON 500, and turns {@code /readyz} and {@code /healthz} to 503: an orchestrator restarts the
 * proxy instead of sending traffic to a zombie. So does one that Armeria or Netty catch: wrapped in
 * a failed future, ending a response body already started, or raised in the channel pipeline.
 */
class FatalErrorTest {
  @TempDir
  Path dir;

  @Test
  void anErrorOnARequestPathMakesTheProxyUnreadyAndUnhealthy() throws Exception {
    try (CustosProxy proxy = start(builder -> builder
        .decorator(FilterStage.AUTHN, delegate -> (HttpService) (ctx, req) -> {
          if (ctx.path().equals("/boom")) {
            throw new OutOfMemoryError("EXAMPLE-secret-message");
          }
          return delegate.serve(ctx, req);
        }))) {
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
  }

  @Test
  void anErrorWrappedInAFailedFutureIsCounted() throws Exception {
    try (CustosProxy proxy = start(b -> b.decorator(FilterStage.AUTHN,
        delegate -> (HttpService) (ctx, req) -> ctx.path().equals("/boom")
            ? HttpResponse.of(CompletableFuture.supplyAsync(() -> {
              throw new OutOfMemoryError("EXAMPLE-secret-message");
            }))
            : delegate.serve(ctx, req)))) {
      AggregatedHttpResponse res = get(proxy, "/boom");
      assertThat(res.status()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
      assertUnready(proxy);
    }
  }

  @Test
  void anErrorInAResponseBodyAlreadyStartedIsCounted() throws Exception {
    try (CustosProxy proxy = start(b -> b.decorator(FilterStage.AUTHN,
        delegate -> (HttpService) (ctx, req) -> ctx.path().equals("/boom")
            ? HttpResponse.of(ResponseHeaders.of(HttpStatus.OK), HttpData.ofUtf8("part"))
                .mapData(d -> {
                  throw new StackOverflowError("EXAMPLE-secret-message");
                })
            : delegate.serve(ctx, req)))) {
      // The headers went out; the stream is cut: the client sees a failure, not a status.
      WebClient.builder("http://127.0.0.1:" + proxy.activeHttpPort())
          .responseTimeout(Duration.ofSeconds(30)).build().get("/boom").aggregate()
          .handle((r, t) -> null).join();
      assertUnready(proxy);
    }
  }

  @Test
  void anErrorRaisedWhileNettyDecodesAConnectionIsCounted() throws Exception {
    byte[] trigger = "x-custos-test-oom".getBytes(StandardCharsets.US_ASCII);
    try (CustosProxy proxy = start(b -> b.pipelineCustomizer(pipeline -> pipeline.addFirst(
        new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf
                && ByteBufUtil.indexOf(Unpooled.wrappedBuffer(trigger), buf) >= 0) {
              buf.release();
              throw new OutOfMemoryError("EXAMPLE-secret-message");
            }
            ctx.fireChannelRead(msg);
          }
        })))) {
      try (Socket s = new Socket("127.0.0.1", proxy.activeHttpPort())) {
        s.setSoTimeout(30_000);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        // A first request sets the connection up; the second one's bytes raise the Error.
        out.write("GET /healthy HTTP/1.1\r\nHost: example.test\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        assertThat(readHead(in)).startsWith("HTTP/1.1 ");
        out.write("GET /next HTTP/1.1\r\nHost: example.test\r\nx-custos-test-oom: 1\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        await().atMost(Duration.ofSeconds(30)).until(() -> !proxy.ready());
      }
      assertUnready(proxy);
    }
  }

  private CustosProxy start(java.util.function.UnaryOperator<CustosProxyBuilder> customize)
      throws Exception {
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
    return customize.apply(CustosProxy.builder(ProxyConfig.load(file))).build().start();
  }

  private static AggregatedHttpResponse get(CustosProxy proxy, String path) {
    return WebClient.builder("http://127.0.0.1:" + proxy.activeHttpPort())
        .responseTimeout(Duration.ofSeconds(30)).build().get(path).aggregate().join();
  }

  /** Checks that one Error was counted and both probes answer 503. */
  private static void assertUnready(CustosProxy proxy) {
    WebClient admin = WebClient.of("http://127.0.0.1:" + proxy.activeAdminPort().orElseThrow());
    await().atMost(Duration.ofSeconds(30)).until(() -> !proxy.ready());
    assertThat(admin.get("/readyz").aggregate().join().status())
        .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    assertThat(admin.get("/healthz").aggregate().join().status())
        .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    String metrics = admin.get("/metrics").aggregate().join().contentUtf8();
    assertThat(metrics).containsPattern("(?m)^custos_fatal_errors_total 1\\.0$");
    assertThat(metrics).doesNotContain("EXAMPLE");
  }

  /** Reads a response's head and the rest of what has arrived with it. */
  private static String readHead(InputStream in) throws java.io.IOException {
    StringBuilder sb = new StringBuilder();
    for (int c; (c = in.read()) >= 0; ) {
      sb.append((char) c);
      if (sb.indexOf("\r\n\r\n") >= 0) {
        break;
      }
    }
    return sb.toString();
  }
}
