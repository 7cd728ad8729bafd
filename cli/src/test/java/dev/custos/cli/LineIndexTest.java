package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LineIndexTest {
  @Test
  void positionsAreOneBasedAndSurviveChunkBoundaries() {
    byte[] text = "ab\ncdé\nfg".getBytes(StandardCharsets.UTF_8);
    for (int chunk = 1; chunk <= text.length; chunk++) {
      LineIndex index = new LineIndex();
      for (int i = 0; i < text.length; i += chunk) {
        index.add(text, i, Math.min(chunk, text.length - i));
      }
      assertThat(index.position(0)).isEqualTo(new LineIndex.Position(1, 1));
      assertThat(index.position(2)).isEqualTo(new LineIndex.Position(1, 3));
      assertThat(index.position(3)).isEqualTo(new LineIndex.Position(2, 1));
      // é is two bytes but one column.
      assertThat(index.position(7)).isEqualTo(new LineIndex.Position(2, 4));
      assertThat(index.position(8)).isEqualTo(new LineIndex.Position(3, 1));
      assertThat(index.position(10)).isEqualTo(new LineIndex.Position(3, 3));
      // Out of order queries still work.
      assertThat(index.position(4)).isEqualTo(new LineIndex.Position(2, 2));
    }
  }

  @Test
  void oldOffsetsAreForgottenSoMemoryStaysBounded() {
    LineIndex index = new LineIndex();
    byte[] chunk = new byte[1 << 16];
    java.util.Arrays.fill(chunk, (byte) 'x');
    chunk[100] = '\n';
    int chunks = 2 * LineIndex.RETAINED_BYTES / chunk.length;
    for (int i = 0; i < chunks; i++) {
      index.add(chunk, 0, chunk.length);
    }
    assertThat(index.position(0)).isNull();
    long last = (long) (chunks - 1) * chunk.length;
    assertThat(index.position(last + 101)).isEqualTo(new LineIndex.Position(chunks + 1, 1));
    assertThat(index.position(last + 50)).isEqualTo(new LineIndex.Position(chunks, 51 + chunk.length - 101));
  }
}
