package dev.custos.engine.internal.match;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.internal.match.NaiveReference.Event;
import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.PatternParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import org.junit.jupiter.api.Test;

/**
 * However patterns are split into product groups, and however small each group's cache, the
 * pure-Java matcher reports exactly the ends of one product of every pattern (and of the brute-force
 * reference): all ends of raw patterns, the others' ends but those inside a word, for any chunking.
 */
class ProductGroupsPropertyTest {
  private static final byte[] ALPHABET = "0123456789-- abcAB_.\n\u00ff".getBytes(ISO_8859_1);

  /** A random pattern set: pattern texts, raw flags, a group per pattern and a cache size. */
  record Setup(List<String> patterns, boolean[] raw, int[] groupOf, int maxStates) {
    List<ByteDfa> dfas() {
      List<ByteDfa> dfas = new ArrayList<>();
      for (String p : patterns) {
        dfas.add(ByteDfa.searching(PatternParser.parse(p)));
      }
      return dfas;
    }

    List<int[]> groups() {
      List<int[]> groups = new ArrayList<>();
      for (int g = 0; g < patterns.size(); g++) {
        List<Integer> members = new ArrayList<>();
        for (int p = 0; p < patterns.size(); p++) {
          if (groupOf[p] == g) {
            members.add(p);
          }
        }
        if (!members.isEmpty()) {
          groups.add(members.stream().mapToInt(Integer::intValue).toArray());
        }
      }
      return groups;
    }

    @Override
    public String toString() {
      return patterns + " raw " + java.util.Arrays.toString(raw) + " groups "
          + java.util.Arrays.toString(groupOf) + " maxStates " + maxStates;
    }
  }

  @Provide
  Arbitrary<Setup> setups() {
    return patterns()
        .list()
        .ofMinSize(1)
        .ofMaxSize(7)
        .flatMap(
            patterns -> {
              int n = patterns.size();
              Arbitrary<boolean[]> raw =
                  Arbitraries.of(true, false).array(boolean[].class).ofSize(n);
              Arbitrary<int[]> groupOf =
                  Arbitraries.integers().between(0, n - 1).array(int[].class).ofSize(n);
              Arbitrary<Integer> maxStates =
                  Arbitraries.oneOf(Arbitraries.integers().between(1, 6), Arbitraries.just(10_000));
              return Combinators.combine(raw, groupOf, maxStates)
                  .as((r, g, m) -> new Setup(patterns, r, g, m));
            });
  }

  /** Patterns from a small grammar over the test alphabet; none matches the empty string. */
  private Arbitrary<String> patterns() {
    Arbitrary<String> atom =
        Arbitraries.of("a", "b", "0", "1", "-", " ", "_", ".", "\\d", "\\w", "[ab]", "[0-3]", "[^a0]", "\\.");
    Arbitrary<String> quantifier = Arbitraries.of("", "", "", "?", "+", "*", "{2}", "{1,3}");
    Arbitrary<String> piece = Combinators.combine(atom, quantifier).as((a, q) -> a + q);
    Arbitrary<String> sequence = piece.list().ofMinSize(1).ofMaxSize(4).map(l -> String.join("", l));
    return sequence
        .list()
        .ofMinSize(1)
        .ofMaxSize(2)
        .map(l -> String.join("|", l))
        .map(p -> p.contains("|") ? "(?:" + p + ")" : p)
        .filter(ProductGroupsPropertyTest::matchesNonEmptyOnly);
  }

  private static boolean matchesNonEmptyOnly(String pattern) {
    try {
      return PatternParser.parse(pattern).minLength() > 0;
    } catch (dev.custos.engine.internal.pattern.PatternException e) {
      return false;
    }
  }

  @Provide
  Arbitrary<Tuple2<byte[], List<Integer>>> chunkedInputs() {
    Arbitrary<byte[]> input =
        Arbitraries.of(box(ALPHABET)).list().ofMaxSize(120).map(ProductGroupsPropertyTest::unbox);
    return input.flatMap(
        bytes -> Arbitraries.integers().between(0, bytes.length).list().ofMaxSize(12).map(s -> Tuple.of(bytes, s)));
  }

  @Property(tries = 400)
  void anyGroupingAndCacheSizeReportsTheEndsOfOneProductForAnyChunking(
      @ForAll("setups") Setup setup, @ForAll("chunkedInputs") Tuple2<byte[], List<Integer>> chunked) {
    byte[] input = chunked.get1();
    int[] points = chunked.get2().stream().mapToInt(Integer::intValue).sorted().toArray();
    List<ByteDfa> dfas = setup.dfas();
    int[] all = new int[dfas.size()];
    for (int p = 0; p < all.length; p++) {
      all[p] = p;
    }
    JavaMatcher single = JavaMatcher.ofSearching(dfas, setup.raw(), List.of(all), JavaMatcher.MAX_STATES);
    JavaMatcher grouped = JavaMatcher.ofSearching(dfas, setup.raw(), setup.groups(), setup.maxStates());

    Set<Event> expected = expected(setup, input);
    assertThat(new TreeSet<>(HyperscanMatcherTest.scan(single, input))).isEqualTo(expected);
    assertThat(new TreeSet<>(HyperscanMatcherTest.scan(grouped, input, points))).isEqualTo(expected);
    assertThat(new TreeSet<>(HyperscanMatcherTest.scan(grouped, input))).isEqualTo(expected);
    assertThat(scanBesideAnotherStream(grouped, input, points)).isEqualTo(expected);
  }

  /**
   * Scans input in chunks while another stream of the same matcher scans the input backwards
   * between them, so that with a small cache the other stream replaces generations and this one
   * moves over at its next chunk.
   */
  private static Set<Event> scanBesideAnotherStream(JavaMatcher matcher, byte[] input, int[] points) {
    byte[] backwards = new byte[input.length];
    for (int i = 0; i < input.length; i++) {
      backwards[i] = input[input.length - 1 - i];
    }
    Set<Event> events = new TreeSet<>();
    try (MatchStream stream = matcher.newStream();
        MatchStream other = matcher.newStream()) {
      int from = 0;
      for (int split : points) {
        stream.scan(input, from, split - from, (p, e) -> events.add(new Event(p, e)));
        other.scan(backwards, 0, backwards.length, (p, e) -> {});
        from = split;
      }
      stream.scan(input, from, input.length - from, (p, e) -> events.add(new Event(p, e)));
      other.scan(backwards, 0, backwards.length, (p, e) -> {});
      stream.finish((p, e) -> events.add(new Event(p, e)));
    }
    return events;
  }

  @Property(tries = 200)
  void theDefaultPartitionReportsTheEndsOfOneProduct(
      @ForAll("setups") Setup setup, @ForAll("chunkedInputs") Tuple2<byte[], List<Integer>> chunked) {
    byte[] input = chunked.get1();
    int[] points = chunked.get2().stream().mapToInt(Integer::intValue).sorted().toArray();
    JavaMatcher matcher = JavaMatcher.ofSearching(setup.dfas(), setup.raw());
    assertThat(new TreeSet<>(HyperscanMatcherTest.scan(matcher, input, points))).isEqualTo(expected(setup, input));
  }

  /** The reference's ends, less those of non-raw patterns inside a word. */
  private static Set<Event> expected(Setup setup, byte[] input) {
    Set<Event> expected = new TreeSet<>();
    for (Event e : new NaiveReference(setup.patterns()).events(input)) {
      int end = (int) e.end();
      boolean insideWord =
          JavaMatcher.isWord(input[end - 1] & 0xff) && end < input.length && JavaMatcher.isWord(input[end] & 0xff);
      if (setup.raw()[e.pattern()] || !insideWord) {
        expected.add(e);
      }
    }
    return expected;
  }

  @Test
  void keywordsLiteralPrefixedAndBroadPatternsGoToSeparateGroups() {
    List<String> patterns = List.of("\\d{3}-\\d{2}", "AKIA[0-9A-Z]{4}", "secret", "[a-f0-9]{8}", "sk_live_\\w{4}");
    List<ByteDfa> dfas = new ArrayList<>();
    for (String p : patterns) {
      dfas.add(ByteDfa.searchingFromBoundaryWithin(PatternParser.parse(p), 10_000));
    }
    boolean[] raw = {false, false, true, false, false};
    assertThat(JavaMatcher.partition(dfas, raw))
        .containsExactly(new int[] {2}, new int[] {1, 4}, new int[] {0, 3});
  }

  @Test
  void broadPatternsAreSplitIntoGroupsOfBoundedSize() {
    List<ByteDfa> dfas = new ArrayList<>();
    for (int i = 0; i < JavaMatcher.BROAD_GROUP * 2 + 1; i++) {
      dfas.add(ByteDfa.searching(PatternParser.parse("\\d{" + (i + 1) + "}x")));
    }
    List<int[]> groups = JavaMatcher.partition(dfas, new boolean[dfas.size()]);
    assertThat(groups).hasSize(3);
    assertThat(groups).allSatisfy(g -> assertThat(g.length).isLessThanOrEqualTo(JavaMatcher.BROAD_GROUP));
  }

  @Test
  void threadsSharingTinyCachesReportTheSameEndsAsOneThread() throws Exception {
    List<String> patterns = List.of("\\d{3}-\\d{2}-\\d{4}", "[ab]+0", "a\\w{2,5}", "secret", "\\d+\\.\\d");
    List<ByteDfa> dfas = new ArrayList<>();
    for (String p : patterns) {
      dfas.add(ByteDfa.searching(PatternParser.parse(p)));
    }
    boolean[] raw = {false, false, false, true, false};
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    byte[] input = new byte[20_000];
    for (int i = 0; i < input.length; i++) {
      input[i] = ALPHABET[random.nextInt(ALPHABET.length)];
    }
    JavaMatcher roomy = JavaMatcher.ofSearching(dfas, raw);
    Set<Event> expected = new TreeSet<>(HyperscanMatcherTest.scan(roomy, input, 777, 5000, 5001));
    JavaMatcher tiny =
        JavaMatcher.ofSearching(dfas, raw, List.of(new int[] {0, 1}, new int[] {2, 3, 4}), 4);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Set<Event>>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int chunk = 1 + t * 97;
        results.add(
            pool.submit(
                () -> {
                  List<Integer> points = new ArrayList<>();
                  for (int p = chunk; p < input.length; p += chunk) {
                    points.add(p);
                  }
                  return new TreeSet<>(
                      HyperscanMatcherTest.scan(tiny, input, points.stream().mapToInt(Integer::intValue).toArray()));
                }));
      }
      for (Future<Set<Event>> result : results) {
        assertThat(result.get()).isEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(tiny.groups()).allSatisfy(g -> assertThat(g.turnovers()).isPositive());
  }

  @Test
  void streamsOpenedBeforeAndAfterTurnoversStartAtTheInitialState() {
    List<String> patterns = List.of("\\d{3}-\\d{2}-\\d{4}", "[ab]+0", "a\\w{2,5}", "secret");
    List<ByteDfa> dfas = new ArrayList<>();
    for (String p : patterns) {
      dfas.add(ByteDfa.searching(PatternParser.parse(p)));
    }
    boolean[] raw = {false, false, false, true};
    byte[] input = "ab0 123-45-6789 secret aXy_9 abba0".getBytes(ISO_8859_1);
    Set<Event> expected = new TreeSet<>(HyperscanMatcherTest.scan(JavaMatcher.ofSearching(dfas, raw), input));
    JavaMatcher tiny = JavaMatcher.ofSearching(dfas, raw, List.of(new int[] {0, 1, 2, 3}), 2);
    ProductDfa group = tiny.groups()[0];
    // A stream opened at once, one opened after its generation filled up, and one after that.
    for (int round = 0; round < 3; round++) {
      int turnovers = group.turnovers();
      assertThat(new TreeSet<>(HyperscanMatcherTest.scan(tiny, input))).isEqualTo(expected);
      assertThat(group.turnovers()).isGreaterThan(turnovers);
    }
  }

  private static Byte[] box(byte[] bytes) {
    Byte[] boxed = new Byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      boxed[i] = bytes[i];
    }
    return boxed;
  }

  private static byte[] unbox(List<Byte> list) {
    byte[] bytes = new byte[list.size()];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = list.get(i);
    }
    return bytes;
  }
}
