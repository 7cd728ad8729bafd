package dev.custos.proxy.internal.telemetry.commandplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The spool's record codec: records read back as written; a stream cut anywhere reads back as
 * the whole records before the cut and then a truncation, never a wrong record; any bytes are
 * read without an exception and without reading past the end.
 */
class SpoolCodecProperties {
  @Provide
  Arbitrary<Batch> batches() {
    return Combinators.combine(Arbitraries.longs(), Arbitraries.longs(),
        Arbitraries.integers().between(1, 1000),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(600))
        .as((hi, lo, events, body) -> new Batch(new UUID(hi, lo), events, body));
  }

  private static byte[] encode(List<Batch> batches) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Batch b : batches) {
      out.writeBytes(SpoolCodec.encode(b));
    }
    return out.toByteArray();
  }

  private static List<Batch> readAll(ByteBuffer in, List<SpoolCodec.Status> end) {
    List<Batch> out = new ArrayList<>();
    SpoolCodec.Read r;
    while ((r = SpoolCodec.decode(in)).status() == SpoolCodec.Status.OK) {
      out.add(r.batch());
    }
    end.add(r.status());
    return out;
  }

  @Property(seed = "20261207")
  void recordsReadBackAsWritten(@ForAll @Size(max = 8) List<@From("batches") Batch>
      batches) {
    List<SpoolCodec.Status> end = new ArrayList<>();
    assertThat(readAll(ByteBuffer.wrap(encode(batches)), end)).isEqualTo(batches);
    assertThat(end).containsExactly(SpoolCodec.Status.END);
  }

  @Property(seed = "20261207")
  void aCutStreamReadsBackToTheLastWholeRecordThenTruncated(
      @ForAll @Size(min = 1, max = 6) List<@From("batches") Batch> batches,
      @ForAll @IntRange(min = 1, max = 100_000) int cutSeed) {
    byte[] all = encode(batches);
    int cut = cutSeed % all.length; // 0 to length - 1: never the whole stream
    int whole = 0;
    int at = 0;
    for (Batch b : batches) {
      int n = SpoolCodec.encode(b).length;
      if (at + n > cut) {
        break;
      }
      at += n;
      whole++;
    }
    List<SpoolCodec.Status> end = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(all, 0, cut).slice();
    assertThat(readAll(in, end)).isEqualTo(batches.subList(0, whole));
    assertThat(end).containsExactly(at == cut ? SpoolCodec.Status.END
        : SpoolCodec.Status.TRUNCATED);
    assertThat(in.position()).isEqualTo(at);
  }

  @Property(seed = "20261207")
  void anyBytesAreReadWithoutAnExceptionOrOverrun(@ForAll @Size(max = 300) byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    List<SpoolCodec.Status> end = new ArrayList<>();
    List<Batch> read = readAll(in, end);
    assertThat(in.position()).isLessThanOrEqualTo(bytes.length);
    for (Batch b : read) {
      assertThat(b.events()).isBetween(1, 1000);
    }
  }
}
