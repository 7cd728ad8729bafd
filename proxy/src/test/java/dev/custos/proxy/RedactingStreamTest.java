package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A response larger than the heap streams through a redact rule: every card is rewritten, the
 * length is kept, and the proxy never holds the body. The module's tests run with a 768 MiB heap
 * (see the surefire argLine); {@code -Dcustos.test.redactStreamMiB} changes the size, and {@code
 * bench/load/stream-redact.sh} sends 1 GiB through the real proxy with {@code -Xmx256m}.
 */
class RedactingStreamTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("cards");

  @TempDir
  static Path dir;

  static ProxyFixture fixture;

  @BeforeAll
  static void startProxy() {
    fixture = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        findings: { file: 'off' }
        routes:
          - match: { prefix: / }
            cluster: cards
            timeout: "0"
        clusters:
          cards: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
          rules:
            - name: cards are masked
              match: { direction: response }
              categories: [credit_card]
              action: redact
              redact: { style: mask }
        """.formatted(upstream.httpPort()));
  }

  @AfterAll
  static void stopProxy() {
    fixture.close();
  }

  @Test
  void aRedactedResponseLargerThanTheHeapStreamsWithEveryCardMasked() throws Exception {
    long mib = Long.getLong("custos.test.redactStreamMiB", 256);
    long unit = Upstream.CARD_UNIT.length();
    long units = mib * 1024 * 1024 / unit;
    assertThat(Runtime.getRuntime().maxMemory()).isLessThan(units * unit);
    long liveBefore = liveHeap();
    long liveMidway = -1;

    HttpClient client = HttpClient.newHttpClient();
    java.net.http.HttpResponse<InputStream> res = client.send(java.net.http.HttpRequest
        .newBuilder(URI.create(fixture.http() + "/cards?units=" + units)).build(),
        BodyHandlers.ofInputStream());
    long bytes = 0;
    long cardLines = 0;
    long rawCards = 0;
    long masked = 0;
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(res.body(), StandardCharsets.US_ASCII), 64 * 1024)) {
      String line;
      while ((line = in.readLine()) != null) {
        bytes += line.length() + 1;
        if (liveMidway < 0 && bytes >= units * unit / 2) {
          liveMidway = liveHeap();
        }
        if (line.startsWith("order paid with card: ")) {
          cardLines++;
          String value = line.substring("order paid with card: ".length(),
              "order paid with card: ".length() + Upstream.CARD.length());
          if (value.equals(Upstream.CARD)) {
            rawCards++;
          } else if (value.chars().noneMatch(Character::isDigit)) {
            masked++;
          }
        }
      }
    }

    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(bytes).isEqualTo(units * unit);
    assertThat(cardLines).isEqualTo(units);
    assertThat(rawCards).isZero();
    assertThat(masked).isEqualTo(units);
    // Halfway through, what the proxy and client hold alive is a few windows of chunks, not the
    // half of the body that has passed: a proxy that kept the body would show at least that.
    assertThat(liveMidway - liveBefore).isLessThan(units * unit / 8);
  }

  /**
   * Returns the heap in use right after a full collection: the live set, independent of what
   * earlier test classes in this JVM left as garbage and of when the collector last ran.
   */
  private static long liveHeap() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
