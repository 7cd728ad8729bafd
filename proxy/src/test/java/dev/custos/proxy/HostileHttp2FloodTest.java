package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
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
 * and never reach the upstream. Rapid reset, empty DATA frames, PRIORITY and WINDOW_UPDATE floods
 * and header blocks continued forever end with GOAWAY, and the proxy serves others afterwards; a
 * client that grants window for every DATA frame it reads is not mistaken for a flood.
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

  @Test
  void rapidResetPastTheLimitGetsGoawayAndTheProxyKeepsServing() throws Exception {
    try (HostileProxy p = HostileProxy.start(dir, HostileProxy.DEFAULT_ROUTE,
        "http2_max_resets_per_minute: 50")) {
      String authority = "127.0.0.1:" + p.port();
      // CVE-2023-44487: each stream is opened and cancelled at once, so none counts as concurrent.
      Flood f = flood(p.port(), new byte[0], i -> {
        byte[] batch = new byte[0];
        for (int j = 0; j < 64; j++) {
          int stream = 2 * (64 * i + j) + 1;
          batch = concat(batch, concat(H2Frames.frame(H2Frames.HEADERS,
              H2Frames.END_STREAM | H2Frames.END_HEADERS, stream,
              H2Frames.getHeaders(authority, "/rapid-reset/" + stream)),
              H2Frames.int32Frame(H2Frames.RST_STREAM, stream, H2Frames.CANCEL)));
        }
        return batch;
      }, 20_000);
      assertEndedWithEnhanceYourCalm(f, 20_000);
      p.assertStillServes();
    }
  }

  @Test
  void emptyDataFramesGetGoawayAndNeverReachTheUpstream() throws Exception {
    try (HostileProxy p = HostileProxy.start(dir)) {
      byte[] headers = H2Frames.getHeaders("127.0.0.1:" + p.port(), "/upload",
          "content-type", "application/json");
      headers[0] = (byte) 0x83; // :method POST (static index 3)
      // CVE-2019-9518: zero-length DATA frames that never end the stream.
      byte[] empty = H2Frames.repeat(H2Frames.frame(H2Frames.DATA, 0, 1, new byte[0]), 256);
      Flood f = flood(p.port(), H2Frames.frame(H2Frames.HEADERS, H2Frames.END_HEADERS, 1, headers),
          i -> empty, 100_000);
      assertEndedWithEnhanceYourCalm(f, 100_000);
      p.assertStillServes();
      assertThat(p.received).noneMatch(r -> r.path().equals("/upload"));
    }
  }

  @Test
  void aPriorityFloodGetsGoawayUnderTheDefaultLimit() throws Exception {
    try (HostileProxy p = HostileProxy.start(dir)) {
      byte[] batch = new byte[0];
      for (int j = 0; j < 256; j++) {
        batch = concat(batch, H2Frames.priority(2 * j + 1, 0, 16));
      }
      byte[] frames = batch;
      Flood f = flood(p.port(), new byte[0], i -> frames, 100_000);
      assertEndedWithEnhanceYourCalm(f, 100_000);
      p.assertStillServes();
    }
  }

  @Test
  void aWindowUpdateFloodGetsGoawayUnderTheDefaultLimit() throws Exception {
    try (HostileProxy p = HostileProxy.start(dir)) {
      byte[] batch = H2Frames.repeat(H2Frames.int32Frame(H2Frames.WINDOW_UPDATE, 0, 1), 256);
      Flood f = flood(p.port(), new byte[0], i -> batch, 100_000);
      assertEndedWithEnhanceYourCalm(f, 100_000);
      p.assertStillServes();
    }
  }

  @Test
  void aClientGrantingWindowForEveryDataFrameIsNotTakenForAFlood() throws Exception {
    byte[] big = new byte[2 * 1024 * 1024];
    java.util.Arrays.fill(big, (byte) 'a');
    try (HostileProxy p = HostileProxy.start(dir)) {
      p.respondWith(req -> HttpResponse.of(HttpStatus.OK, MediaType.OCTET_STREAM, big));
      try (Socket s = new Socket("127.0.0.1", p.port())) {
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        out.write(H2Frames.PREFACE);
        out.write(H2Frames.frame(H2Frames.SETTINGS, 0, 0, new byte[0]));
        out.write(H2Frames.frame(H2Frames.HEADERS, H2Frames.END_STREAM | H2Frames.END_HEADERS, 1,
            H2Frames.getHeaders("127.0.0.1:" + p.port(), "/download")));
        out.flush();
        long got = 0;
        boolean ended = false;
        while (!ended) {
          H2Frames.Frame f = H2Frames.read(in);
          assertThat(f.type()).as("no GOAWAY or reset").isNotIn(H2Frames.GOAWAY,
              H2Frames.RST_STREAM);
          if (f.type() == H2Frames.DATA && f.stream() == 1) {
            got += f.payload().length;
            ended = (f.flags() & H2Frames.END_STREAM) != 0;
            if (f.payload().length > 0) {
              // As chatty as a client can be: window back for every frame, stream and connection.
              out.write(H2Frames.int32Frame(H2Frames.WINDOW_UPDATE, 1, f.payload().length));
              out.write(H2Frames.int32Frame(H2Frames.WINDOW_UPDATE, 0, f.payload().length));
              out.flush();
            }
          } else if (f.type() == H2Frames.HEADERS && f.stream() == 1) {
            ended = (f.flags() & H2Frames.END_STREAM) != 0;
          }
        }
        assertThat(got).isEqualTo(big.length);
      }
      p.assertStillServes();
    }
  }

  static Stream<Arguments> continuationFloods() {
    return Stream.of(
        // Large fragments: the header block outgrows the header list size.
        Arguments.of("16 KiB fragments", new byte[16 * 1024 - 1]),
        // Tiny fragments: cheap to send, costly to track.
        Arguments.of("1-byte fragments", new byte[1]));
  }

  @ParameterizedTest(name = "CONTINUATION flood, {0}")
  @MethodSource("continuationFloods")
  void aHeaderBlockThatNeverEndsIsCutAndNeverReachesTheUpstream(String name, byte[] fragment)
      throws Exception {
    java.util.Arrays.fill(fragment, (byte) 'a');
    try (HostileProxy p = HostileProxy.start(dir)) {
      // CVE-2024-27316 style: HEADERS without END_HEADERS, then CONTINUATION frames forever.
      byte[] opening = H2Frames.frame(H2Frames.HEADERS, 0, 1,
          H2Frames.getHeaders("127.0.0.1:" + p.port(), "/continued", "x-note", HostileProxy.SSN));
      byte[] continuation = H2Frames.repeat(H2Frames.frame(H2Frames.CONTINUATION, 0, 1, fragment),
          fragment.length > 1 ? 1 : 256);
      Flood f = flood(p.port(), opening, i -> continuation, 100_000);
      assertThat(f.batches()).as("batches sent before the proxy ended the connection")
          .isLessThan(100_000);
      assertThat(f.goaways()).as("GOAWAY frames").isNotEmpty();
      p.assertStillServes();
      assertThat(p.received).noneMatch(r -> r.path().equals("/continued"));
      p.assertNeverLeaked(HostileProxy.SSN);
    }
  }

  /** What a flooding client saw. */
  private record Flood(List<H2Frames.Frame> goaways, int batches) {}

  /**
   * Opens an h2c connection whose client reads everything the proxy sends (so acknowledgements
   * never pile up), writes the preface, SETTINGS and {@code opening}, then batches until the
   * proxy sends GOAWAY or ends the connection, or {@code maxBatches} went out; waits for the end.
   */
  private static Flood flood(int port, byte[] opening, IntFunction<byte[]> batch, int maxBatches)
      throws Exception {
    List<H2Frames.Frame> goaways = new CopyOnWriteArrayList<>();
    AtomicBoolean ended = new AtomicBoolean();
    try (Socket s = new Socket("127.0.0.1", port)) {
      Thread reader = new Thread(() -> {
        try {
          DataInputStream in = new DataInputStream(s.getInputStream());
          while (true) {
            H2Frames.Frame f = H2Frames.read(in);
            if (f.type() == H2Frames.GOAWAY) {
              goaways.add(f);
            }
          }
        } catch (IOException e) {
          ended.set(true);
        }
      }, "h2-flood-reader");
      reader.setDaemon(true);
      reader.start();
      int sent = 0;
      try {
        OutputStream out = s.getOutputStream();
        out.write(H2Frames.PREFACE);
        out.write(H2Frames.frame(H2Frames.SETTINGS, 0, 0, new byte[0]));
        out.write(opening);
        for (; sent < maxBatches && !ended.get() && goaways.isEmpty(); sent++) {
          out.write(batch.apply(sent));
        }
        out.flush();
      } catch (IOException e) {
        // The proxy closed the connection.
      }
      await().atMost(Duration.ofSeconds(30)).until(ended::get);
      return new Flood(List.copyOf(goaways), sent);
    }
  }

  private static void assertEndedWithEnhanceYourCalm(Flood f, int maxBatches) {
    assertThat(f.batches()).as("batches sent before the proxy ended the connection")
        .isLessThan(maxBatches);
    assertThat(f.goaways()).as("GOAWAY frames").isNotEmpty();
    assertThat(f.goaways().get(0).int32(4)).as("GOAWAY error code")
        .isEqualTo(H2Frames.ENHANCE_YOUR_CALM);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
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
