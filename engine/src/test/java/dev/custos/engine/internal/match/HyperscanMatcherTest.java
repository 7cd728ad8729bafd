package dev.custos.engine.internal.match;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import dev.custos.engine.internal.match.NaiveReference.Event;
import dev.custos.engine.internal.pattern.PatternNode;
import dev.custos.engine.internal.pattern.PatternParser;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HyperscanMatcherTest {
  static final List<String> PATTERNS =
      List.of("\\d{3}-\\d{2}-\\d{4}", "AKIA[0-9A-Z]{16}", "cat|dog|do", "(?i)secret", "\\d+");

  @BeforeAll
  static void requireHyperscan() {
    assumeHyperscan();
  }

  static void assumeHyperscan() {
    if (HyperscanMatcher.isAvailable()) {
      return;
    }
    boolean linuxX64 =
        System.getProperty("os.name").toLowerCase().contains("linux")
            && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
    if ("true".equals(System.getenv("CI")) && linuxX64) {
      fail("hyperscan must load on CI linux-x86_64: " + HyperscanMatcher.unavailableReason());
    }
    Assumptions.abort("hyperscan unavailable: " + HyperscanMatcher.unavailableReason());
  }

  static HyperscanMatcher compile(List<String> patterns) {
    List<PatternNode> nodes = new ArrayList<>();
    for (String p : patterns) {
      nodes.add(PatternParser.parse(p));
    }
    return HyperscanMatcher.compile(nodes);
  }

  /** Scans input split at the given (sorted, in-range) points and collects the events. */
  static List<Event> scan(MultiPatternMatcher matcher, byte[] input, int... splits) {
    List<Event> events = new ArrayList<>();
    try (MatchStream stream = matcher.newStream()) {
      int from = 0;
      for (int split : splits) {
        stream.scan(input, from, split - from, (p, e) -> events.add(new Event(p, e)));
        from = split;
      }
      stream.scan(input, from, input.length - from, (p, e) -> events.add(new Event(p, e)));
      stream.finish((p, e) -> events.add(new Event(p, e)));
    }
    return events;
  }

  static byte[] bytes(String s) {
    return s.getBytes(ISO_8859_1);
  }

  @Test
  void reportsEveryEndOfEveryPatternLikeTheReference() {
    String[] inputs = {
      "ssn 123-45-6789 and 987-65-4321",
      "key AKIAABCDEFGHIJKLMNOP end AKIAABCDEFGHIJKLMNOPQ",
      "dogcat do dodo",
      "SeCrEt secret SECRETS",
      "0123456789",
      "",
      "\u00e9\u00ff\u0080 123-45-67890",
    };
    NaiveReference reference = new NaiveReference(PATTERNS);
    try (HyperscanMatcher matcher = compile(PATTERNS)) {
      for (String input : inputs) {
        byte[] b = bytes(input);
        assertThat(new TreeSet<>(scan(matcher, b))).as(input).isEqualTo(reference.events(b));
      }
    }
  }

  @Test
  void reportsOverlappingMatchesAtEveryEnd() {
    try (HyperscanMatcher matcher = compile(List.of("\\d+", "aa"))) {
      assertThat(new TreeSet<>(scan(matcher, bytes("123 aaa"))))
          .containsExactly(
              new Event(0, 1), new Event(0, 2), new Event(0, 3), new Event(1, 6), new Event(1, 7));
    }
  }

  @Test
  void matchSplitAcrossOneByteChunksEndsAtItsStreamOffset() {
    byte[] input = bytes("xx 123-45-6789 yy");
    int[] everyByte = new int[input.length - 1];
    for (int i = 0; i < everyByte.length; i++) {
      everyByte[i] = i + 1;
    }
    try (HyperscanMatcher matcher = compile(List.of("\\d{3}-\\d{2}-\\d{4}"))) {
      assertThat(scan(matcher, input, everyByte)).containsExactly(new Event(0, 14));
    }
  }

  @Test
  void endOffsetsCountFromTheStreamStartNotTheChunk() {
    byte[] input = bytes("0123456789secret");
    try (HyperscanMatcher matcher = compile(List.of("(?i)secret"))) {
      assertThat(scan(matcher, input, 5, 10, 12)).containsExactly(new Event(0, 16));
    }
  }

  @Test
  void chunksLargerThanTheNativeSliceKeepOffsets() {
    int n = HyperscanMatcher.SLICE_BYTES * 2 + 100;
    byte[] input = new byte[n];
    Arrays.fill(input, (byte) ' ');
    int at = HyperscanMatcher.SLICE_BYTES - 3; // straddles the first slice boundary
    System.arraycopy(bytes("secret"), 0, input, at, 6);
    System.arraycopy(bytes("secret"), 0, input, n - 6, 6);
    try (HyperscanMatcher matcher = compile(List.of("secret"))) {
      assertThat(scan(matcher, input)).containsExactly(new Event(0, at + 6), new Event(0, n));
    }
  }

  @Test
  void incrementalReferenceAgreesWithAutomatonRun() {
    byte[] input = bytes("a 123-45-6789 SECRET dodo 4444");
    NaiveReference reference = new NaiveReference(PATTERNS);
    Set<Event> byRun = new TreeSet<>();
    for (int i = 0; i < PATTERNS.size(); i++) {
      var automaton = PatternParser.parse(PATTERNS.get(i)).toAutomaton();
      for (int e = 1; e <= input.length; e++) {
        for (int s = 0; s < e; s++) {
          if (automaton.run(new String(input, s, e - s, ISO_8859_1))) {
            byRun.add(new Event(i, e));
          }
        }
      }
    }
    assertThat(reference.events(input)).isEqualTo(byRun).isNotEmpty();
  }

  @Test
  void emptyPatternListMatchesNothing() {
    try (HyperscanMatcher matcher = HyperscanMatcher.compile(List.of())) {
      assertThat(scan(matcher, bytes("anything 123"))).isEmpty();
    }
  }

  @Test
  void refusedPatternIsIllegalArgumentNamingItsIndex() {
    List<PatternNode> patterns =
        List.of(PatternParser.parse("ok"), PatternParser.parse("(\\w{1000}x){1000}"));
    assertThatThrownBy(() -> HyperscanMatcher.compile(patterns))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("patterns[1]: ");
  }

  @Test
  void sinkFailurePropagatesAndStopsTheStream() {
    try (HyperscanMatcher matcher = compile(List.of("a"));
        MatchStream stream = matcher.newStream()) {
      byte[] input = bytes("aaa");
      assertThatThrownBy(
              () ->
                  stream.scan(
                      input,
                      0,
                      3,
                      (p, e) -> {
                        throw new IllegalStateException("boom");
                      }))
          .hasMessage("boom");
      assertThatThrownBy(() -> stream.scan(input, 0, 3, (p, e) -> {}))
          .isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void closeIsIdempotentAndStreamsOutliveTheirMatcher() {
    HyperscanMatcher matcher = compile(List.of("secret"));
    MatchStream stream = matcher.newStream();
    matcher.close();
    matcher.close();
    assertThatThrownBy(matcher::newStream).isInstanceOf(IllegalStateException.class);
    List<Event> events = new ArrayList<>();
    stream.scan(bytes("a secret"), 0, 8, (p, e) -> events.add(new Event(p, e)));
    stream.close();
    stream.close();
    assertThat(events).containsExactly(new Event(0, 8));
    assertThatThrownBy(() -> stream.scan(new byte[1], 0, 1, (p, e) -> {}))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void moreOpenStreamsThanCallbackSlotsWork() {
    try (HyperscanMatcher matcher = compile(List.of("secret"))) {
      List<MatchStream> streams = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        streams.add(matcher.newStream());
      }
      List<Event> events = new ArrayList<>();
      for (MatchStream s : streams) {
        s.scan(bytes("sec"), 0, 3, (p, e) -> events.add(new Event(p, e)));
      }
      for (MatchStream s : streams) {
        s.scan(bytes("ret"), 0, 3, (p, e) -> events.add(new Event(p, e)));
        s.close();
      }
      assertThat(events).hasSize(1000).containsOnly(new Event(0, 6));
    }
  }

  @Test
  void threadsShareOneMatcher() throws Exception {
    NaiveReference reference = new NaiveReference(PATTERNS);
    byte[] input = bytes("x 123-45-6789 SECRET dodo AKIAABCDEFGHIJKLMNOP 42 ".repeat(20));
    Set<Event> expected = reference.events(input);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (HyperscanMatcher matcher = compile(PATTERNS)) {
      List<Future<Set<Event>>> results = new ArrayList<>();
      for (int t = 0; t < 64; t++) {
        int step = 1 + t;
        results.add(
            pool.submit(
                () -> {
                  List<Integer> splits = new ArrayList<>();
                  for (int i = step; i < input.length; i += step) {
                    splits.add(i);
                  }
                  return new TreeSet<>(
                      scan(matcher, input, splits.stream().mapToInt(Integer::intValue).toArray()));
                }));
      }
      for (Future<Set<Event>> r : results) {
        assertThat(r.get()).isEqualTo(expected);
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void openingAndClosingManyStreamsDoesNotLeakNativeMemory() {
    // Many bounded repeats give each stream a few KB of state, so a leaked state shows in RSS.
    List<String> patterns = new ArrayList<>(PATTERNS);
    for (int i = 0; i < 100; i++) {
      patterns.add("k" + i + "[\\x00-\\xff]{" + (200 + i) + "}z");
    }
    byte[] input = bytes("ssn 123-45-6789 key AKIAABCDEFGHIJKLMNOP SECRET k1 k2 k99");
    try (HyperscanMatcher matcher = compile(patterns)) {
      long perStream = matcher.streamStateBytes();
      assertThat(perStream).isGreaterThan(2048);
      cycle(matcher, input, 1_000); // warm up the pool and allocator
      long before = Pointer.physicalBytes();
      cycle(matcher, input, 10_000);
      long grown = Pointer.physicalBytes() - before;
      assertThat(grown).isLessThan(10_000 * perStream / 4);
    }
  }

  private static void cycle(HyperscanMatcher matcher, byte[] input, int times) {
    EndSink ignore = (p, e) -> {};
    for (int i = 0; i < times; i++) {
      try (MatchStream s = matcher.newStream()) {
        s.scan(input, 0, 20, ignore);
        s.scan(input, 20, input.length - 20, ignore);
      }
    }
  }
}
