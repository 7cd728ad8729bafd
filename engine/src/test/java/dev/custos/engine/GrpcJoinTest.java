package dev.custos.engine;

import static dev.custos.engine.GrpcContentTest.frame;
import static dev.custos.engine.GrpcContentTest.messages;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link ContentType#GRPC}: a value split between consecutive messages of one stream, in the same
 * field path, is found and masked in both messages; near misses are not joined.
 */
class GrpcJoinTest {
  private static final Scanner SCANNER = Samples.JAVA;
  private static final String CARD = "4111 1111 1111 1111";

  private static byte[] body(Pb... messages) {
    List<byte[]> frames = new ArrayList<>();
    for (Pb m : messages) {
      frames.add(frame(m.toBytes(), false));
    }
    return Samples.concat(frames);
  }

  private static String text(byte[] body, Finding f) {
    return new String(body, (int) f.start(), (int) (f.end() - f.start()), StandardCharsets.UTF_8);
  }

  /** Returns the string content of field 1 of each message (a message with only that field). */
  private static List<String> firstFields(byte[] body) {
    List<String> out = new ArrayList<>();
    for (byte[] m : messages(body)) {
      assertThat(m[0]).as("field 1, length-delimited").isEqualTo((byte) 0x0a);
      assertThat(m[1] & 0xff).as("its length prefix").isEqualTo(m.length - 2);
      out.add(new String(m, 2, m.length - 2, StandardCharsets.UTF_8));
    }
    return out;
  }

  @Test
  void cardSplitAcrossTwoMessagesIsFoundWithThePathOfTheFirstAndOffsetsSpanningBoth() {
    byte[] body = body(Pb.message().string(1, "4111 1111"), Pb.message().string(1, " 1111 1111"));
    ScanResult result = SCANNER.scan(body, ContentType.GRPC);
    assertThat(result.findings()).extracting(Finding::category, Finding::jsonPath)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("credit_card", "$[0].1"));
    Finding f = result.findings().get(0);
    assertThat(text(body, f)).startsWith("4111 1111").endsWith(" 1111 1111");
    assertThat(f.evidence().toString()).doesNotContain("4111");
  }

  @Test
  void cardSplitAcrossThreeShortMessagesIsFound() {
    byte[] body = body(Pb.message().string(1, "pay 4111 11"), Pb.message().string(1, "11 1111 "),
        Pb.message().string(1, "1111 thanks"));
    assertThat(SCANNER.scan(body, ContentType.GRPC).findings()).extracting(Finding::jsonPath)
        .containsExactly("$[0].1");
    assertThat(firstFields(Samples.redactChunked(SCANNER, body, ContentType.GRPC, RedactionStyle.MASK, List.of())))
        .containsExactly("pay **** **", "** **** ", "**** thanks");
  }

  @Test
  void splitCardIsMaskedInBothMessagesKeepingEachLengthPrefix() {
    byte[] body = body(Pb.message().string(1, "card 4111 1111"), Pb.message().string(1, " 1111 1111 ok"));
    for (int chunk : List.of(1, 3, 7, 1000)) {
      byte[] redacted = Samples.redactChunked(SCANNER, body, ContentType.GRPC, RedactionStyle.MASK, List.of(chunk));
      assertThat(redacted).as("chunks of %s", chunk).hasSameSizeAs(body);
      assertThat(firstFields(redacted)).containsExactly("card **** ****", " **** **** ok");
    }
    byte[] partial = Samples.redactChunked(SCANNER, body, ContentType.GRPC, RedactionStyle.PARTIAL, List.of());
    assertThat(firstFields(partial)).containsExactly("card **** ****", " **** 1111 ok");
  }

  @Test
  void aCardWhollyInsideEachMessageIsReportedOncePerMessage() {
    byte[] body = body(Pb.message().string(1, CARD), Pb.message().string(1, CARD));
    assertThat(SCANNER.scan(body, ContentType.GRPC).findings()).extracting(Finding::jsonPath)
        .containsExactly("$[0].1", "$[1].1");
  }

  @Test
  void nearMissesAreNotJoined() {
    Pb first = Pb.message().string(1, "4111 1111");
    List<byte[]> misses = List.of(
        body(first, Pb.message().string(2, " 1111 1111")),
        // The second message's field 1 is a nested message: its text is at $.1.2.
        body(first, Pb.message().message(1, Pb.message().string(2, " 1111 1111"))),
        // Not consecutive: the message between has no field 1.
        body(first, Pb.message().string(2, "x"), Pb.message().string(1, " 1111 1111")),
        // Another occurrence of a repeated field.
        body(Pb.message().string(1, "a").string(1, "4111 1111"), Pb.message().string(1, " 1111 1111")),
        // A compressed message does not join.
        Samples.concat(List.of(frame(first.toBytes(), false),
            frame(Pb.message().string(1, " 1111 1111").toBytes(), true))));
    for (int i = 0; i < misses.size(); i++) {
      assertThat(SCANNER.scan(misses.get(i), ContentType.GRPC).findings()).as("near miss %s", i).isEmpty();
    }
  }

  @Test
  void aRepeatedFieldJoinsWithTheSameOccurrenceOfTheNextMessage() {
    byte[] body = body(Pb.message().string(1, "a").string(1, "4111 1111"),
        Pb.message().string(1, "b").string(1, " 1111 1111"));
    assertThat(SCANNER.scan(body, ContentType.GRPC).findings()).extracting(Finding::jsonPath)
        .containsExactly("$[0].1[1]");
  }

  @Test
  void aMessageWhoseTextMayGoOnIsHeldUntilTheNextOrARelease() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<Finding> found = new ArrayList<>();
    try (StreamScanner s = SCANNER.newRedactingStream(ContentType.GRPC, RedactionStyle.MASK, out::write)) {
      byte[] hello = frame(Pb.message().string(1, "hello, ").toBytes(), false);
      found.addAll(s.feed(hello, 0, hello.length));
      assertThat(out.toByteArray()).as("text ending in a comma and space goes on").isEqualTo(hello);
      assertThat(s.waiting()).isFalse();

      byte[] first = frame(Pb.message().string(1, "4111 1111").toBytes(), false);
      found.addAll(s.feed(first, 0, first.length));
      assertThat(out.size()).as("held: its digits may go on").isEqualTo(hello.length);
      assertThat(s.waiting()).isTrue();
      byte[] second = frame(Pb.message().string(1, " 1111 1111").toBytes(), false);
      found.addAll(s.feed(second, 0, second.length));
      assertThat(s.waiting()).as("the value ended in the second message").isFalse();
      assertThat(firstFields(out.toByteArray())).containsExactly("hello, ", "**** ****", " **** ****");

      byte[] third = frame(Pb.message().string(1, "; 5500 0000").toBytes(), false);
      found.addAll(s.feed(third, 0, third.length));
      assertThat(s.waiting()).isTrue();
      s.release();
      assertThat(s.waiting()).isFalse();
      byte[] fourth = frame(Pb.message().string(1, " 0000 0004").toBytes(), false);
      found.addAll(s.feed(fourth, 0, fourth.length));
      found.addAll(s.finish());
      assertThat(firstFields(out.toByteArray())).as("released: only the part still held is masked")
          .containsExactly("hello, ", "**** ****", " **** ****", "; 5500 0000", " **** ****");
    }
    assertThat(found).extracting(Finding::jsonPath).containsExactly("$[1].1", "$[3].1");
  }

  @Test
  void aWholeCardAtTheEndOfAMessageDoesNotHoldIt() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (StreamScanner s = SCANNER.newRedactingStream(ContentType.GRPC, RedactionStyle.MASK, out::write)) {
      byte[] m = frame(Pb.message().string(1, "card " + CARD).toBytes(), false);
      assertThat(s.feed(m, 0, m.length)).hasSize(1);
      assertThat(s.waiting()).isFalse();
      assertThat(firstFields(out.toByteArray())).containsExactly("card **** **** **** ****");
    }
  }

  @Test
  void aChoiceThatKeepsTheValueLeavesBothMessagesAsTheyWere() {
    byte[] body = body(Pb.message().string(1, "4111 1111"), Pb.message().string(1, " 1111 1111"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<Finding> asked = new ArrayList<>();
    try (StreamScanner s = SCANNER.newRedactingStream(ContentType.GRPC, f -> {
      asked.add(f);
      return null;
    }, out::write)) {
      s.feed(body, 0, body.length);
      s.finish();
    }
    assertThat(out.toByteArray()).isEqualTo(body);
    assertThat(asked).extracting(Finding::jsonPath).containsExactly("$[0].1");
  }

  @Provide
  Arbitrary<List<Integer>> chunking() {
    return Arbitraries.integers().between(1, 40).list().ofMinSize(1).ofMaxSize(6);
  }

  @Property(tries = 60, seed = "20261207")
  void aCardSplitAtAnyPointBetweenTwoMessagesIsFoundAndMasked(
      @ForAll @IntRange(min = 1, max = 18) int split, @ForAll("chunking") List<Integer> sizes) {
    String before = "pay " + CARD.substring(0, split);
    String after = CARD.substring(split) + " now";
    byte[] body = body(Pb.message().string(1, before).varint(2, 7), Pb.message().string(1, after).varint(2, 8));
    ScanResult result = Samples.scanChunked(SCANNER, body, ContentType.GRPC, sizes);
    assertThat(result.findings()).extracting(Finding::category).containsExactly("credit_card");
    String found = text(body, result.findings().get(0));
    assertThat(found.replaceAll("[^0-9]", "")).contains(CARD.replace(" ", ""));
    byte[] redacted = Samples.redactChunked(SCANNER, body, ContentType.GRPC, RedactionStyle.MASK, sizes);
    assertThat(redacted).hasSameSizeAs(body);
    String all = new String(redacted, StandardCharsets.ISO_8859_1);
    assertThat(all).doesNotContain("4111").contains("pay ").contains(" now");
    assertThat(SCANNER.scan(redacted, ContentType.GRPC).findings()).isEmpty();
  }
}
