package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.StreamScanner;
import dev.custos.engine.internal.detect.BuiltinDetectors;
import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.DfaCache;
import dev.custos.engine.internal.pattern.PatternNode;
import dev.custos.engine.internal.pattern.PatternParser;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Example;

/**
 * The compiled-detector cache generated at build time: it holds every built-in detector, its
 * automata equal freshly built ones and give the same findings, and a stale, corrupted or foreign
 * cache is never used.
 */
class DetectorDfasTest {
  private static final EvidenceKey KEY = EvidenceKey.of(new byte[32]);
  private static final ScanSettings SETTINGS = new ScanSettings(48, 256, 1 << 20);

  @Example
  void buildGeneratedCacheHoldsEveryBuiltinDetector() {
    DfaCache cache = DetectorDfas.builtin();
    assertThat(cache.status()).contains("automata");
    for (DetectorDefinition d : BuiltinDetectors.all()) {
      assertThat(cache.get(DetectorDfas.SEARCH, d.pattern())).as(d.id()).isNotNull();
      assertThat(cache.contains(DetectorDfas.REVERSE, d.pattern())).as(d.id()).isTrue();
      for (String p : d.excludePatterns()) {
        assertThat(cache.get(DetectorDfas.EXACT, p)).as(d.id()).isNotNull();
      }
    }
  }

  @Example
  void defaultCompileTakesEveryBuiltinFromTheCache() {
    try (ScanEngine engine = ScanEngine.compile(
        BuiltinDetectors.all(), Backend.JAVA, KEY, SETTINGS)) {
      assertThat(engine.cachedDetectors()).isEqualTo(BuiltinDetectors.all().size());
    }
  }

  @Example
  void cacheOfOtherCodeIsStaleAndNotUsed() throws IOException {
    DetectorDefinition d = DetectorDefinition.builder("t.one", "t", "EXAMPLE-[0-9]{4}").build();
    byte[] file = write(List.of(d), "0123456789abcdef-other-code");
    DfaCache cache = DfaCache.read(new ByteArrayInputStream(file), DetectorDfas.codeVersion());
    assertThat(cache.size()).isZero();
    assertThat(cache.status()).contains("stale");
    assertThat(cache.get(DetectorDfas.SEARCH, d.pattern())).isNull();
  }

  @Example
  void corruptedCacheIsNotUsed() throws IOException {
    DetectorDefinition d = DetectorDefinition.builder("t.one", "t", "EXAMPLE-[0-9]{4}").build();
    byte[] file = write(List.of(d), DetectorDfas.codeVersion());
    assertThat(DfaCache.read(new ByteArrayInputStream(file), DetectorDfas.codeVersion()).size())
        .as("searching and reverse automata").isEqualTo(2);
    file[file.length - 3] ^= 0x55;
    DfaCache corrupted = DfaCache.read(new ByteArrayInputStream(file), DetectorDfas.codeVersion());
    assertThat(corrupted.size()).isZero();
    assertThat(corrupted.status()).contains("checksum");
    DfaCache truncated = DfaCache.read(
        new ByteArrayInputStream(java.util.Arrays.copyOf(file, 20)), DetectorDfas.codeVersion());
    assertThat(truncated.size()).isZero();
    DfaCache foreign = DfaCache.read(new ByteArrayInputStream(
        "not a cache at all".getBytes(StandardCharsets.US_ASCII)), DetectorDfas.codeVersion());
    assertThat(foreign.status()).contains("not a cache");
  }

  @Example
  void entryThatDoesNotInflateIsMissingAndCompiled() throws IOException {
    DetectorDefinition d = DetectorDefinition.builder("t.one", "t", "EXAMPLE-[0-9]{4}").build();
    byte[] file = write(List.of(d), DetectorDfas.codeVersion());
    // Past the header (magic, layout, version, CRC-32) and the count: the first entry's key and
    // inflated length; make that length wrong and the CRC-32 right again.
    int header = 10 + 4 + 2 + DetectorDfas.codeVersion().length() + 8;
    file[header + 4 + 32 + 3] += 1;
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(file, header, file.length - header);
    java.nio.ByteBuffer.wrap(file, header - 8, 8).putLong(crc.getValue());
    DfaCache cache = DfaCache.read(new ByteArrayInputStream(file), DetectorDfas.codeVersion());
    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.get(DetectorDfas.SEARCH, d.pattern())).isNull();
    assertThat(new CompiledDetector(0, d, cache).searchDfa.equivalentTo(
        CompiledDetector.searchingDfa(PatternParser.parse(d.pattern())))).isTrue();
  }

  @Example
  void reverseAutomatonComesFromTheCacheWithoutBuilding() throws IOException {
    DetectorDefinition d = DetectorDefinition.builder("t.one", "t", "EXAMPLE-[0-9]{4}").build();
    DfaCache cache = DfaCache.read(
        new ByteArrayInputStream(write(List.of(d), DetectorDfas.codeVersion())),
        DetectorDfas.codeVersion());
    ByteDfa cached = cache.get(DetectorDfas.REVERSE, d.pattern());
    assertThat(cached).isNotNull();
    assertThat(new CompiledDetector(0, d, cache).reverse()).isSameAs(cached);
    ByteDfa built = new CompiledDetector(0, d, DfaCache.empty()).reverse();
    assertThat(built).isNotSameAs(cached);
    assertThat(built.equivalentTo(cached)).isTrue();
  }

  @Example
  void changedPatternMissesTheCacheAndIsCompiled() throws IOException {
    DetectorDefinition before = DetectorDefinition.builder("t.one", "t", "EXAMPLE-[0-9]{4}").build();
    DetectorDefinition after = DetectorDefinition.builder("t.one", "t", "EXAMPLE-[0-9]{5}").build();
    DfaCache cache = DfaCache.read(
        new ByteArrayInputStream(write(List.of(before), DetectorDfas.codeVersion())),
        DetectorDfas.codeVersion());
    assertThat(new CompiledDetector(0, before, cache).fromCache).isTrue();
    CompiledDetector changed = new CompiledDetector(0, after, cache);
    assertThat(changed.fromCache).isFalse();
    assertThat(changed.searchDfa.equivalentTo(CompiledDetector.searchingDfa(PatternParser.parse(after.pattern()))))
        .isTrue();
  }

  @Property(tries = 10)
  void serializedAutomatonReadsBackIdentical(@ForAll("builtins") DetectorDefinition d)
      throws IOException {
    ByteDfa dfa = DetectorDfas.builtin().get(DetectorDfas.SEARCH, d.pattern());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new DfaCache.Writer().put("k", "p", dfa).write(bytes, "v");
    DfaCache back = DfaCache.read(new ByteArrayInputStream(bytes.toByteArray()), "v");
    assertThat(back.get("k", "p").sameAs(dfa)).isTrue();
    assertThat(back.get("k", "q")).isNull();
    assertThat(back.get("j", "p")).isNull();
  }

  @Provide
  Arbitrary<DetectorDefinition> builtins() {
    return Arbitraries.of(BuiltinDetectors.all());
  }

  @Property(tries = 25)
  void cachedAutomataEqualFreshOnesAndFindTheSame(@ForAll("builtins") DetectorDefinition d) {
    PatternNode node = PatternParser.parse(d.pattern());
    ByteDfa cached = DetectorDfas.builtin().get(DetectorDfas.SEARCH, d.pattern());
    assertThat(cached).isNotNull();
    assertThat(cached.equivalentTo(CompiledDetector.searchingDfa(node))).as(d.id()).isTrue();
    assertThat(DetectorDfas.builtin().get(DetectorDfas.REVERSE, d.pattern())
        .equivalentTo(ByteDfa.reversed(node))).as(d.id()).isTrue();
    for (String p : d.excludePatterns()) {
      assertThat(DetectorDfas.builtin().get(DetectorDfas.EXACT, p)
          .equivalentTo(ByteDfa.exact(PatternParser.parse(p)))).as(d.id()).isTrue();
    }
    List<String> samples = new ArrayList<>(d.examples());
    samples.addAll(d.counterExamples());
    try (ScanEngine withCache = ScanEngine.compile(List.of(d), List.of(), List.of(),
            Backend.JAVA, KEY, SETTINGS, DetectorDfas.builtin());
        ScanEngine without = ScanEngine.compile(List.of(d), List.of(), List.of(),
            Backend.JAVA, KEY, SETTINGS, DfaCache.empty())) {
      assertThat(withCache.cachedDetectors()).isEqualTo(1);
      assertThat(without.cachedDetectors()).isZero();
      for (String sample : samples) {
        String text = "id: " + sample + " end";
        assertThat(scan(withCache, text)).as(d.id()).isEqualTo(scan(without, text));
      }
    }
  }

  @Property(tries = 40)
  void firstAndLastBytesFromTheTreeEqualThoseOfTheAutomaton(
      @ForAll("builtins") DetectorDefinition d) {
    PatternNode node = PatternParser.parse(d.pattern());
    assertThat(node.firstBytes()).isEqualTo(initialBytes(node));
    assertThat(node.lastBytes()).isEqualTo(initialBytes(node.reverse()));
  }

  private static BitSet initialBytes(PatternNode node) {
    BitSet first = new BitSet(256);
    for (dk.brics.automaton.Transition t : node.toAutomaton().getInitialState().getTransitions()) {
      first.set(t.getMin(), t.getMax() + 1);
    }
    return first;
  }

  private static List<Finding> scan(ScanEngine engine, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    try (StreamScanner stream = engine.newStream(ContentType.TEXT, null, null)) {
      List<Finding> findings = new ArrayList<>(stream.feed(bytes, 0, bytes.length));
      findings.addAll(stream.finish());
      return findings;
    }
  }

  private static byte[] write(List<DetectorDefinition> detectors, String codeVersion)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DetectorDfas.write(detectors, out, codeVersion);
    return out.toByteArray();
  }
}
