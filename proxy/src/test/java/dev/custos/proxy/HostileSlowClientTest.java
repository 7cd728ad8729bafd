package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;

import dev.custos.proxy.internal.BossGroups;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input suite's slow-client family: a request body that stops sending, or trickles a
 * byte at a time for longer than the route's timeout, is cut (HTTP/1.1 and HTTP/2), the planted
 * value it carried never reaches the upstream, and the proxy keeps serving.
 */
class HostileSlowClientTest {
  private static final String ROUTE = """
        - name: api
          match: { prefix: / }
          cluster: u
          timeout: 3s
      """;

  @TempDir
  Path dir;

  @Test
  void aRequestBodyThatStopsSendingIsCutWith408() throws Exception {
    try (HostileProxy p = HostileProxy.start(dir, ROUTE, "request_body_idle_timeout: 1s")) {
      try (Socket s = new Socket("127.0.0.1", p.port())) {
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        out.write(("POST /submit HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json"
            + "\r\nContent-Length: 1000\r\n\r\n{\"ssn\":\"" + HostileProxy.SSN)
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // Nothing more is sent: the proxy must answer (or close) on its own.
        String answer = readUntilClosedOrAnswered(s.getInputStream());
        assertThat(answer).startsWith("HTTP/1.1 408").contains("request body timeout");
      }
      p.assertStillServes();
      p.assertNeverLeaked(HostileProxy.SSN);
    }
  }

  @Test
  void aRequestBodyTricklingForLongerThanTheRouteTimeoutIsCut() throws Exception {
    try (HostileProxy p = HostileProxy.start(dir, ROUTE, "request_body_idle_timeout: 2s")) {
      AtomicBoolean stop = new AtomicBoolean();
      try (Socket s = new Socket("127.0.0.1", p.port())) {
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        byte[] body = ("{\"ssn\":\"" + HostileProxy.SSN + "\"," + " ".repeat(10_000) + "}")
            .getBytes(StandardCharsets.US_ASCII);
        out.write(("POST /submit HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json"
            + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        Thread trickler = new Thread(() -> {
          try {
            // One byte every 200 ms: never idle for request_body_idle_timeout, never done.
            for (int i = 0; i < body.length && !stop.get(); i++) {
              out.write(body[i]);
              out.flush();
              Thread.sleep(200);
            }
          } catch (IOException | InterruptedException e) {
            // Cut by the proxy.
          }
        }, "trickler");
        trickler.setDaemon(true);
        trickler.start();
        String answer = readUntilClosedOrAnswered(s.getInputStream());
        assertThat(answer).matches("(?s)HTTP/1\\.1 (408|504) .*|");
      } finally {
        stop.set(true);
      }
      p.assertStillServes();
      p.assertNeverLeaked(HostileProxy.SSN);
    }
  }

  @Test
  void anHttp2StreamWhoseBodyStopsIsEnded() throws Exception {
    try (HostileProxy p = HostileProxy.start(dir, ROUTE, "request_body_idle_timeout: 1s")) {
      try (Socket s = new Socket("127.0.0.1", p.port())) {
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        out.write(H2Frames.PREFACE);
        out.write(H2Frames.frame(H2Frames.SETTINGS, 0, 0, new byte[0]));
        byte[] headers = H2Frames.getHeaders("127.0.0.1:" + p.port(), "/submit",
            "content-type", "application/json", "content-length", "1000");
        headers[0] = (byte) 0x83; // :method POST (static index 3)
        out.write(H2Frames.frame(H2Frames.HEADERS, H2Frames.END_HEADERS, 1, headers));
        out.write(H2Frames.frame(H2Frames.DATA, 0, 1,
            ("{\"ssn\":\"" + HostileProxy.SSN).getBytes(StandardCharsets.US_ASCII)));
        out.flush();

        boolean ended = false;
        while (!ended) {
          H2Frames.Frame f = H2Frames.read(in);
          if (f.type() == H2Frames.GOAWAY) {
            ended = true;
          } else if (f.stream() == 1 && (f.type() == H2Frames.RST_STREAM
              || (f.flags() & H2Frames.END_STREAM) != 0)) {
            ended = true;
          } else if (f.type() == H2Frames.SETTINGS && (f.flags() & 1) == 0) {
            out.write(H2Frames.frame(H2Frames.SETTINGS, 1, 0, new byte[0]));
            out.flush();
          }
        }
      }
      p.assertStillServes();
      p.assertNeverLeaked(HostileProxy.SSN);
    }
  }

  @Test
  void aRequestBodyHeldBackByAnUpstreamThatStopsReadingIsNotCut() throws Exception {
    long size = 32L * 1024 * 1024;
    AtomicLong upstreamGot = new AtomicLong();
    CompletableFuture<Void> resume = new CompletableFuture<>();
    AtomicBoolean paused = new AtomicBoolean();
    Server upstream = Server.builder().bossGroupFactory(BossGroups::newBossGroup)
        .http(new InetSocketAddress("127.0.0.1", 0))
        .requestTimeout(Duration.ZERO)
        .maxRequestLength(0)
        .service("/upload", (ctx, req) -> {
          CompletableFuture<HttpResponse> answer = new CompletableFuture<>();
          req.subscribe(new Subscriber<HttpObject>() {
            private Subscription s;

            @Override
            public void onSubscribe(Subscription s) {
              this.s = s;
              s.request(1);
            }

            @Override
            public void onNext(HttpObject obj) {
              if (obj instanceof HttpData data) {
                upstreamGot.addAndGet(data.length());
                data.close();
              }
              // Stops reading after the first MiB until the test resumes it.
              if (upstreamGot.get() >= 1024 * 1024 && !resume.isDone()) {
                paused.set(true);
                resume.thenRun(() -> s.request(1));
              } else {
                s.request(1);
              }
            }

            @Override
            public void onError(Throwable t) {
              answer.complete(HttpResponse.of(HttpStatus.INTERNAL_SERVER_ERROR));
            }

            @Override
            public void onComplete() {
              answer.complete(HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8,
                  "received " + upstreamGot.get()));
            }
          }, ctx.eventLoop());
          return HttpResponse.of(answer);
        })
        .build();
    upstream.start().join();
    String yaml = """
        listen: 127.0.0.1:0
        admin: 127.0.0.1:0
        findings: { file: off }
        request_body_idle_timeout: 1s
        routes:
          - { name: upload, match: { prefix: / }, cluster: u, timeout: 0s }
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - { name: ssn never goes upstream, match: { direction: request }, categories: [us_ssn], action: alert }
        """.formatted(upstream.activeLocalPort());
    AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    AtomicReference<Throwable> writeFailed = new AtomicReference<>();
    try (ProxyFixture p = ProxyFixture.start(dir, yaml);
        Socket s = new Socket()) {
      s.setSendBufferSize(64 * 1024);
      s.connect(new InetSocketAddress("127.0.0.1", p.proxy.activeHttpPort()));
      s.setSoTimeout(120_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Type:"
          + " application/octet-stream\r\nContent-Length: " + size + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      Thread writer = new Thread(() -> {
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'a');
        try {
          for (long sent = 0; sent < size; sent += chunk.length) {
            out.write(chunk);
            lastProgress.set(System.nanoTime());
          }
          out.flush();
        } catch (IOException e) {
          writeFailed.set(e);
        }
      }, "steady-sender");
      writer.setDaemon(true);
      writer.start();

      // The upstream stops reading; backpressure reaches the sender, whose writes block. It stays
      // blocked for three idle timeouts: the proxy, not asking for more, must not time it out.
      await().atMost(Duration.ofSeconds(60)).until(() -> paused.get()
          && System.nanoTime() - lastProgress.get() > Duration.ofSeconds(3).toNanos());
      assertThat(writeFailed.get()).isNull();
      resume.complete(null);

      String answer = readUntilClosedOrAnswered(s.getInputStream(), "received " + size);
      assertThat(answer).startsWith("HTTP/1.1 200").endsWith("received " + size);
      assertThat(writeFailed.get()).isNull();
    } finally {
      resume.complete(null);
      upstream.stop().join();
    }
  }

  /** Reads what the proxy sends until it closes, or a complete-looking answer has arrived. */
  private static String readUntilClosedOrAnswered(InputStream in) throws IOException {
    return readUntilClosedOrAnswered(in, "}");
  }

  /** Reads what the proxy sends until it closes, or an answer ending with {@code end} arrived. */
  private static String readUntilClosedOrAnswered(InputStream in, String end) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        got.write(buf, 0, n);
        String text = got.toString(StandardCharsets.UTF_8);
        int headersEnd = text.indexOf("\r\n\r\n");
        if (headersEnd >= 0 && text.endsWith(end)) {
          break;
        }
      }
    } catch (java.net.SocketException e) {
      // Reset by the proxy: what arrived before stands.
    }
    return got.toString(StandardCharsets.UTF_8);
  }
}
