package dev.custos.bench;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.PluginDetector;
import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.PluginDetectorFactory;
import dev.custos.engine.PluginMatch;
import dev.custos.engine.Policy;
import dev.custos.engine.ScanResult;
import dev.custos.engine.Scanner;
import dev.custos.wasm.WasmDetectors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The example WebAssembly detector ({@code examples/wasm/project-code.wat}, run by {@link
 * WasmDetectors} on Chicory's compiler) against the same logic as a Java {@link PluginDetector},
 * on the 4 MiB text corpus with a project code about every 2 KiB. {@code detect}: the detector
 * alone over the corpus in 64 KiB windows (the default {@code max_window}); {@code scan}: a
 * scanner with only that detector (built-in detectors disabled), windows, overlap and findings
 * included. One op = 4 MiB: MB/s per core = ops/s × 4.194304. Run from the repository root.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
@State(Scope.Benchmark)
public class WasmDetectorBenchmark {
  private static final String CATEGORY = "internal_project_code";
  private static final int WINDOW = PluginDetectorDefinition.DEFAULT_MAX_WINDOW;

  @Param({"wat", "java"})
  public String detector;

  private byte[] corpus;
  private PluginDetector plugin;
  private Scanner scanner;

  @Setup(Level.Trial)
  public void setUp() {
    corpus = corpus();
    Path module = module();
    PluginDetectorDefinition definition =
        PluginDetectorDefinition.builder(CATEGORY + ".1", CATEGORY, module)
            .timeoutMillis(1000)
            .build();
    PluginDetectorFactory factory =
        "wat".equals(detector) ? WasmDetectors.ofDefault() : d -> new JavaProjectCodeDetector();
    plugin = factory.create(definition);
    Policy.Builder policy = Policy.builder().pluginDetector(definition);
    Policy.ofDefault().detectors().stream().map(DetectorDefinition::category).distinct()
        .forEach(policy::disable);
    scanner = Scanner.builder(policy.build()).backend(Backend.JAVA)
        .evidenceKey(EvidenceKey.of(new byte[32])).pluginDetectors(factory).build();
    int expected = expectedMatches();
    ScanResult r = scanner.scan(corpus, ContentType.TEXT);
    if (r.findings().size() != expected || !r.notes().isEmpty()) {
      throw new IllegalStateException("scan found " + r.findings().size() + " codes, notes "
          + r.notes() + " (expected: " + expected + ", none)");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    scanner.close();
    plugin.close();
  }

  /** The text corpus with {@code PRJ-} and six digits written over it about every 2 KiB. */
  static byte[] corpus() {
    byte[] bytes = Payloads.of("text").clone();
    byte[] code = " PRJ-".getBytes(StandardCharsets.US_ASCII);
    java.util.Random random = new java.util.Random(Payloads.SEED);
    for (int at = 1000; at + 12 < bytes.length; at += 1500 + random.nextInt(1100)) {
      System.arraycopy(code, 0, bytes, at, code.length);
      for (int i = 0; i < 6; i++) {
        bytes[at + 5 + i] = (byte) ('0' + random.nextInt(10));
      }
      bytes[at + 11] = ' ';
    }
    return bytes;
  }

  private int expectedMatches() {
    return new JavaProjectCodeDetector().detect(corpus, 0, corpus.length).size();
  }

  private static Path module() {
    for (String p : List.of("examples/wasm/project-code.wasm", "../examples/wasm/project-code.wasm")) {
      if (Files.isRegularFile(Path.of(p))) {
        return Path.of(p);
      }
    }
    throw new IllegalStateException(
        "examples/wasm/project-code.wasm: not found (expected: run from the repository root)");
  }

  @Benchmark
  public void detect(Blackhole bh) {
    for (int from = 0; from < corpus.length; from += WINDOW) {
      List<PluginMatch> found = plugin.detect(corpus, from, Math.min(WINDOW, corpus.length - from));
      bh.consume(found);
    }
  }

  @Benchmark
  public ScanResult scan() {
    return scanner.scan(corpus, ContentType.TEXT);
  }
}
