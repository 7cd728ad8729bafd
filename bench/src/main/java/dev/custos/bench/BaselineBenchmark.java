package dev.custos.bench;

import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Policy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The naive baseline: every default detector's pattern run separately with {@code
 * java.util.regex} (a backtracking engine, so a speed baseline only) over the 4 MiB corpus, one
 * {@code find()} loop per pattern. No validators, keywords, context or evidence: it does less work
 * than the engine. One op = all patterns over 4 MiB: MB/s per core = ops/s × 4.194304.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
@State(Scope.Benchmark)
public class BaselineBenchmark {
  @Param({"text", "json"})
  public String content;

  private List<Pattern> patterns;
  private CharSequence input;

  @Setup(Level.Trial)
  public void setUp() {
    patterns = compile(Policy.ofDefault().detectors());
    // Latin-1 maps each byte to one char, so offsets and work match a byte-oriented scan.
    input = new String(Payloads.of(content), StandardCharsets.ISO_8859_1);
  }

  /**
   * Translates Custos patterns to {@code java.util.regex}. The syntax is a subset (classes, {@code
   * \d \w \s}, groups, alternation, greedy quantifiers, leading {@code (?i)}) and compiles as it is;
   * {@code \d \w \s} and {@code (?i)} are ASCII-only in both. Patterns that fail are skipped and
   * counted on stderr.
   */
  static List<Pattern> compile(List<DetectorDefinition> detectors) {
    List<Pattern> compiled = new ArrayList<>();
    int skipped = 0;
    for (DetectorDefinition d : detectors) {
      try {
        compiled.add(Pattern.compile(d.pattern()));
      } catch (PatternSyntaxException e) {
        skipped++;
        System.err.println("baseline: skipping " + d.id() + ": " + e.getDescription());
      }
    }
    System.err.println("baseline: " + compiled.size() + " patterns compiled, " + skipped + " skipped");
    return List.copyOf(compiled);
  }

  @Benchmark
  public long findAll() {
    long matches = 0;
    for (Pattern p : patterns) {
      Matcher m = p.matcher(input);
      while (m.find()) {
        matches++;
      }
    }
    return matches;
  }
}
