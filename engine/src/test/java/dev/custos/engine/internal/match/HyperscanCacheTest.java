package dev.custos.engine.internal.match;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The on-disk Hyperscan database cache: a database compiled once is loaded by the next compile of
 * the same expressions; changed expressions, another library version, a corrupted, truncated or
 * foreign file are never used (the database is compiled and the file rewritten); an unwritable
 * directory only costs the compile.
 */
class HyperscanCacheTest {
  private static final List<String> EXPRESSIONS = List.of("EXAMPLE-[0-9]{4}", "(?i)fake");

  @TempDir Path dir;

  @BeforeEach
  void hyperscanLoads() {
    assumeTrue(HyperscanMatcher.isAvailable(), "Hyperscan is unavailable here");
  }

  @Test
  void secondCompileOfTheSameExpressionsLoadsTheDatabase() throws IOException {
    HyperscanCache cache = HyperscanCache.in(dir);
    try (HyperscanMatcher first = HyperscanMatcher.compileExpressions(EXPRESSIONS, cache)) {
      assertThat(first.origin()).startsWith("compiled, database cached");
    }
    assertThat(databases()).hasSize(1);
    try (HyperscanMatcher second = HyperscanMatcher.compileExpressions(EXPRESSIONS, cache)) {
      assertThat(second.origin()).startsWith("database loaded from cache");
      assertThat(ends(second, "id EXAMPLE-1234 and FAKE ok")).containsExactly("0@15", "1@24");
    }
  }

  @Test
  void changedExpressionsMissTheCache() throws IOException {
    HyperscanCache cache = HyperscanCache.in(dir);
    HyperscanMatcher.compileExpressions(EXPRESSIONS, cache).close();
    List<String> changed = List.of("EXAMPLE-[0-9]{5}", "(?i)fake");
    try (HyperscanMatcher m = HyperscanMatcher.compileExpressions(changed, cache)) {
      assertThat(m.origin()).startsWith("compiled");
      assertThat(ends(m, "id EXAMPLE-1234 and EXAMPLE-12345")).containsExactly("0@33");
    }
    assertThat(databases()).hasSize(2);
    assertThat(HyperscanCache.key("5.4.0 other build", 2, EXPRESSIONS))
        .isNotEqualTo(HyperscanCache.key(HyperscanMatcher.Availability.VERSION, 2, EXPRESSIONS));
  }

  @Test
  void corruptedFileIsNotUsedAndIsRewritten() throws IOException {
    HyperscanCache cache = HyperscanCache.in(dir);
    HyperscanMatcher.compileExpressions(EXPRESSIONS, cache).close();
    Path file = databases().get(0);
    byte[] good = Files.readAllBytes(file);
    byte[] corrupted = good.clone();
    corrupted[corrupted.length - 7] ^= 0x55;
    Files.write(file, corrupted);
    try (HyperscanMatcher m = HyperscanMatcher.compileExpressions(EXPRESSIONS, cache)) {
      assertThat(m.origin()).startsWith("compiled, database cached");
      assertThat(ends(m, "EXAMPLE-1234")).containsExactly("0@12");
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(good);

    Files.write(file, java.util.Arrays.copyOf(good, 40));
    try (HyperscanMatcher m = HyperscanMatcher.compileExpressions(EXPRESSIONS, cache)) {
      assertThat(m.origin()).startsWith("compiled");
    }
    Files.writeString(file, "not a database at all");
    try (HyperscanMatcher m = HyperscanMatcher.compileExpressions(EXPRESSIONS, cache)) {
      assertThat(m.origin()).startsWith("compiled");
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(good);
  }

  @Test
  void fileOfAnotherKeyIsNotUsed() throws IOException {
    byte[] key = HyperscanCache.key("v", 2, EXPRESSIONS);
    byte[] other = HyperscanCache.key("v", 2, List.of("other"));
    byte[] content = HyperscanCache.wrap(new byte[] {1, 2, 3}, key);
    assertThat(HyperscanCache.unwrap(content, key)).containsExactly(1, 2, 3);
    assertThat(HyperscanCache.unwrap(content, other)).isNull();
  }

  @Test
  void payloadHyperscanRefusesIsCompiledInstead() throws IOException {
    HyperscanCache cache = HyperscanCache.in(dir);
    byte[] key = HyperscanCache.key(
        HyperscanMatcher.Availability.VERSION, com.gliwka.hyperscan.jni.hyperscan.HS_MODE_STREAM,
        EXPRESSIONS);
    assertThat(cache.write(key, "checksummed but not a database".getBytes())).isTrue();
    try (HyperscanMatcher m = HyperscanMatcher.compileExpressions(EXPRESSIONS, cache)) {
      assertThat(m.origin()).startsWith("compiled, database cached");
      assertThat(ends(m, "EXAMPLE-1234")).containsExactly("0@12");
    }
  }

  @Test
  void unwritableDirectoryOnlyCostsTheCompile() throws IOException {
    Path notADirectory = Files.writeString(dir.resolve("file"), "x");
    HyperscanCache cache = HyperscanCache.in(notADirectory.resolve("hyperscan"));
    try (HyperscanMatcher m = HyperscanMatcher.compileExpressions(EXPRESSIONS, cache)) {
      assertThat(m.origin()).contains("not writable");
      assertThat(ends(m, "EXAMPLE-1234")).containsExactly("0@12");
    }
  }

  @Test
  void cacheOffCompilesAndWritesNothing() throws IOException {
    try (HyperscanMatcher m =
        HyperscanMatcher.compileExpressions(EXPRESSIONS, HyperscanCache.none())) {
      assertThat(m.origin()).contains("cache off");
    }
    assertThat(databases()).isEmpty();
  }

  @Test
  void keepsOnlyTheMostRecentDatabases() throws IOException {
    HyperscanCache cache = HyperscanCache.in(dir);
    for (int i = 0; i < HyperscanCache.MAX_FILES + 3; i++) {
      byte[] key = HyperscanCache.key("v", 2, List.of("EXAMPLE" + i));
      assertThat(cache.write(key, new byte[] {(byte) i})).isTrue();
    }
    assertThat(databases()).hasSize(HyperscanCache.MAX_FILES);
  }

  private List<Path> databases() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".hsdb")).sorted().toList();
    }
  }

  private static List<String> ends(MultiPatternMatcher matcher, String text) {
    List<String> ends = new ArrayList<>();
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    try (MatchStream stream = matcher.newStream()) {
      EndSink sink = (id, end) -> ends.add(id + "@" + end);
      stream.scan(bytes, 0, bytes.length, sink);
      stream.finish(sink);
    }
    return ends;
  }
}
