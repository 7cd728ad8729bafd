package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.StreamScanner;
import dev.custos.engine.internal.detect.BuiltinDetectors;
import dev.custos.engine.internal.match.HyperscanCache;
import dev.custos.engine.internal.match.HyperscanMatcher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential: built-in detectors scanned with a Hyperscan database loaded from the on-disk
 * cache finds exactly what a freshly compiled database finds, on every detector's examples and
 * counter-examples.
 */
class HyperscanDatabaseCacheTest {
  private static final EvidenceKey KEY = EvidenceKey.of(new byte[32]);
  private static final ScanSettings SETTINGS = new ScanSettings(48, 256, 1 << 20);

  @TempDir Path dir;

  @Test
  void loadedDatabaseFindsWhatACompiledOneFinds() {
    assumeTrue(HyperscanMatcher.isAvailable(), "Hyperscan is unavailable here");
    // Every fourth built-in detector: patterns of every shape, while compiling the database
    // (the slow part, which this test does once) stays short on a loaded machine.
    List<DetectorDefinition> all = new ArrayList<>();
    for (int i = 0; i < BuiltinDetectors.all().size(); i += 4) {
      all.add(BuiltinDetectors.all().get(i));
    }
    HyperscanCache cache = HyperscanCache.in(dir);
    try (ScanEngine compiled = ScanEngine.compile(all, List.of(), List.of(), Backend.HYPERSCAN,
            KEY, SETTINGS, DetectorDfas.builtin(), cache);
        ScanEngine loaded = ScanEngine.compile(all, List.of(), List.of(), Backend.HYPERSCAN, KEY,
            SETTINGS, DetectorDfas.builtin(), cache)) {
      assertThat(compiled.compileNotes()).contains("hyperscan compiled, database cached");
      assertThat(loaded.compileNotes()).contains("hyperscan database loaded from cache");
      StringBuilder text = new StringBuilder();
      for (DetectorDefinition d : all) {
        for (String s : d.examples()) {
          text.append(d.keywords().isEmpty() ? "" : d.keywords().get(0)).append(": ").append(s)
              .append('\n');
        }
        for (String s : d.counterExamples()) {
          text.append("value ").append(s).append('\n');
        }
      }
      List<Finding> expected = scan(compiled, text.toString());
      assertThat(expected).isNotEmpty();
      assertThat(scan(loaded, text.toString())).isEqualTo(expected);
    }
  }

  private static List<Finding> scan(ScanEngine engine, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    try (StreamScanner stream = engine.newStream(ContentType.TEXT, null, null)) {
      List<Finding> findings = new ArrayList<>(stream.feed(bytes, 0, bytes.length));
      findings.addAll(stream.finish());
      return findings;
    }
  }
}
