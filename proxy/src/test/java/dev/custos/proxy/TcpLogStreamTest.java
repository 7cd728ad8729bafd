package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.custos.engine.config.ConfigException;
import io.micrometer.core.instrument.Counter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ArrayValue;
import org.msgpack.value.ImmutableValue;
import org.msgpack.value.Value;

/**
 * Layer-4 log streams end to end: real clients (Java sockets, {@code nc}, util-linux {@code
 * logger}, a Fluentd forward encoder written with msgpack-core, a TLS socket) send through a
 * {@code tcp_listeners} listener of a running proxy to a plain TCP upstream on loopback.
 */
class TcpLogStreamTest {
  private static final String CARD = "4111 1111 1111 1111";
  private static final String SSN = "078-05-1120";

  @TempDir
  Path dir;

  private TcpUpstream upstream;
  private CustosProxy proxy;
  private final List<FindingsEvent> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void upstream() throws IOException {
    upstream = new TcpUpstream();
  }

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    upstream.close();
  }

  private String yaml(TcpUpstream up, String listener, String rules) {
    return """
        listen: 127.0.0.1:0
        routes:
          - { name: api, match: { prefix: / }, cluster: logs }
        clusters:
          logs: { endpoints: ["127.0.0.1:%d"], connect_timeout: 2s }
        tcp_listeners:
          - { name: logs, listen: "127.0.0.1:0", cluster: logs, %s }
        findings: { file: "off" }
        policy:
          version: 1
          rules:
        %s
        """.formatted(up.port(), listener, rules.indent(4));
  }

  private int start(String listener, String rules) {
    return start(upstream, listener, rules);
  }

  private int start(TcpUpstream up, String listener, String rules) {
    proxy = CustosProxy.builder(ProxyConfig.parse(yaml(up, listener, rules), "custos.yaml", dir))
        .findingsSink(events::add)
        .build()
        .start();
    return proxy.activeTcpPort("logs").orElseThrow();
  }

  private static String rule(String name, String category, String action) {
    return "- { name: " + name + ", match: { direction: request }, categories: [" + category
        + "], action: " + action + " }";
  }

  private static void send(int port, byte[] bytes) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.getOutputStream().write(bytes);
      s.getOutputStream().flush();
      s.shutdownOutput();
      s.getInputStream().readAllBytes();
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private double count(String name, String... tags) {
    Counter c = proxy.meterRegistry().find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void observedLinesPassUnchangedAndTheirFindingsAreReported() throws IOException {
    int port = start("framing: lines", rule("cards", "credit_card", "observe"));
    String text = "user login ok\ncard " + CARD + " paid\nbye\n";
    send(port, utf8(text));

    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.receivedText().equals(text));
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.ends.get() == 1);
    assertThat(events).hasSize(1);
    FindingsEvent e = events.get(0);
    assertThat(e.protocol()).isEqualTo("tcp");
    assertThat(e.route()).isEqualTo("logs");
    assertThat(e.categories()).containsEntry("credit_card", 1);
    assertThat(e.locations()).containsExactly("$.line");
    assertThat(e.actions()).containsExactly("observe");
    assertThat(e.identityHash()).matches("[0-9a-f]{16}");
    assertThat(e.toString()).doesNotContain(CARD).doesNotContain("4111111111111111");
    assertThat(count("custos.findings", "route", "logs", "category", "credit_card", "action",
        "observe")).isEqualTo(1);
    assertThat(count("custos.tcp.records", "listener", "logs", "outcome", "forwarded"))
        .isEqualTo(3);
  }

  @Test
  void aClientThatClosesAtOnceHasEveryLineDelivered() throws IOException {
    int port = start("framing: lines", rule("cards", "credit_card", "redact"));
    for (int i = 0; i < 5; i++) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        s.getOutputStream().write(utf8("line " + i + "\nlast " + i + " without a line feed"));
      }
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.ends.get() == 5);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      expected.add("line " + i + "\nlast " + i + " without a line feed");
    }
    assertThat(upstream.receivedByConnection()).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void jsonLinesAreRedactedWithTheirJsonPath() throws IOException {
    int port = start("framing: lines, format: json", rule("cards", "credit_card", "redact"));
    send(port, utf8("{\"user\":\"bob\",\"message\":\"paid with " + CARD + "\"}\n{\"ok\":true}\n"));

    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.ends.get() == 1);
    String got = upstream.receivedText();
    assertThat(got).doesNotContain(CARD).contains("\"user\":\"bob\"").endsWith("{\"ok\":true}\n");
    assertThat(got.split("\n")).hasSize(2);
    new com.fasterxml.jackson.databind.ObjectMapper().readTree(got.split("\n")[0]);
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.locations()).containsExactly("$.message");
      assertThat(e.actions()).containsExactly("redact");
    });
    assertThat(count("custos.redactions", "route", "logs", "category", "credit_card"))
        .isEqualTo(1);
  }

  @Test
  void aBlockedLineIsDroppedAndTheConnectionStaysOpen() throws Exception {
    int port = start("framing: lines", rule("no-ssn", "us_ssn", "block"));
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      OutputStream out = s.getOutputStream();
      out.write(utf8("first\nssn " + SSN + " leaked\nsecond\n"));
      out.flush();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> upstream.receivedText().equals("first\nsecond\n"));
      out.write(utf8("still open\n"));
      out.flush();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> upstream.receivedText().equals("first\nsecond\nstill open\n"));
    }
    assertThat(count("custos.blocked", "route", "logs", "stage", "record_dropped")).isEqualTo(1);
    assertThat(count("custos.tcp.records", "listener", "logs", "outcome", "dropped")).isEqualTo(1);
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.blockedBy()).isEqualTo("no-ssn");
      assertThat(e.stage()).isEqualTo("record_dropped");
    });
  }

  @Test
  void aCardSplitAcrossTcpSegmentsIsRedacted() throws Exception {
    int port = start("framing: lines", rule("cards", "credit_card", "redact"));
    byte[] line = utf8("card " + CARD + " end\n");
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setTcpNoDelay(true);
      OutputStream out = s.getOutputStream();
      for (byte b : line) {
        out.write(b);
        out.flush();
      }
      s.shutdownOutput();
      s.getInputStream().readAllBytes();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.ends.get() == 1);
    assertThat(upstream.receivedText()).hasSize(line.length).doesNotContain(CARD)
        .startsWith("card ").endsWith(" end\n");
  }

  @Test
  void oversizedLinesAreDroppedOrForwardedUnscannedAsConfigured() throws IOException {
    String big = "x".repeat(100) + " " + CARD + "\n";
    int port = start("framing: lines, max_frame_bytes: 64, on_oversized: drop",
        rule("cards", "credit_card", "redact"));
    send(port, utf8("a\n" + big + "b\n"));
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.ends.get() == 1);
    assertThat(upstream.receivedText()).isEqualTo("a\nb\n");
    assertThat(count("custos.uninspectable", "route", "logs", "reason", "frame_too_large",
        "decision", "drop")).isEqualTo(1);
    proxy.close();
    proxy = null;

    TcpUpstream second = new TcpUpstream();
    try (second) {
      int port2 = start(second, "framing: lines, max_frame_bytes: 64, on_oversized: forward",
          rule("cards", "credit_card", "redact"));
      send(port2, utf8("a\n" + big + "b\n"));
      await().atMost(Duration.ofSeconds(10)).until(() -> second.ends.get() == 1);
      assertThat(second.receivedText()).isEqualTo("a\n" + big + "b\n");
      assertThat(count("custos.tcp.records", "listener", "logs", "outcome",
          "oversized_forwarded")).isEqualTo(1);
    }
  }

  @Test
  void syslogOctetCountsAreRewrittenWhenRedactionChangesTheLength() throws IOException {
    int port = start("framing: syslog",
        "- { name: cards, match: { direction: request }, categories: [credit_card], action: redact,"
            + " redact: { style: hash } }");
    String m1 = "<13>1 2026-12-07T10:00:00Z host app 42 - - paid " + CARD;
    String m2 = "<13>Dec  7 10:00:00 host app[7]: plain line";
    String stream = m1.length() + " " + m1 + m2 + "\n";
    send(port, utf8(stream));

    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.ends.get() == 1);
    String got = upstream.receivedText();
    assertThat(got).doesNotContain(CARD).endsWith(m2 + "\n");
    int sp = got.indexOf(' ');
    int len = Integer.parseInt(got.substring(0, sp));
    String first = got.substring(sp + 1, sp + 1 + len);
    assertThat(first).startsWith("<13>1 2026-12-07T10:00:00Z host app 42 - - paid ")
        .doesNotContain(CARD).contains("credit_card");
    assertThat(got.substring(sp + 1 + len)).isEqualTo(m2 + "\n");
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.protocol()).isEqualTo("syslog");
      assertThat(e.locations()).containsExactly("$.message");
    });
  }

  private static boolean has(String command) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(d, command))) {
        return true;
      }
    }
    return false;
  }

  private static void assumeTool(String command) {
    if (!has(command)) {
      assertThat(System.getenv("CI")).as(command + " is required when CI=true").isNotEqualTo("true");
      Assumptions.abort(command + " is not installed");
    }
  }

  private static void run(String input, String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(utf8(input));
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(String.join(" ", command) + ": " + output).isZero();
  }

  @Test
  void utilLinuxLoggerOverTcpIsRedactedInBothFramings() throws Exception {
    assumeTool("logger");
    int port = start("framing: syslog", rule("cards", "credit_card", "redact"));
    run("", "logger", "--tcp", "--octet-count", "--rfc5424", "--server", "127.0.0.1", "--port",
        String.valueOf(port), "-t", "shop", "paid with card " + CARD);
    run("", "logger", "--tcp", "--rfc5424", "--server", "127.0.0.1", "--port",
        String.valueOf(port), "-t", "shop", "second card " + CARD);
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.ends.get() == 2);
    // One connection per logger run; the upstream may see them in either order.
    List<String> got = upstream.receivedByConnection();
    assertThat(got).hasSize(2).allSatisfy(c -> assertThat(c).doesNotContain(CARD).contains("shop"));
    assertThat(got).anySatisfy(c -> assertThat(c).matches("(?s)[1-9][0-9]* <[0-9]+>1 .*")
        .contains("paid with card ").doesNotEndWith("\n"));
    assertThat(got).anySatisfy(c -> assertThat(c).matches("(?s)<[0-9]+>1 .*")
        .contains("second card ").endsWith("\n"));
    assertThat(count("custos.findings", "route", "logs", "category", "credit_card", "action",
        "redact")).isEqualTo(2);
  }

  @Test
  void netcatLinesAreRedacted() throws Exception {
    assumeTool("nc");
    int port = start("framing: lines", rule("cards", "credit_card", "redact"));
    run("one\ncard " + CARD + "\nthree\n", "nc", "-N", "127.0.0.1", String.valueOf(port));
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.ends.get() == 1);
    assertThat(upstream.receivedText()).startsWith("one\ncard ").endsWith("\nthree\n")
        .doesNotContain(CARD);
  }

  @Test
  void aTlsListenerTerminatesTlsAndRedacts() throws Exception {
    TestPki.Issued ca = TestPki.ca("l4-ca");
    TestPki.Issued server = TestPki.server(ca);
    server.writeCert(dir.resolve("tls.crt"));
    server.writeKey(dir.resolve("tls.key"));
    int port = start("framing: lines, tls: { cert: tls.crt, key: tls.key }",
        rule("cards", "credit_card", "redact"));
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca.cert());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(
        TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("localhost", port)) {
      s.startHandshake();
      s.getOutputStream().write(utf8("over tls " + CARD + "\n"));
      s.getOutputStream().flush();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> upstream.receivedText().endsWith("\n"));
    }
    assertThat(upstream.receivedText()).startsWith("over tls ").doesNotContain(CARD);
  }

  @Test
  void aSlowUpstreamStopsTheProxyReadingTheClient() throws Exception {
    TcpUpstream slow = new TcpUpstream(true, false);
    try (slow) {
      int port = start(slow, "framing: lines", rule("cards", "credit_card", "redact"));
      AtomicLong written = new AtomicLong();
      byte[] line = utf8("x".repeat(1023) + "\n");
      long total = 256L << 20;
      Thread writer = new Thread(() -> {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
          OutputStream out = s.getOutputStream();
          while (written.get() < total) {
            out.write(line);
            written.addAndGet(line.length);
          }
          s.shutdownOutput();
          s.getInputStream().readAllBytes();
        } catch (IOException e) {
          // Reported through the byte counts below.
        }
      }, "l4-writer");
      writer.setDaemon(true);
      writer.start();
      // The writer stalls: the proxy stopped reading once the upstream stopped taking bytes.
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(new java.util.concurrent.Callable<Boolean>() {
            long last = -1;
            int stable;

            @Override
            public Boolean call() {
              long now = written.get();
              stable = now == last ? stable + 1 : 0;
              last = now;
              return stable >= 5;
            }
          });
      assertThat(written.get()).as("bytes accepted while the upstream reads nothing")
          .isLessThan(64L << 20);
      slow.release();
      await().atMost(Duration.ofSeconds(120)).until(() -> slow.ends.get() == 1);
      assertThat(slow.count.get()).isEqualTo(total);
    }
  }

  // Fluentd forward protocol, encoded with msgpack-core as a Fluentd client would.

  private static byte[] pack(ThrowingPacker body) throws IOException {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      body.pack(p);
      return p.toByteArray();
    }
  }

  private interface ThrowingPacker {
    void pack(MessageBufferPacker p) throws IOException;
  }

  private static void record(MessageBufferPacker p, String log) throws IOException {
    p.packMapHeader(2);
    p.packString("log");
    p.packString(log);
    p.packString("level");
    p.packInt(3);
  }

  private static void entry(MessageBufferPacker p, long time, String log) throws IOException {
    p.packArrayHeader(2);
    p.packLong(time);
    record(p, log);
  }

  private static List<ImmutableValue> unpackAll(byte[] bytes) throws IOException {
    List<ImmutableValue> out = new ArrayList<>();
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
      while (u.hasNext()) {
        out.add(u.unpackValue());
      }
    }
    return out;
  }

  private static String log(Value entry) {
    return entry.asArrayValue().get(1).asMapValue().map()
        .get(org.msgpack.value.ValueFactory.newString("log")).asStringValue().asString();
  }

  @Test
  void fluentForwardRecordsAreRedactedAndDroppedInEveryMode() throws Exception {
    int port = start("framing: fluent_forward",
        rule("cards", "credit_card", "redact") + "\n" + rule("no-ssn", "us_ssn", "block"));
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    // Message mode.
    stream.writeBytes(pack(p -> {
      p.packArrayHeader(3);
      p.packString("app.pay");
      p.packLong(1_700_000_000L);
      record(p, "paid " + CARD);
    }));
    // Forward mode: one entry redacted, one dropped, one kept.
    stream.writeBytes(pack(p -> {
      p.packArrayHeader(2);
      p.packString("app.fwd");
      p.packArrayHeader(3);
      entry(p, 1, "card " + CARD);
      entry(p, 2, "ssn " + SSN);
      entry(p, 3, "fine");
    }));
    // CompressedPackedForward with a size option.
    byte[] entries = pack(p -> {
      entry(p, 4, "gz " + CARD);
      entry(p, 5, "gz ssn " + SSN);
    });
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
      z.write(entries);
    }
    stream.writeBytes(pack(p -> {
      p.packArrayHeader(3);
      p.packString("app.gz");
      p.packBinaryHeader(gz.size());
      p.writePayload(gz.toByteArray());
      p.packMapHeader(2);
      p.packString("compressed");
      p.packString("gzip");
      p.packString("size");
      p.packInt(2);
    }));
    send(port, stream.toByteArray());

    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.ends.get() == 1);
    List<ImmutableValue> frames = unpackAll(upstream.received());
    assertThat(frames).hasSize(3);
    ArrayValue message = frames.get(0).asArrayValue();
    assertThat(message.get(0).asStringValue().asString()).isEqualTo("app.pay");
    assertThat(message.get(1).asIntegerValue().asLong()).isEqualTo(1_700_000_000L);
    String redacted = message.get(2).asMapValue().map()
        .get(org.msgpack.value.ValueFactory.newString("log")).asStringValue().asString();
    assertThat(redacted).startsWith("paid ").hasSize(("paid " + CARD).length()).doesNotContain(CARD);

    ArrayValue forward = frames.get(1).asArrayValue();
    List<Value> kept = forward.get(1).asArrayValue().list();
    assertThat(kept).hasSize(2);
    assertThat(log(kept.get(0))).startsWith("card ").doesNotContain(CARD);
    assertThat(log(kept.get(1))).isEqualTo("fine");

    ArrayValue packed = frames.get(2).asArrayValue();
    byte[] blob = packed.get(1).asBinaryValue().asByteArray();
    List<ImmutableValue> unpacked = unpackAll(new GZIPInputStream(
        new java.io.ByteArrayInputStream(blob)).readAllBytes());
    assertThat(unpacked).hasSize(1);
    assertThat(log(unpacked.get(0))).startsWith("gz ").doesNotContain(CARD);
    assertThat(packed.get(2).asMapValue().map()
        .get(org.msgpack.value.ValueFactory.newString("size")).asIntegerValue().asInt())
        .isEqualTo(1);

    assertThat(events).allSatisfy(e -> assertThat(e.protocol()).isEqualTo("fluent_forward"));
    assertThat(events).flatExtracting(FindingsEvent::locations).contains("$.record.log");
    assertThat(count("custos.tcp.records", "listener", "logs", "outcome", "dropped")).isEqualTo(2);
  }

  @Test
  void aFluentChunkDroppedWholeIsAckedByTheProxy() throws Exception {
    int port = start("framing: fluent_forward", rule("no-ssn", "us_ssn", "block"));
    byte[] frame = pack(p -> {
      p.packArrayHeader(4);
      p.packString("app.audit");
      p.packLong(1_700_000_000L);
      record(p, "ssn " + SSN);
      p.packMapHeader(1);
      p.packString("chunk");
      p.packString("c0ffee");
    });
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.getOutputStream().write(frame);
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      ImmutableValue ack;
      try (MessageUnpacker u = MessagePack.newDefaultUnpacker(in)) {
        ack = u.unpackValue();
      }
      assertThat(ack.asMapValue().map().get(org.msgpack.value.ValueFactory.newString("ack"))
          .asStringValue().asString()).isEqualTo("c0ffee");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> upstream.ends.get() == 1);
    assertThat(upstream.received()).isEmpty();
  }

  @Test
  void aListenerNamingAnUnknownClusterIsAConfigError() {
    String bad = yaml(upstream, "framing: lines", rule("cards", "credit_card", "redact"))
        .replace("cluster: logs, framing", "cluster: nowhere, framing");
    assertThatThrownBy(() -> ProxyConfig.parse(bad, "custos.yaml", dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("custos.yaml:7:")
        .hasMessageContaining("nowhere");
  }
}
