package dev.custos.proxy.internal.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesWriterTest {
  @TempDir
  Path dir;

  @Test
  void itemsPastTheQueueAreDroppedAndCountedWithoutBlockingTheCaller() throws Exception {
    CountDownLatch writerStuck = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicLong dropped = new AtomicLong();
    Path file = dir.resolve("out.jsonl");
    JsonLinesWriter<Integer> w = JsonLinesWriter.toFile("test", file, 2, (item, g) -> {
      if (item == 0) {
        writerStuck.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      g.writeStartObject();
      g.writeNumberField("n", item);
      g.writeEndObject();
    }, dropped::addAndGet);
    try {
      assertThat(w.offer(0)).isTrue();
      assertThat(writerStuck.await(10, TimeUnit.SECONDS)).isTrue();
      // The writer thread holds item 0; the queue takes two more, the rest are dropped at once.
      long start = System.nanoTime();
      assertThat(w.offer(1)).isTrue();
      assertThat(w.offer(2)).isTrue();
      for (int i = 3; i < 1003; i++) {
        assertThat(w.offer(i)).isFalse();
      }
      assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
      assertThat(dropped.get()).isEqualTo(1000);
      release.countDown();
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(file)
          && Files.readAllLines(file, StandardCharsets.UTF_8).size() == 3);
    } finally {
      release.countDown();
      w.close();
    }
    assertThat(Files.readAllLines(file, StandardCharsets.UTF_8))
        .containsExactly("{\"n\":0}", "{\"n\":1}", "{\"n\":2}");
    assertThat(w.offer(9)).isFalse();
    assertThat(dropped.get()).isEqualTo(1001);
  }

  @Test
  void aLoneItemIsWrittenWithoutWaitingForMoreOrForClose() throws Exception {
    Path file = dir.resolve("lone.jsonl");
    try (JsonLinesWriter<Integer> w = JsonLinesWriter.toFile("test", file, 10_000,
        JsonLinesWriterTest::number, n -> { })) {
      assertThat(w.offer(7)).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(file)
          && Files.readAllLines(file, StandardCharsets.UTF_8).equals(java.util.List.of("{\"n\":7}")));
    }
  }

  @Test
  void everythingOfferedBeforeCloseIsWrittenInOrder() throws Exception {
    Path file = dir.resolve("many.jsonl");
    AtomicLong dropped = new AtomicLong();
    JsonLinesWriter<Integer> w = JsonLinesWriter.toFile("test", file, 100_000,
        JsonLinesWriterTest::number, dropped::addAndGet);
    for (int i = 0; i < 20_000; i++) {
      assertThat(w.offer(i)).isTrue();
    }
    w.close();
    java.util.List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(20_000);
    for (int i = 0; i < lines.size(); i++) {
      assertThat(lines.get(i)).isEqualTo("{\"n\":" + i + "}");
    }
    assertThat(dropped.get()).isZero();
  }

  @Test
  void linesAreTheUtf8OfTheTextEvenForSurrogatesAndEscapes() throws Exception {
    char high = (char) 0xD83D;
    char low = (char) 0xDE00;
    java.util.List<String> values = java.util.List.of(
        "plain", "caf\u00e9 \u4e2d", "a" + high + low + "b", "lone " + high + " high",
        "lone " + low, "ends " + high, "ctl\u0001\t\"q\" \\ back", "text \\uD83D not an escape",
        "\u2028 sep", "");
    Path file = dir.resolve("text.jsonl");
    try (JsonLinesWriter<String> w = JsonLinesWriter.toFile("test", file, 100,
        JsonLinesWriterTest::text, n -> { })) {
      for (String v : values) {
        assertThat(w.offer(v)).isTrue();
      }
    }
    // What the writer wrote before it formatted lines as bytes: the text, encoded as UTF-8.
    java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
    for (String v : values) {
      java.io.StringWriter sw = new java.io.StringWriter();
      try (com.fasterxml.jackson.core.JsonGenerator g =
          new com.fasterxml.jackson.core.JsonFactory().createGenerator(sw)) {
        text(v, g);
      }
      expected.write((sw + "\n").getBytes(StandardCharsets.UTF_8));
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(expected.toByteArray());
  }

  private static void text(String item, com.fasterxml.jackson.core.JsonGenerator g)
      throws java.io.IOException {
    g.writeStartObject();
    g.writeStringField("v", item);
    g.writeStringField("n" + item, "name");
    g.writeEndObject();
  }

  private static void number(Integer item, com.fasterxml.jackson.core.JsonGenerator g)
      throws java.io.IOException {
    g.writeStartObject();
    g.writeNumberField("n", item);
    g.writeEndObject();
  }
}
