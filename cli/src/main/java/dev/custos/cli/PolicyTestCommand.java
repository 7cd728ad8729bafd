package dev.custos.cli;

import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import dev.custos.wasm.WasmDetectors;
import dev.custos.engine.StreamScanner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code custos policy test FILE --samples DIR}: scans every sample with the policy and compares
 * the finding count per category with the sample's expectation file. Prints counts only, never
 * values.
 */
@Command(
    name = "test",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Scans each sample file in DIR (recursively) with the policy and compares the number of "
            + "findings per category with the expectation file beside it: x.json is checked "
            + "against x.expect.yaml, which holds e.g. 'categories: {us_ssn: 2, email: 1}' (exact "
            + "counts; categories not listed must have none) and optionally 'content_type: json'. "
            + "Prints counts, never values.",
    footer = {"", "Exit codes: 0 all samples pass, 1 a sample fails,", "            2 usage or configuration error."})
final class PolicyTestCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "The policy file.")
  Path file;

  @Option(names = "--samples", paramLabel = "DIR", required = true, description = "Directory of samples and expectation files.")
  Path samples;

  @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors.")
  boolean verbose;

  private final Io io;

  PolicyTestCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws IOException {
    Policy policy = Policy.parse(file);
    if (!Files.isDirectory(samples)) {
      throw new CliException(samples + ": not a directory (expected: a directory of samples)");
    }
    Set<String> categories = new TreeSet<>();
    for (DetectorDefinition d : policy.detectors()) {
      categories.add(d.category());
    }
    for (PluginDetectorDefinition d : policy.pluginDetectors()) {
      categories.add(d.category());
      categories.addAll(d.categories());
    }
    List<Path> files = new ArrayList<>();
    walk(samples, files);
    Set<Path> expectations = new TreeSet<>();
    List<Path> sampleFiles = new ArrayList<>();
    for (Path f : files) {
      if (f.getFileName().toString().endsWith(Expectation.SUFFIX)) {
        expectations.add(f);
      } else {
        sampleFiles.add(f);
      }
    }
    int passed = 0;
    int failed = 0;
    int errors = 0;
    Set<Path> used = new HashSet<>();
    // Hashes are never shown here, so a per-process key is enough.
    try (Scanner scanner = Scanner.builder(policy).evidenceKey(EvidenceKey.random())
        .pluginDetectors(WasmDetectors.ofDefault()).build()) {
      for (Path sample : sampleFiles) {
        Path expectFile = expectationOf(sample);
        used.add(expectFile);
        if (!Files.isRegularFile(expectFile)) {
          error(sample + ": no expectation file " + expectFile.getFileName() + " beside it");
          errors++;
          continue;
        }
        Expectation expectation;
        Map<String, Long> found;
        try {
          expectation = Expectation.read(expectFile, categories);
          found = count(scanner, sample, expectation.contentType());
        } catch (CliException e) {
          error(e.getMessage());
          errors++;
          continue;
        } catch (IOException e) {
          error(Messages.of(e));
          errors++;
          continue;
        }
        List<String> differences = differences(expectation.counts(), found);
        if (differences.isEmpty()) {
          long total = found.values().stream().mapToLong(Long::longValue).sum();
          io.out().println("PASS " + sample + " (" + total + (total == 1 ? " finding)" : " findings)"));
          passed++;
        } else {
          io.out().println("FAIL " + sample + ": " + String.join("; ", differences));
          failed++;
        }
      }
    }
    for (Path expectFile : expectations) {
      if (!used.contains(expectFile)) {
        error(expectFile + ": no sample file beside it");
        errors++;
      }
    }
    if (sampleFiles.isEmpty() && expectations.isEmpty()) {
      throw new CliException(samples + ": no samples (expected: files with a x.expect.yaml beside them)");
    }
    io.out().println(passed + " passed, " + failed + " failed" + (errors > 0 ? ", " + errors + " errors" : ""));
    if (errors > 0) {
      return Main.ERROR;
    }
    return failed > 0 ? Main.FOUND : Main.OK;
  }

  static Path expectationOf(Path sample) {
    String name = sample.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String base = dot > 0 ? name.substring(0, dot) : name;
    return sample.resolveSibling(base + Expectation.SUFFIX);
  }

  private static Map<String, Long> count(Scanner scanner, Path sample, ContentType fixedType)
      throws IOException {
    Map<String, Long> counts = new TreeMap<>();
    byte[] buffer = new byte[ScanCommand.CHUNK_SIZE];
    try (InputStream in = Files.newInputStream(sample)) {
      int n = in.read(buffer);
      ContentType type =
          fixedType != null
              ? fixedType
              : ContentType.guess(sample.getFileName().toString(), buffer, Math.max(n, 0));
      try (StreamScanner stream = scanner.newStream(type)) {
        while (n >= 0) {
          tally(stream.feed(buffer, 0, n), counts);
          n = in.read(buffer);
        }
        tally(stream.finish(), counts);
      }
    }
    return counts;
  }

  private static void tally(List<Finding> findings, Map<String, Long> counts) {
    for (Finding f : findings) {
      counts.merge(f.category(), 1L, Long::sum);
    }
  }

  private static List<String> differences(Map<String, Long> expected, Map<String, Long> found) {
    Set<String> categories = new TreeSet<>(expected.keySet());
    categories.addAll(found.keySet());
    List<String> differences = new ArrayList<>();
    for (String category : categories) {
      long e = expected.getOrDefault(category, 0L);
      long f = found.getOrDefault(category, 0L);
      if (e != f) {
        differences.add(category + " expected " + e + ", found " + f);
      }
    }
    return differences;
  }

  private void walk(Path dir, List<Path> out) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(children::add);
    }
    children.sort(Comparator.comparing(c -> c.getFileName().toString()));
    for (Path child : children) {
      if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
        walk(child, out);
      } else if (Files.isRegularFile(child)) {
        out.add(child);
      }
    }
  }

  private void error(String message) {
    io.err().println("custos: " + message);
  }
}
