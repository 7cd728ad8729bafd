package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class SwarTest {

  @Property(tries = 2000)
  void findsWhatAByteLoopFinds(@ForAll("bytes") byte[] b, @ForAll @IntRange(max = 40) int skip,
      @ForAll @IntRange(max = 40) int cut) {
    int from = Math.min(skip, b.length);
    int to = Math.max(from, b.length - cut);
    int special = to;
    for (int i = to - 1; i >= from; i--) {
      int c = b[i] & 0xff;
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) {
        special = i;
      }
    }
    int backslash = to;
    for (int i = to - 1; i >= from; i--) {
      if (b[i] == '\\') {
        backslash = i;
      }
    }
    assertThat(Swar.stringSpecial(b, from, to)).isEqualTo(special);
    assertThat(Swar.backslash(b, from, to)).isEqualTo(backslash);
  }

  @Property(tries = 300)
  void findsOneSpecialByteAtEveryOffsetOfEveryRange(
      @ForAll @IntRange(min = 0, max = 100) int length,
      @ForAll("specialByte") byte special,
      @ForAll @IntRange(min = 0x20, max = 0x7e) int filler) {
    Assume.that(filler != '"' && filler != '\\');
    for (int from = 0; from <= Math.min(length, 9); from++) {
      for (int at = from; at <= length; at++) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) filler);
        if (at < length) {
          b[at] = special;
        }
        for (int to : new int[] {length, Math.max(from, length - 1), Math.max(from, at)}) {
          int expectedSpecial = at < to ? at : to;
          int expectedBackslash = at < to && special == '\\' ? at : to;
          assertThat(Swar.stringSpecial(b, from, to)).as("%d %d %d %d", length, from, at, to)
              .isEqualTo(expectedSpecial);
          assertThat(Swar.backslash(b, from, to)).as("%d %d %d %d", length, from, at, to)
              .isEqualTo(expectedBackslash);
        }
      }
    }
  }

  @Provide
  Arbitrary<Byte> specialByte() {
    return Arbitraries.of((byte) '"', (byte) '\\', (byte) 0, (byte) 0x1f, (byte) 0x80, (byte) 0xff);
  }

  @Provide
  Arbitrary<byte[]> bytes() {
    Arbitrary<Byte> common = Arbitraries.bytes().between((byte) 0x20, (byte) 0x7e);
    Arbitrary<Byte> rare = Arbitraries.of((byte) '"', (byte) '\\', (byte) 0, (byte) 0x1f, (byte) 0x7f,
        (byte) 0x80, (byte) 0xff, (byte) 0x21, (byte) 0x5b, (byte) 0x5d, (byte) 0x23, (byte) 0x1e);
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(20, common), net.jqwik.api.Tuple.of(1, rare))
        .list().ofMaxSize(200).map(l -> {
          byte[] r = new byte[l.size()];
          for (int i = 0; i < r.length; i++) {
            r[i] = l.get(i);
          }
          return r;
        });
  }
}
