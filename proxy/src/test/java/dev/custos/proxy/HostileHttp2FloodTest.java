package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile-input suite's HTTP/2 flood family, over raw h2c sockets: a client that floods
 * control frames without ever reading is cut once its queued acknowledgements pass the bound
 * (GOAWAY ENHANCE_YOUR_CALM, then close) while other clients and {@code /healthz} are served
 * throughout; streams beyond {@code http2_max_concurrent_streams} on one connection are refused
 * and never reach the upstream.
 */
class HostileHttp2FloodTest {
  /** Far more frames than the bound: a proxy without one would ACK every one of them. */
  private static final int MAX_FRAMES = 3_000_000;

  @TempDir
  Path dir;

  static Stream<Arguments> floods() {
    byte[] ping = H2Frames.frame(H2Frames.PING, 0, 0, "EXAMPLE!".getBytes());
    byte[] settings = H2Frames.frame(H2Frames.SETTINGS, 0, 0, new byte[0]);
    return Stream.of(Arguments.of("PING", ping), Arguments.of("SETTINGS", settings));
  }

  @ParameterizedTest(name = "{0} flood")
  @MethodSource("floods")
  void aControlFrameFloodFromAClientThatNeverReadsIsCut(String name, byte[] frame)
      throws Exception {
    try (HostileProxy p = HostileProxy.start(dir, HostileProxy.DEFAULT_ROUTE,
        "http2_max_queued_control_frames: 100")) {
      AtomicLong sent = new AtomicLong();
      AtomicReference<Throwable> ended = new AtomicReference<>();
      try (Socket s = new Socket()) {
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", p.port()));
        Thread flooder = new Thread(() -> {
          try {
            OutputStream out = s.getOutputStream();
            out.write(H2Frames.PREFACE);
            out.write(H2Frames.frame(H2Frames.SETTINGS, 0, 0, new byte[0]));
            byte[] batch = H2Frames.repeat(frame, 512);
            while (sent.get() < MAX_FRAMES) {
              out.write(batch);
              sent.addAndGet(512);
            }
            ended.set(new AssertionError("the proxy took " + sent.get() + " frames"));
          } catch (IOException e) {
            ended.set(e);
          }
        }, "h2-flooder");
        flooder.setDaemon(true);
        flooder.start();

        await().atMost(Duration.ofSeconds(60)).until(() -> sent.get() > 20_000
            || ended.get() != null);
        // Served throughout: the admin server and another client.
        assertThat(WebClient.of(p.proxy.admin()).get("/healthz").aggregate().join().status())
            .isEqualTo(HttpStatus.OK);
        p.assertStillServes();

        await().atMost(Duration.ofSeconds(60)).until(() -> ended.get() != null);
        assertThat(ended.get()).as("the flood ends because the proxy closed the connection")
            .isInstanceOf(IOException.class);
        assertThat(sent.get()).isLessThan(MAX_FRAMES);

        // What the proxy still sent: acknowledgements, perhaps the GOAWAY, then the end.
        List<H2Frames.Frame> goaways = goaways(s);
        for (H2Frames.Frame g : goaways) {
          assertThat(g.int32(4)).as("GOAWAY error code").isEqualTo(H2Frames.ENHANCE_YOUR_CALM);
        }
      }
      assertThat(WebClient.of(p.proxy.admin()).get("/readyz").aggregate().join().status())
          .isEqualTo(HttpStatus.OK);
      p.assertStillServes();
      assertThat(p.logOutput()).doesNotContain("OutOfMemoryError");
    }
  }

  @Test
  void streamsBeyondTheConcurrentLimitAreRefusedAndNeverReachTheUpstream() throws Exception {
    List<CompletableFuture<HttpResponse>> held = new CopyOnWriteArrayList<>();
    try (HostileProxy p = HostileProxy.start(dir, HostileProxy.DEFAULT_ROUTE,
        "http2_max_concurrent_streams: 2")) {
      p.respondWith(req -> {
        if (!req.path().startsWith("/held")) {
          return HttpResponse.of(HttpStatus.OK);
        }
        CompletableFuture<HttpResponse> f = new CompletableFuture<>();
        held.add(f);
        return HttpResponse.of(f);
      });
      try (Socket s = new Socket("127.0.0.1", p.port())) {
        s.setSoTimeout(30_000);
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        out.write(H2Frames.PREFACE);
        out.write(H2Frames.frame(H2Frames.SETTINGS, 0, 0, new byte[0]));
        H2Frames.Frame settings = H2Frames.read(in);
        assertThat(settings.type()).isEqualTo(H2Frames.SETTINGS);
        assertThat(setting(settings, H2Frames.SETTINGS_MAX_CONCURRENT_STREAMS)).isEqualTo(2);

        String authority = "127.0.0.1:" + p.port();
        for (int stream : new int[] {1, 3}) {
          out.write(H2Frames.frame(H2Frames.HEADERS, H2Frames.END_STREAM | H2Frames.END_HEADERS,
              stream, H2Frames.getHeaders(authority, "/held/" + stream)));
        }
        out.flush();
        await().atMost(Duration.ofSeconds(30)).until(() -> held.size() == 2);
        out.write(H2Frames.frame(H2Frames.HEADERS, H2Frames.END_STREAM | H2Frames.END_HEADERS, 5,
            H2Frames.getHeaders(authority, "/held/5", "x-note", HostileProxy.SSN)));
        out.flush();

        H2Frames.Frame refused = null;
        while (refused == null) {
          H2Frames.Frame f = H2Frames.read(in);
          if (f.type() == H2Frames.RST_STREAM && f.stream() == 5) {
            refused = f;
          }
        }
        assertThat(refused.int32(0)).as("RST_STREAM error code")
            .isEqualTo(H2Frames.REFUSED_STREAM);
        assertThat(p.received).hasSize(2);
      } finally {
        held.forEach(f -> f.complete(HttpResponse.of(HttpStatus.OK)));
      }
      p.assertStillServes();
      p.assertNeverLeaked(HostileProxy.SSN);
    }
  }

  private static long setting(H2Frames.Frame settings, int id) {
    byte[] b = settings.payload();
    for (int i = 0; i + 6 <= b.length; i += 6) {
      if ((((b[i] & 0xff) << 8) | (b[i + 1] & 0xff)) == id) {
        return settings.int32(i + 2) & 0xffffffffL;
      }
    }
    return -1;
  }

  /** Reads what is left on a flooded connection and returns its GOAWAY frames. */
  private static List<H2Frames.Frame> goaways(Socket s) {
    List<H2Frames.Frame> found = new ArrayList<>();
    try {
      s.setSoTimeout(10_000);
      DataInputStream in = new DataInputStream(s.getInputStream());
      while (true) {
        H2Frames.Frame f = H2Frames.read(in);
        if (f.type() == H2Frames.GOAWAY) {
          found.add(f);
        }
      }
    } catch (IOException e) {
      // The end of the connection (closed or reset).
    }
    return found;
  }
}
