package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpData;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteSinkTest {
  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void takeReturnsWhatWasWrittenSinceTheLastTakeAndLaterWritesLeaveItAlone() {
    ByteSink sink = new ByteSink();
    sink.write(ascii("card ****"), 0, 9);
    sink.write('!');
    HttpData first = sink.take();
    assertThat(sink.size()).isZero();

    sink.write(ascii("xyz-second-chunk"), 4, 6);
    HttpData second = sink.take();

    assertThat(first.toStringAscii()).isEqualTo("card ****!");
    assertThat(second.toStringAscii()).isEqualTo("second");
  }

  @Test
  void anEmptySinkGivesEmptyData() {
    ByteSink sink = new ByteSink();
    assertThat(sink.take().isEmpty()).isTrue();
    sink.write(ascii("a"), 0, 1);
    sink.take();
    assertThat(sink.take().isEmpty()).isTrue();
  }

  @Test
  void writesLargerThanEveryEarlierCapacityGrowTheArrayAndKeepEveryByte() {
    ByteSink sink = new ByteSink();
    byte[] big = new byte[200_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) i;
    }
    for (int round = 0; round < 3; round++) {
      for (int off = 0; off < big.length; off += 7_000) {
        sink.write(big, off, Math.min(7_000, big.length - off));
      }
      assertThat(sink.toByteArray()).isEqualTo(big);
      assertThat(sink.take().array()).isEqualTo(big);
    }
  }

  @Test
  void reservedRoomTakesTheWritesAndMoreStillFits() {
    ByteSink sink = new ByteSink();
    sink.write(ascii("ab"), 0, 2);
    sink.reserve(3);
    sink.write(ascii("cde"), 0, 3);
    sink.write(ascii("fgh"), 0, 3); // Past the reserved room: grows as before.
    sink.reserve(0);
    assertThat(sink.take().toStringAscii()).isEqualTo("abcdefgh");
    sink.reserve(4);
    assertThat(sink.size()).isZero();
    sink.write(ascii("wxyz"), 0, 4);
    assertThat(sink.take().toStringAscii()).isEqualTo("wxyz");
  }
}
