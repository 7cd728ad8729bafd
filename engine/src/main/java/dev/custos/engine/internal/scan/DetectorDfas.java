package dev.custos.engine.internal.scan;

import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.internal.detect.BuiltinDetectors;
import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.DfaCache;
import dev.custos.engine.internal.pattern.PatternNode;
import dev.custos.engine.internal.pattern.PatternParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The detectors' automata compiled at build time: {@link #main} writes them for every built-in
 * detector into {@link #RESOURCE} (the engine's build runs it after compiling), and {@link
 * #builtin()} reads them back, once per process. A detector whose automata are not in it (a
 * custom one, or a built-in changed since) is compiled as before; a cache written by other code
 * is not used at all.
 */
public final class DetectorDfas {
  /** The class-path resource holding the built-in detectors' automata. */
  public static final String RESOURCE = "/dev/custos/engine/builtin/compiled-detectors.bin";

  /** A system property that, when true, leaves the cache unused (to measure or rule it out). */
  public static final String DISABLE_PROPERTY = "custos.noCompiledDetectors";

  /** A detector's searching automaton (see {@link CompiledDetector}). */
  static final String SEARCH = "search";
  /** A detector's exact reverse automaton, which finds where a match starts. */
  static final String REVERSE = "reverse";
  /** The exact automaton of an exclusion pattern. */
  static final String EXACT = "exact";
  /** The searching automaton of a keyword (lower case, matched in any case). */
  static final String KEYWORD = "keyword";

  private DetectorDfas() {}

  /** Returns the version of the code that builds detectors' automata. */
  public static String codeVersion() {
    return Holder.CODE_VERSION;
  }

  /** Returns the built-in cache (empty, with its reason, when missing or stale). */
  public static DfaCache builtin() {
    return Holder.BUILTIN;
  }

  private static final class Holder {
    static final String CODE_VERSION =
        DfaCache.codeVersion(
            ByteDfa.class, PatternNode.class, PatternParser.class, CompiledDetector.class,
            DetectorDfas.class, dk.brics.automaton.Automaton.class);
    static final DfaCache BUILTIN = load();

    private static DfaCache load() {
      if (Boolean.getBoolean(DISABLE_PROPERTY)) {
        return DfaCache.unusable("compiled-detector cache: off (-D" + DISABLE_PROPERTY + ")");
      }
      DfaCache cache;
      boolean present;
      try (InputStream in = DetectorDfas.class.getResourceAsStream(RESOURCE)) {
        present = in != null;
        cache = DfaCache.read(in, CODE_VERSION);
      } catch (IOException e) {
        present = true;
        cache = DfaCache.unusable("compiled-detector cache: unreadable (" + e.getMessage() + ")");
      }
      if (present && cache.size() == 0) {
        org.slf4j.LoggerFactory.getLogger(DetectorDfas.class).warn(
            "{} ({}): not used; detectors are compiled at start instead",
            cache.status(), RESOURCE);
      }
      return cache;
    }
  }

  /** Returns whether the file is a cache of this code holding every built-in detector's automata. */
  private static boolean upToDate(Path file) throws IOException {
    DfaCache cache;
    try (InputStream in = Files.newInputStream(file)) {
      cache = DfaCache.read(in, codeVersion());
    }
    for (DetectorDefinition d : BuiltinDetectors.all()) {
      if (!cache.contains(SEARCH, d.pattern()) || !cache.contains(REVERSE, d.pattern())) {
        return false;
      }
      for (String p : d.excludePatterns()) {
        if (!cache.contains(EXACT, p)) {
          return false;
        }
      }
      for (String k : new CompiledDetector.Words(d.keywords()).texts) {
        if (!cache.contains(KEYWORD, k)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Writes the automata of {@code detectors} to {@code out}, for code of {@code codeVersion}. */
  static void write(List<DetectorDefinition> detectors, OutputStream out, String codeVersion)
      throws IOException {
    Map<String, ByteDfa> searching = new ConcurrentHashMap<>();
    Map<String, ByteDfa> reverse = new ConcurrentHashMap<>();
    Map<String, ByteDfa> exact = new ConcurrentHashMap<>();
    Map<String, ByteDfa> keywords = new ConcurrentHashMap<>();
    detectors.parallelStream().forEach(d -> {
      searching.computeIfAbsent(d.pattern(),
          p -> CompiledDetector.searchingDfa(PatternParser.parse(p)));
      reverse.computeIfAbsent(d.pattern(), p -> ByteDfa.reversed(PatternParser.parse(p)));
      for (String p : d.excludePatterns()) {
        exact.computeIfAbsent(p, q -> ByteDfa.exact(PatternParser.parse(q)));
      }
      for (String k : new CompiledDetector.Words(d.keywords()).texts) {
        keywords.computeIfAbsent(k,
            w -> ByteDfa.searching(PatternParser.caseInsensitiveLiteral(w)));
      }
    });
    DfaCache.Writer writer = new DfaCache.Writer();
    for (DetectorDefinition d : detectors) {
      writer.put(SEARCH, d.pattern(), searching.get(d.pattern()));
      writer.put(REVERSE, d.pattern(), reverse.get(d.pattern()));
      for (String p : d.excludePatterns()) {
        writer.put(EXACT, p, exact.get(p));
      }
    }
    for (Map.Entry<String, ByteDfa> k : new java.util.TreeMap<>(keywords).entrySet()) {
      writer.put(KEYWORD, k.getKey(), k.getValue());
    }
    writer.write(out, codeVersion);
  }

  /**
   * Generates the built-in cache: {@code DetectorDfas OUTPUT-FILE}. Run by the engine's build
   * after compiling, so the jar carries automata matching its own catalog and code.
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException(
          "arguments: " + args.length + " (expected: the output file)");
    }
    Path target = Path.of(args[0]);
    if (Files.isRegularFile(target) && upToDate(target)) {
      return;
    }
    Files.createDirectories(target.toAbsolutePath().getParent());
    Path temp = Files.createTempFile(target.toAbsolutePath().getParent(), "detectors", ".tmp");
    try (OutputStream out = Files.newOutputStream(temp)) {
      write(BuiltinDetectors.all(), out, codeVersion());
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    Files.move(temp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
