package dev.custos.engine.internal.match;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.PatternParser;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * A packed DFA steps exactly as the DFA it packs: the same states on every byte, and a scan stops
 * after exactly the bytes after which the DFA accepts.
 */
class PackedDfaPropertyTest {
  private static final byte[] ALPHABET = "0123456789-- abcAB_.\n\u00ff".getBytes(ISO_8859_1);
  private static final List<String> PATTERNS = List.of(
      "\\d{3}-\\d{2}-\\d{4}", "[a-c]+", "ab|b_", "[^ ]{2,5}", "A\\.?B", "\\d+(\\.\\d+)?");

  @Provide
  Arbitrary<byte[]> inputs() {
    return Arbitraries.integers().between(0, ALPHABET.length - 1).list().ofMaxSize(80)
        .map(indices -> {
          byte[] bytes = new byte[indices.size()];
          for (int i = 0; i < bytes.length; i++) {
            bytes[i] = ALPHABET[indices.get(i)];
          }
          return bytes;
        });
  }

  @Test
  void everyTransitionAgreesWithTheByteTable() {
    for (String p : PATTERNS) {
      ByteDfa searching = ByteDfa.searching(PatternParser.parse(p));
      ByteDfa exact = ByteDfa.exact(PatternParser.parse(p));
      assertThat(PackedDfa.of(searching).agreesWith(searching)).as(p).isTrue();
      assertThat(PackedDfa.of(exact).agreesWith(exact)).as(p).isTrue();
    }
  }

  @Test
  void aDfaTreatingBytesAlikeNeedsFewClasses() {
    PackedDfa digits = PackedDfa.of(ByteDfa.searching(PatternParser.parse("\\d{3}")));
    // Digits, and every other byte.
    assertThat(digits.classCount()).isEqualTo(2);
  }

  @Test
  void aByteWithNoTransitionLeadsToTheDeadRowForGood() {
    PackedDfa abc = PackedDfa.of(ByteDfa.exact(PatternParser.parse("abc")));
    int row = abc.entry(abc.initialRow(), 'x') & PackedDfa.ROW;
    assertThat(row).isEqualTo(abc.deadRow());
    assertThat(abc.entry(row, 'a')).isEqualTo(abc.deadRow());
    int a = abc.entry(abc.initialRow(), 'a');
    int ab = abc.entry(a & PackedDfa.ROW, 'b');
    int last = abc.entry(ab & PackedDfa.ROW, 'c');
    // Only the last entry leads to an accepting state: it alone is negative.
    assertThat(new boolean[] {a < 0, ab < 0, last < 0}).containsExactly(false, false, true);
  }

  @Property(tries = 300)
  void aScanStopsAfterEveryByteWhereTheDfaAccepts(@ForAll("inputs") byte[] input) {
    for (String p : PATTERNS) {
      for (ByteDfa dfa : List.of(ByteDfa.searching(PatternParser.parse(p)), ByteDfa.exact(PatternParser.parse(p)))) {
        List<Integer> expected = new ArrayList<>();
        int s = dfa.initial();
        for (int i = 0; i < input.length && s >= 0; i++) {
          s = dfa.step(s, input[i] & 0xff);
          if (s >= 0 && dfa.isAccept(s)) {
            expected.add(i);
          }
        }
        PackedDfa packed = PackedDfa.of(dfa);
        List<Integer> stops = new ArrayList<>();
        int row = packed.initialRow();
        int i = 0;
        while (i < input.length) {
          long r = packed.run(input, i, input.length, row);
          i = (int) (r >>> 32);
          row = (int) r;
          if (i < input.length) {
            stops.add(i);
            i++;
          }
        }
        assertThat(stops).as(p).isEqualTo(expected);
      }
    }
  }

  @Property(tries = 200)
  void twoScansInStepStopWhereEachAloneStops(@ForAll("inputs") byte[] x, @ForAll("inputs") byte[] y) {
    PackedDfa a = PackedDfa.of(ByteDfa.searching(PatternParser.parse(PATTERNS.get(0))));
    PackedDfa b = PackedDfa.of(ByteDfa.searching(PatternParser.parse(PATTERNS.get(5))));
    byte[] both = new byte[x.length + y.length];
    System.arraycopy(x, 0, both, 0, x.length);
    System.arraycopy(y, 0, both, x.length, y.length);
    int n = Math.min(x.length, y.length);
    List<Integer> stopsA = new ArrayList<>();
    List<Integer> stopsB = new ArrayList<>();
    int[] rows = {a.initialRow(), b.initialRow(), 0};
    int taken = 0;
    while (taken < n) {
      taken += PackedDfa.runPair(a, b, both, taken, x.length + taken, n - taken, rows);
      if ((rows[2] & 1) != 0) {
        stopsA.add(taken - 1);
      }
      if ((rows[2] & 2) != 0) {
        stopsB.add(taken - 1);
      }
    }
    assertThat(stopsA).isEqualTo(alone(a, x, n));
    assertThat(stopsB).isEqualTo(alone(b, y, n));
  }

  private static List<Integer> alone(PackedDfa dfa, byte[] input, int n) {
    List<Integer> stops = new ArrayList<>();
    int row = dfa.initialRow();
    int i = 0;
    while (i < n) {
      long r = dfa.run(input, i, n, row);
      i = (int) (r >>> 32);
      row = (int) r;
      if (i < n) {
        stops.add(i);
        i++;
      }
    }
    return stops;
  }
}
