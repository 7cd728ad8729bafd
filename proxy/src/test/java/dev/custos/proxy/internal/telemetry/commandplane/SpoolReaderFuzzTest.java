package dev.custos.proxy.internal.telemetry.commandplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Coverage-guided fuzzing of the spool's start-up reader: whatever bytes a segment file holds
 * (after a crash, a full disk, a stray write), opening the spool never throws, every batch it
 * yields is a whole record of the file, the cut bytes are reported, and a second open finds a
 * clean spool. The first input byte says whether the magic bytes are written first. Without
 * {@code JAZZER_FUZZ} set, only the seeds in {@code SpoolReaderFuzzTestInputs/} run.
 */
class SpoolReaderFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void segmentFile(byte[] input) throws IOException {
    Path dir = Files.createTempDirectory("spool-fuzz");
    try {
      byte[] file = input;
      if (input.length > 0 && (input[0] & 1) == 0) {
        file = new byte[SpoolCodec.MAGIC.length + input.length - 1];
        System.arraycopy(SpoolCodec.MAGIC, 0, file, 0, SpoolCodec.MAGIC.length);
        System.arraycopy(input, 1, file, SpoolCodec.MAGIC.length, input.length - 1);
      }
      Files.write(dir.resolve("000000000000000001.seg"), file);
      AtomicLong truncated = new AtomicLong();
      Spool.Listener listener = new Spool.Listener() {
        @Override
        public void dropped(long events) {}

        @Override
        public void truncated(long bytes) {
          truncated.addAndGet(bytes);
        }
      };
      long kept = 0;
      try (Spool spool = new Spool(dir, 1 << 20, listener)) {
        kept = spool.bytes();
        // A segment left without a whole record is deleted: its magic bytes count nowhere.
        assertThat(kept + truncated.get()).isBetween(
            (long) file.length - SpoolCodec.MAGIC.length, (long) file.length);
        Batch b;
        int at = SpoolCodec.MAGIC.length;
        while ((b = spool.peek()) != null) {
          byte[] record = SpoolCodec.encode(b);
          assertThat(java.util.Arrays.copyOfRange(file, at, at + record.length))
              .isEqualTo(record);
          at += record.length;
          spool.ack(b.id());
        }
        assertThat(spool.isEmpty()).isTrue();
      }
      try (Spool again = new Spool(dir, 1 << 20, listener)) {
        assertThat(again.isEmpty()).isTrue();
      }
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
