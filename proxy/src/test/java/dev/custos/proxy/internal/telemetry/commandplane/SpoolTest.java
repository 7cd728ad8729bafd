package dev.custos.proxy.internal.telemetry.commandplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk spool: order, acknowledgement across a reopen, torn and corrupt tails, the bound. */
class SpoolTest {
  @TempDir
  Path dir;

  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong truncated = new AtomicLong();

  private Spool open(long max) throws IOException {
    return new Spool(dir, max, new Spool.Listener() {
      @Override
      public void dropped(long events) {
        dropped.addAndGet(events);
      }

      @Override
      public void truncated(long bytes) {
        truncated.addAndGet(bytes);
      }
    });
  }

  static Batch batch(String text, int events) {
    List<byte[]> lines = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      lines.add(("{\"route\":\"" + text + "-" + i + "\"}").getBytes(StandardCharsets.UTF_8));
    }
    return Batch.of(lines);
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
    }
  }

  private static List<Batch> drain(Spool spool) throws IOException {
    List<Batch> out = new ArrayList<>();
    Batch b;
    while ((b = spool.peek()) != null) {
      out.add(b);
      spool.ack(b.id());
    }
    return out;
  }

  @Test
  void batchesComeOutInOrderAndAnAckedBatchIsNotReadAgainAfterAReopen() throws IOException {
    List<Batch> in = new ArrayList<>();
    try (Spool spool = open(1 << 20)) {
      for (int i = 0; i < 5; i++) {
        in.add(batch("b" + i, 3));
        spool.append(in.get(i));
      }
      assertThat(spool.batches()).isEqualTo(5);
      assertThat(spool.events()).isEqualTo(15);
      Batch first = spool.peek();
      assertThat(first).isEqualTo(in.get(0));
      assertThat(spool.peek()).isSameAs(first); // peek twice, same batch
      spool.ack(first.id());
      spool.ack(first.id()); // a second ack of the same id changes nothing
      assertThat(spool.batches()).isEqualTo(4);
    }
    try (Spool spool = open(1 << 20)) {
      assertThat(drain(spool)).containsExactlyElementsOf(in.subList(1, 5));
      assertThat(spool.isEmpty()).isTrue();
    }
    assertThat(segments()).isEmpty();
    assertThat(dropped).hasValue(0);
    assertThat(truncated).hasValue(0);
  }

  @Test
  void aTornLastRecordIsCutAtStartUpAndTheWholeOnesStay() throws IOException {
    List<Batch> in = List.of(batch("a", 2), batch("b", 2), batch("c", 2));
    try (Spool spool = open(1 << 20)) {
      for (Batch b : in) {
        spool.append(b);
      }
    }
    Path seg = segments().get(0);
    long size = Files.size(seg);
    long cut = SpoolCodec.encode(in.get(2)).length / 2;
    try (var ch = java.nio.channels.FileChannel.open(seg, StandardOpenOption.WRITE)) {
      ch.truncate(size - cut); // a crash half way through the third append
    }
    try (Spool spool = open(1 << 20)) {
      assertThat(truncated.get()).isEqualTo(SpoolCodec.encode(in.get(2)).length - cut);
      assertThat(drain(spool)).containsExactly(in.get(0), in.get(1));
    }
  }

  @Test
  void aCorruptRecordEndsItsSegmentThereAndGarbageFilesAreDeleted() throws IOException {
    List<Batch> in = List.of(batch("a", 2), batch("b", 2), batch("c", 2));
    try (Spool spool = open(1 << 20)) {
      for (Batch b : in) {
        spool.append(b);
      }
    }
    Path seg = segments().get(0);
    byte[] bytes = Files.readAllBytes(seg);
    int second = SpoolCodec.MAGIC.length + SpoolCodec.encode(in.get(0)).length;
    bytes[second + SpoolCodec.HEADER + 3] ^= 0x40; // a flipped bit in the second record's id
    Files.write(seg, bytes);
    Files.write(dir.resolve("000000000000000099.seg"), "not a segment".getBytes());
    Files.write(dir.resolve("cursor"), "garbage".getBytes());

    try (Spool spool = open(1 << 20)) {
      assertThat(drain(spool)).containsExactly(in.get(0));
      assertThat(truncated.get()).isEqualTo(bytes.length - second + "not a segment".length());
    }
    assertThat(segments()).isEmpty();
  }

  @Test
  void theBoundDeletesTheOldestSegmentsAndCountsTheirUnsentEvents() throws IOException {
    long max = 64 * 1024;
    List<Batch> in = new ArrayList<>();
    java.util.Random random = new java.util.Random(1);
    try (Spool spool = open(max)) {
      for (int i = 0; i < 300; i++) {
        // Random lines compress badly: 300 batches pass the bound.
        List<byte[]> lines = new ArrayList<>();
        for (int j = 0; j < 10; j++) {
          lines.add(("{\"route\":\"" + Long.toHexString(random.nextLong())
              + Long.toHexString(random.nextLong()) + "\"}").getBytes(StandardCharsets.UTF_8));
        }
        Batch b = Batch.of(lines);
        in.add(b);
        spool.append(b);
        assertThat(spool.bytes()).isLessThanOrEqualTo(max);
      }
      assertThat(dropped.get()).isPositive();
      assertThat(spool.events() + dropped.get()).isEqualTo(300L * 10);
      List<Batch> left = drain(spool);
      // The newest survive, in order.
      assertThat(left).isNotEmpty().containsExactlyElementsOf(
          in.subList(in.size() - left.size(), in.size()));
    }
  }

  @Test
  void aSecondSpoolOnTheSameFolderFailsToOpen() throws IOException {
    try (Spool spool = open(1 << 20)) {
      assertThatThrownBy(() -> open(1 << 20)).isInstanceOf(IOException.class)
          .hasMessageContaining("locked");
    }
    open(1 << 20).close(); // released
  }
}
