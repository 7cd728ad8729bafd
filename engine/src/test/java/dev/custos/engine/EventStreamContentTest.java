package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Server-Sent Events of LLM APIs: choice text reassembled across events, redacted in place. */
class EventStreamContentTest {
  static final String CARD = "4111 1111 1111 1111";

  /** Returns {@code text} split into {@code n} pieces of about equal length. */
  static List<String> split(String text, int n) {
    List<String> pieces = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pieces.add(text.substring(i * text.length() / n, (i + 1) * text.length() / n));
    }
    return pieces;
  }

  static String json(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        default -> sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  /** An OpenAI-style chat completion stream: a role event, one event per piece, a stop, [DONE]. */
  static String chat(List<String> pieces) {
    StringBuilder sb = new StringBuilder();
    sb.append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
    for (String p : pieces) {
      sb.append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":")
          .append(json(p)).append("},\"finish_reason\":null}]}\n\n");
    }
    sb.append("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    return sb.append("data: [DONE]\n\n").toString();
  }

  static List<Finding> scan(String body, int chunk) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    List<Finding> all = new ArrayList<>();
    try (StreamScanner s = Samples.JAVA.newStream(ContentType.EVENT_STREAM)) {
      for (int i = 0; i < bytes.length; i += chunk) {
        all.addAll(s.feed(bytes, i, Math.min(chunk, bytes.length - i)));
      }
      all.addAll(s.finish());
      assertThat(s.notes()).isEmpty();
    }
    return all;
  }

  static String redact(String body, RedactionStyle style, int chunk) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (StreamScanner s = Samples.JAVA.newRedactingStream(ContentType.EVENT_STREAM, style, out::write)) {
      for (int i = 0; i < bytes.length; i += chunk) {
        s.feed(bytes, i, Math.min(chunk, bytes.length - i));
      }
      s.finish();
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aCardSplitAcrossTwentyEventsIsFoundOnce() {
    String text = "Sure! Your card number is " + CARD + ", expiring soon.";
    List<String> pieces = new ArrayList<>();
    pieces.add("Sure! Your card number is ");
    pieces.addAll(split(CARD, 19));
    pieces.add(", expiring soon.");
    String body = chat(pieces);
    assertThat(body).doesNotContain(CARD);
    List<Finding> findings = scan(body, 7);
    assertThat(findings).singleElement().satisfies(f -> {
      assertThat(f.category()).isEqualTo("credit_card");
      assertThat(f.jsonPath()).isEqualTo("$.choices[0].delta.content");
      assertThat(body.substring((int) f.start(), (int) f.end())).startsWith("4").endsWith("1").contains("data:");
    });
    assertThat(String.join("", pieces)).isEqualTo(text);
  }

  @Test
  void maskRewritesEveryPieceInItsEventAndKeepsTheFraming() {
    List<String> pieces = new ArrayList<>(List.of("card: "));
    pieces.addAll(split(CARD, 20));
    pieces.add(" ok");
    String body = chat(pieces);
    for (int chunk : new int[] {1, 5, 64, body.length()}) {
      String masked = redact(body, RedactionStyle.MASK, chunk);
      assertThat(masked).hasSameSizeAs(body);
      List<String> maskedPieces = new ArrayList<>(List.of("card: "));
      for (String p : split(CARD, 20)) {
        maskedPieces.add(p.replaceAll("[0-9]", "*"));
      }
      maskedPieces.add(" ok");
      assertThat(masked).as("chunk %d", chunk).isEqualTo(chat(maskedPieces));
    }
  }

  @Test
  void hashMasksSinceALabelCannotBeSplitAcrossEvents() {
    String body = chat(split("pay with " + CARD + " now", 12));
    String hashed = redact(body, RedactionStyle.HASH, 3);
    assertThat(hashed).hasSameSizeAs(body).doesNotContain("[credit_card");
    assertThat(scan(hashed, 100)).isEmpty();
  }

  @Test
  void escapedDigitsAreDecodedAndMaskedAsEscapesOfTheSameLength() {
    String body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ssn \\u0030\"}}]}\n\n"
        + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"78-05-1120\\n\"}}]}\n\n";
    List<Finding> findings = scan(body, 3);
    assertThat(findings).singleElement().satisfies(f -> {
      assertThat(f.category()).isEqualTo("us_ssn");
      assertThat(body.substring((int) f.start(), (int) f.end())).startsWith("\\u0030").endsWith("1120");
    });
    String masked = redact(body, RedactionStyle.MASK, 2);
    assertThat(masked).hasSameSizeAs(body).contains("ssn \\u002a\"", "\"**-**-****\\n\"");
  }

  @Test
  void choicesAreReassembledApartByIndex() {
    StringBuilder sb = new StringBuilder();
    List<String> a = split("card " + CARD, 10);
    List<String> b = split("nothing to see in this one at all", 10);
    for (int i = 0; i < 10; i++) {
      sb.append("data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":").append(json(b.get(i)))
          .append("}},{\"delta\":{\"content\":").append(json(a.get(i))).append("},\"index\":0}]}\n\n");
    }
    String body = sb.toString();
    assertThat(scan(body, 11)).singleElement()
        .satisfies(f -> assertThat(f.jsonPath()).isEqualTo("$.choices[0].delta.content"));
  }

  @Test
  void completionTextAndMultiLineDataAndCrlfAreUnderstood() {
    List<String> pieces = split("ssn: 078-05-1120", 6);
    StringBuilder sb = new StringBuilder(": keep-alive comment\r\n\r\n");
    for (String p : pieces) {
      // The JSON split over two data lines, joined by a line feed (whitespace to JSON).
      sb.append("event: completion\r\ndata: {\"choices\":[{\"text\":").append(json(p)).append(",\r\ndata: \"index\":0}]}\r\n\r\n");
    }
    String body = sb.toString();
    assertThat(scan(body, 4)).singleElement().satisfies(f -> {
      assertThat(f.jsonPath()).isEqualTo("$.choices[0].text");
      assertThat(f.confidence()).isEqualTo(Confidence.HIGH);
    });
    String masked = redact(body, RedactionStyle.MASK, 9);
    assertThat(masked).hasSameSizeAs(body).doesNotContain("1120").contains("event: completion\r\n");
  }

  @Test
  void otherEventsAreScannedAsTextAndRedactedInPlace() {
    String body = "event: error\ndata: {\"error\":{\"message\":\"bad card 4111111111111111\"}}\n\ndata: [DONE]\n\n";
    assertThat(scan(body, 5)).singleElement().satisfies(f -> assertThat(f.jsonPath()).isNull());
    assertThat(redact(body, RedactionStyle.MASK, 5)).hasSameSizeAs(body).contains("bad card ****************");
  }

  @Test
  void anEventPastTheLimitEndsTheStructuredScan() {
    String body = chat(List.of("a", "b")) + "data: " + "x".repeat(1 << 20) + " 4111111111111111\n\n";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (StreamScanner s = Samples.JAVA.newStream(ContentType.EVENT_STREAM)) {
      List<Finding> all = new ArrayList<>(s.feed(bytes, 0, bytes.length));
      all.addAll(s.finish());
      assertThat(s.notes()).contains(ScanNote.EVENT_STREAM_FALLBACK);
      assertThat(all).singleElement().satisfies(f ->
          assertThat(body.substring((int) f.start(), (int) f.end())).isEqualTo("4111111111111111"));
    }
  }

  @Test
  void eventsAreHeldOnlyUntilTheirTextIsFinal() {
    // 8000 events of 14 bytes of text each: the output follows the input at a bounded distance
    // (the redacting scanner's hold-back: the longest detector match plus the context window, in
    // reassembled text), it does not wait for the end.
    List<String> pieces = new ArrayList<>();
    for (int i = 0; i < 8000; i++) {
      pieces.add("word" + (i % 10) + " and more ");
    }
    byte[] body = chat(pieces).getBytes(StandardCharsets.UTF_8);
    int perEvent = body.length / 8000;
    long held = heldEvents(Samples.JAVA, body) / perEvent;
    Policy shortMatches = Policy.parse("version: 1\ndisable: [private_key]\n", "short.yaml");
    long heldShort;
    try (Scanner scanner = Scanner.builder(shortMatches).backend(Backend.JAVA).evidenceKey(Samples.KEY).build()) {
      heldShort = heldEvents(scanner, body) / perEvent;
    }
    System.out.println("event stream: events of 14 text bytes held at most: " + held
        + " (built-in catalog), " + heldShort + " (private_key disabled)");
    assertThat(held * 14).as("text held").isLessThan(34 * 1024);
    assertThat(heldShort).isLessThan(held);
  }

  private static long heldEvents(Scanner scanner, byte[] body) {
    long[] written = {0};
    long maxLag = 0;
    try (StreamScanner s = scanner.newRedactingStream(ContentType.EVENT_STREAM, RedactionStyle.MASK,
        (b, o, l) -> written[0] += l)) {
      for (int i = 0; i < body.length; i += 100) {
        s.feed(body, i, Math.min(100, body.length - i));
        maxLag = Math.max(maxLag, Math.min(i + 100, body.length) - written[0]);
      }
      s.finish();
    }
    assertThat(written[0]).isEqualTo(body.length);
    return maxLag;
  }

  @Test
  void eventsCarryingLittleTextAreNotHeldPastTheLimit() {
    // Each event carries one byte of text and 2 KiB of other fields: the hold-back of text would
    // hold tens of MiB of events; past 1 MiB the rest goes on as text.
    StringBuilder sb = new StringBuilder();
    String padding = "x".repeat(2048);
    for (int i = 0; i < 2000; i++) {
      sb.append("data: {\"pad\":\"").append(padding).append("\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\r\r");
    }
    sb.append("data: card 4111111111111111\r\r");
    byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long maxLag = 0;
    try (StreamScanner s = Samples.JAVA.newRedactingStream(ContentType.EVENT_STREAM, RedactionStyle.MASK, out::write)) {
      for (int i = 0; i < body.length; i += 1000) {
        s.feed(body, i, Math.min(1000, body.length - i));
        maxLag = Math.max(maxLag, Math.min(i + 1000, body.length) - out.size());
      }
      s.finish();
      assertThat(s.notes()).contains(ScanNote.EVENT_STREAM_FALLBACK);
    }
    assertThat(maxLag).isLessThan(2L << 20);
    assertThat(out.toString(StandardCharsets.UTF_8)).hasSize(body.length).endsWith("data: card ****************\r\r");
  }

  @Test
  void theMediaTypeMapsToTheEventStream() {
    assertThat(ContentType.of("text/event-stream; charset=utf-8")).isEqualTo(ContentType.EVENT_STREAM);
  }
}
