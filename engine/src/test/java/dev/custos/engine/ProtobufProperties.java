package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Protobuf: chunking never changes findings, notes or redacted bytes; a masking redaction keeps
 * the length and every byte outside findings, and leaves no planted value.
 */
class ProtobufProperties {

  @Provide
  Arbitrary<byte[]> message() {
    return Arbitraries.longs().map(seed -> randomMessage(new Random(seed)));
  }

  @Provide
  Arbitrary<List<Integer>> chunking() {
    return Arbitraries.integers().between(1, 64).list().ofMinSize(1).ofMaxSize(8);
  }

  /**
   * A random message: varint, fixed and string fields (fragments, planted values, random bytes),
   * nested messages, repeated field numbers, and now and then a truncated or garbled tail.
   */
  static byte[] randomMessage(Random r) {
    byte[] body = build(r, 0).toBytes();
    int tail = r.nextInt(10);
    if (tail == 0 && body.length > 2) {
      body = java.util.Arrays.copyOf(body, r.nextInt(body.length));
    } else if (tail == 1) {
      body = Samples.concat(List.of(body, new byte[] {(byte) 0xff, 0x07}, Samples.utf8("card 4111111111111111")));
    }
    return body;
  }

  private static Pb build(Random r, int depth) {
    Pb m = Pb.message();
    int fields = 1 + r.nextInt(6);
    for (int i = 0; i < fields; i++) {
      int number = 1 + r.nextInt(r.nextBoolean() ? 4 : 2000);
      switch (r.nextInt(depth < 4 ? 6 : 5)) {
        case 0 -> m.varint(number, r.nextLong() >>> r.nextInt(64));
        case 1 -> m.fixed64(number, r.nextLong());
        case 2 -> m.fixed32(number, r.nextInt());
        case 3 -> m.string(number, Samples.PLANTED.get(r.nextInt(Samples.PLANTED.size())));
        case 4 -> {
          if (r.nextBoolean()) {
            m.string(number, Samples.FRAGMENTS.get(r.nextInt(Samples.FRAGMENTS.size())));
          } else {
            byte[] b = new byte[r.nextInt(40)];
            r.nextBytes(b);
            m.bytes(number, b);
          }
        }
        default -> m.message(number, build(r, depth + 1));
      }
    }
    return m;
  }

  @Property(tries = 300, seed = "20261207")
  void findingsAndNotesDoNotDependOnChunking(@ForAll("message") byte[] input, @ForAll("chunking") List<Integer> sizes) {
    ScanResult oneShot = Samples.JAVA.scan(input, ContentType.PROTOBUF);
    ScanResult chunked = Samples.scanChunked(Samples.JAVA, input, ContentType.PROTOBUF, sizes);
    assertThat(chunked.findings()).isEqualTo(oneShot.findings());
    assertThat(chunked.notes()).isEqualTo(oneShot.notes());
    assertThat(chunked.bytesScanned()).isEqualTo(input.length);
    for (Finding f : oneShot.findings()) {
      assertThat(f.end()).isLessThanOrEqualTo(input.length);
      assertThat(f.jsonPath()).startsWith("$");
    }
    Statistics.label("findings with a field path")
        .collect(oneShot.findings().stream().anyMatch(f -> f.jsonPath() != null && f.jsonPath().length() > 1));
    Statistics.label("findings with a field path")
        .coverage(coverage -> coverage.check(true).percentage(p -> p > 50));
  }

  @Property(tries = 300, seed = "20261207")
  void redactionDoesNotDependOnChunkingAndKeepsTheStructure(
      @ForAll("message") byte[] input, @ForAll("chunking") List<Integer> sizes, @ForAll RedactionStyle style) {
    byte[] oneShot = Samples.redactChunked(Samples.JAVA, input, ContentType.PROTOBUF, style, List.of());
    byte[] chunked = Samples.redactChunked(Samples.JAVA, input, ContentType.PROTOBUF, style, sizes);
    assertThat(chunked).isEqualTo(oneShot);
    assertThat(oneShot).as("every style keeps the length").hasSameSizeAs(input);
    List<Finding> findings = Samples.JAVA.scan(input, ContentType.PROTOBUF).findings();
    for (int i = 0; i < input.length; i++) {
      boolean inFinding = false;
      for (Finding f : findings) {
        inFinding |= i >= f.start() && i < f.end();
      }
      if (!inFinding) {
        assertThat(oneShot[i]).as("byte %s outside findings", i).isEqualTo(input[i]);
      } else if (oneShot[i] != input[i]) {
        assertThat(oneShot[i]).isEqualTo((byte) '*');
      }
    }
    ScanResult again = Samples.JAVA.scan(oneShot, ContentType.PROTOBUF);
    assertThat(again.notes()).as("masking keeps the wire format").isEqualTo(
        Samples.JAVA.scan(input, ContentType.PROTOBUF).notes());
    if (style == RedactionStyle.MASK) {
      assertThat(again.findings()).isEmpty();
    }
  }
}
