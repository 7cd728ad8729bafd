package dev.custos.cli;

import dev.custos.engine.Backend;
import dev.custos.engine.Confidence;
import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.Rule;
import dev.custos.engine.ScanNote;
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
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code custos scan}: finds sensitive data in files, directories or stdin, or redacts it. */
@Command(
    name = "scan",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Scans files, directories (recursively, in sorted order) or stdin (-) for sensitive "
            + "data. Prints findings as text, JSON Lines or SARIF; or, with --redact, the content "
            + "with every finding rewritten.",
    footer = {
      "",
      "Text format: FILE:LINE:COLUMN CATEGORY DETECTOR CONFIDENCE PREVIEW [JSON-PATH]",
      "(columns count characters; FILE:@OFFSET when a position is not known).",
      "Evidence hashes use the key in CUSTOS_EVIDENCE_KEY or the file named by",
      "CUSTOS_EVIDENCE_KEY_FILE (a random per-process key otherwise).",
      "",
      "Skipped: anything under .git/, paths ignored by .gitignore files (in the scanned",
      "directories and below), --exclude globs, and binary files (a NUL byte in the first",
      "64 KiB; named with --verbose). Findings on a line holding custos:ignore are dropped.",
      "",
      "Exit codes: 0 nothing found, 1 sensitive data found (or --exit-code),",
      "            2 usage or configuration error, or a file could not be read."
    })
final class ScanCommand implements Callable<Integer> {
  static final int CHUNK_SIZE = 64 * 1024;

  enum Format {
    text,
    jsonl,
    sarif
  }

  @Spec CommandSpec spec;

  @Option(names = "--policy", paramLabel = "FILE", description = "Policy file (default: every built-in detector).")
  @Nullable Path policyFile;

  @Option(names = "--format", paramLabel = "FORMAT", description = "Output format: ${COMPLETION-CANDIDATES} (default: text).")
  @Nullable Format format;

  @Option(
      names = "--content-type",
      paramLabel = "TYPE",
      description =
          "json, form, text or a MIME type (default: guessed per file from its name and first bytes;"
              + " form, application/x-www-form-urlencoded, is never guessed).")
  @Nullable String contentType;

  @Option(
      names = "--redact",
      paramLabel = "STYLE",
      description = "Write the content with findings redacted to stdout: mask, partial or hash.")
  @Nullable String redact;

  @Option(
      names = "--engine",
      paramLabel = "ENGINE",
      defaultValue = "auto",
      description = "Matching backend: auto, java or hyperscan (default: ${DEFAULT-VALUE}).")
  String engine = "auto";

  @Option(names = {"-v", "--verbose"}, description = "Show the backend, scan notes and stack traces.")
  boolean verbose;

  @Option(
      names = "--min-confidence",
      paramLabel = "LEVEL",
      description = "Report only findings of at least this confidence: low, medium or high (default: low, all).")
  @Nullable String minConfidence;

  @Option(
      names = "--baseline",
      paramLabel = "FILE",
      description = "Do not report findings listed in FILE (written by --write-baseline): keyed by file,"
          + " detector and evidence hash, so set CUSTOS_EVIDENCE_KEY for both runs.")
  @Nullable Path baselineFile;

  @Option(
      names = "--write-baseline",
      paramLabel = "FILE",
      description = "Write the key (file, detector, evidence hash; never a value) of every finding reported to FILE.")
  @Nullable Path writeBaselineFile;

  @Option(
      names = "--exclude",
      paramLabel = "GLOB",
      description = "Skip paths matching GLOB (.gitignore syntax: '*.log', 'build/', 'docs/**/*.md'); repeatable.")
  List<String> excludes = new ArrayList<>();

  @Option(
      names = "--exit-code",
      paramLabel = "N",
      defaultValue = "1",
      description = "Exit code when findings are reported (default: ${DEFAULT-VALUE}; 0 to 255).")
  int exitCode = Main.FOUND;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "0",
      description = "Threads that scan one large text or JSON-lines file, in ranges cut at line starts,"
          + " with the same findings in the same order as one thread (default: 0, one per core; 1:"
          + " one thread per file).")
  int threads;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "Write findings (or, with --redact, the content) to FILE instead of stdout.")
  @Nullable Path outputFile;

  @Parameters(arity = "1..*", paramLabel = "PATH", description = "Files or directories to scan, or - for stdin.")
  List<String> paths = new ArrayList<>();

  private Io io;
  private boolean problems;
  private @Nullable Confidence minimum;
  private Set<Baseline.Key> known = Set.of();
  private final Set<Baseline.Key> seen = new TreeSet<>();
  private GitIgnore excluded = GitIgnore.ofGlobs(List.of());
  private int suppressed;
  /** Each given or walked file's path as exclusion globs see it (relative to a walked directory). */
  private final Map<Source, String> globPaths = new IdentityHashMap<>();
  /** Rules whose own allowlist names files: their categories are not reported in those files. */
  private final List<RuleFiles> ruleFiles = new ArrayList<>();

  private record RuleFiles(Rule rule, GitIgnore files) {}

  /** The parallel scan's settings for a number of threads (tests cut smaller ranges). */
  private final java.util.function.IntFunction<ParallelScan.Settings> parallelSettings;
  private @Nullable ParallelScan parallel;
  private boolean pluginDetectors;

  ScanCommand(Io io) {
    this(io, ParallelScan.Settings::of);
  }

  ScanCommand(Io io, java.util.function.IntFunction<ParallelScan.Settings> parallelSettings) {
    this.io = io;
    this.parallelSettings = parallelSettings;
  }

  @Override
  public Integer call() throws IOException {
    RedactionStyle style = redact == null ? null : usage(() -> RedactionStyle.ofId(redact));
    if (style != null && format != null) {
      throw new ParameterException(
          spec.commandLine(), "--redact writes content, not findings; it cannot be combined with --format");
    }
    ContentType fixedType = contentType == null ? null : usage(() -> ContentType.of(contentType));
    Backend backend = usage(() -> Backend.ofId(engine));
    minimum = minConfidence == null ? null : usage(() -> Confidence.ofId(minConfidence));
    if (threads < 0) {
      throw new ParameterException(spec.commandLine(), "--threads: " + threads + " (expected: 0 or more)");
    }
    if (exitCode < 0 || exitCode > 255) {
      throw new ParameterException(
          spec.commandLine(), "--exit-code: " + exitCode + " (expected: 0 to 255)");
    }
    excluded = usage(() -> GitIgnore.ofGlobs(excludes));
    if (baselineFile != null) {
      known = Baseline.read(baselineFile);
    }
    if ((baselineFile != null || writeBaselineFile != null)
        && System.getenv(EvidenceKey.ENVIRONMENT_VARIABLE) == null
        && System.getenv(EvidenceKey.FILE_ENVIRONMENT_VARIABLE) == null) {
      io.err().println("custos: note: no evidence key set: baseline hashes are of a per-process key"
          + " and match no other run (set CUSTOS_EVIDENCE_KEY or CUSTOS_EVIDENCE_KEY_FILE)");
    }
    if (outputFile != null) {
      try {
        io = new Io(io.in(), new java.io.PrintStream(
            new java.io.BufferedOutputStream(Files.newOutputStream(outputFile)), false,
            java.nio.charset.StandardCharsets.UTF_8), io.err());
      } catch (IOException e) {
        throw new CliException("--output: " + Messages.of(e));
      }
    }
    try {
      return scanAll(style, fixedType, backend);
    } finally {
      if (parallel != null) {
        parallel.close();
      }
      if (outputFile != null) {
        io.out().close();
      }
    }
  }

  private Integer scanAll(@Nullable RedactionStyle style, @Nullable ContentType fixedType, Backend backend)
      throws IOException {

    Policy policy = policyFile == null ? Policy.ofDefault() : Policy.parse(policyFile);
    pluginDetectors = !policy.pluginDetectors().isEmpty();
    if (!policy.allowlist().files().isEmpty()) {
      List<String> globs = new ArrayList<>(excludes);
      globs.addAll(policy.allowlist().files());
      excluded = usage(() -> GitIgnore.ofGlobs(globs, "allowlist.files / --exclude"));
    }
    for (Rule r : policy.rules()) {
      if (!r.allowlist().files().isEmpty()) {
        GitIgnore files = usage(() -> GitIgnore.ofGlobs(r.allowlist().files(),
            "rule '" + r.name() + "': allowlist.files"));
        ruleFiles.add(new RuleFiles(r, files));
      }
    }
    List<Source> sources = collectSources();
    EvidenceKey key = EvidenceKey.fromEnvironment();

    Progress progress =
        new Progress(io.err(), sources.size() > 1 && Progress.isTerminal(io.err()), sources.size());
    FindingSink sink = style != null ? null : newSink(format == null ? Format.text : format, policy, progress);
    Map<String, Long> counts = new TreeMap<>();
    long bytes = 0;
    int scanned = 0;
    try (Scanner scanner = Scanner.builder(policy).backend(backend).evidenceKey(key)
        .pluginDetectors(WasmDetectors.ofDefault()).build()) {
      if (verbose) {
        io.err().println(
            "custos: " + policy.detectors().size() + " detectors, backend " + scanner.backend().id());
        io.err().println("custos: " + scanner.compileNotes());
      }
      if (sink != null) {
        sink.begin();
      }
      for (int i = 0; i < sources.size() && !outputClosed(); i++) {
        Source source = sources.get(i);
        progress.startFile(i + 1, source.name());
        long n = scanOne(scanner, source, fixedType, style, sink, progress, counts);
        if (n >= 0) {
          bytes += n;
          scanned++;
        }
      }
      if (sink != null) {
        sink.end();
      }
    } finally {
      progress.clear();
      io.out().flush();
    }
    if (sink == null || sink instanceof TextSink) {
      io.err().println("custos: " + summary(counts, scanned, bytes)
          + (suppressed > 0 ? " (" + suppressed + " suppressed by baseline, custos:ignore or --min-confidence)" : ""));
    }
    if (writeBaselineFile != null) {
      try {
        Baseline.write(writeBaselineFile, seen);
      } catch (IOException e) {
        throw new CliException("--write-baseline: " + Messages.of(e));
      }
      io.err().println("custos: baseline of " + seen.size() + " findings written to " + writeBaselineFile);
    }
    if (problems) {
      return Main.ERROR;
    }
    if (outputFile != null && io.out().checkError()) {
      throw new CliException("--output: " + outputFile + ": write failed");
    }
    return counts.isEmpty() ? Main.OK : exitCode;
  }

  private FindingSink newSink(Format f, Policy policy, Progress progress) throws IOException {
    switch (f) {
      case jsonl:
        return new JsonlSink(io.out());
      case sarif:
        Map<String, DetectorDefinition> byId = new LinkedHashMap<>();
        for (DetectorDefinition d : policy.detectors()) {
          byId.put(d.id(), d);
        }
        return new SarifSink(io.out(), byId, VersionProvider.version());
      default:
        return new TextSink(io.out(), progress);
    }
  }

  /** Scans one source; returns the bytes scanned, or -1 if it could not be read. */
  private long scanOne(
      Scanner scanner,
      Source source,
      @Nullable ContentType fixedType,
      @Nullable RedactionStyle style,
      @Nullable FindingSink sink,
      Progress progress,
      Map<String, Long> counts)
      throws IOException {
    LineIndex lines = sink != null && sink.wantsPositions() ? new LineIndex() : null;
    byte[] buffer = new byte[CHUNK_SIZE];
    InputStream in;
    try {
      in = source.open(io);
    } catch (IOException e) {
      warn(Messages.of(e));
      return -1;
    }
    StreamScanner stream = null;
    InlineIgnores ignores = new InlineIgnores();
    try {
      int n = in.read(buffer);
      if (style == null && !source.isStdin() && fixedType == null && hasNul(buffer, n)) {
        if (verbose) {
          progress.clear();
          io.err().println("custos: " + source.name() + ": binary (a NUL byte in the first "
              + Sizes.human(CHUNK_SIZE) + "), skipped");
        }
        return -1;
      }
      ContentType type =
          fixedType != null ? fixedType : ContentType.guess(source.fileName(), buffer, Math.max(n, 0));
      // Where the stream below starts in the source, and the first offset whose findings it reports
      // (0 and 0 unless a parallel scan did the part before).
      long streamStart = 0;
      long keepFrom = 0;
      ParallelScan ranges = parallelFor(source, type, style, buffer, n);
      if (ranges != null) {
        long[] reported = {0}; // how far the ranges handed out reach
        ParallelScan.Outcome o = ranges.scan(scanner, type, java.util.Objects.requireNonNull(source.path()),
            range -> {
              boolean more = reportRange(source, range, sink, lines, ignores, progress, counts);
              reported[0] = range.to();
              return more;
            });
        if (o.stopped()) {
          return reported[0];
        }
        if (o.complete()) {
          report(source, ignores.finish(List.of()), sink, lines, counts);
          suppressed += ignores.dropped();
          if (sink != null) {
            sink.flush();
          }
          return reported[0];
        }
        if (verbose) {
          progress.clear();
          io.err().println("custos: " + source.name() + ": one thread from byte " + o.keepFrom()
              + " (a scan note, a NUL byte or no line start for long)");
        }
        streamStart = o.streamStart();
        keepFrom = o.keepFrom();
        in.close();
        in = source.open(io);
        in.skipNBytes(streamStart);
        n = in.read(buffer);
      }
      stream =
          style == null
              ? scanner.newStream(type)
              : scanner.newRedactingStream(type, style, (b, off, len) -> io.out().write(b, off, len));
      long at = streamStart; // the source offset of buffer[0]
      while (n >= 0) {
        if (n > 0) {
          int skip = (int) Math.max(0, Math.min(n, keepFrom - at));
          if (lines != null) {
            lines.add(buffer, skip, n - skip);
          }
          ignores.feed(buffer, skip, n - skip);
          report(source, ignores.release(kept(stream.feed(buffer, 0, n), streamStart, keepFrom)), sink, lines,
              counts);
          progress.advance(n - skip);
          at += n;
          if (outputClosed()) {
            return streamStart + stream.bytesScanned();
          }
        }
        n = in.read(buffer);
      }
      report(source, ignores.finish(kept(stream.finish(), streamStart, keepFrom)), sink, lines, counts);
      suppressed += ignores.dropped();
      for (ScanNote note : stream.notes()) {
        if (verbose) {
          progress.clear();
          io.err().println("custos: " + source.name() + ": note: " + note.id());
        } else if (note == ScanNote.PLUGIN_ERROR) {
          progress.clear();
          warn(source.name() + ": a wasm detector failed; its findings in part of the file are"
              + " missing (run with --verbose for notes)");
        }
      }
      if (sink != null) {
        sink.flush();
      }
      return streamStart + stream.bytesScanned();
    } catch (IOException e) {
      progress.clear();
      warn(source.name() + ": " + Messages.of(e) + " (not scanned to the end)");
      return -1;
    } finally {
      if (stream != null) {
        stream.close();
      }
      if (!source.isStdin()) {
        in.close();
      }
    }
  }

  /**
   * Returns the parallel scan for a source that can be cut into ranges, or null: a regular file of
   * text or JSON, large enough, found findings only (not redacted), no plugin detectors (they see
   * windows placed by offset), and not UTF-16 or UTF-32 by its first bytes.
   */
  private @Nullable ParallelScan parallelFor(
      Source source, ContentType type, @Nullable RedactionStyle style, byte[] head, int n) throws IOException {
    int count = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    if (count < 2 || style != null || source.path() == null || pluginDetectors
        || (type != ContentType.JSON && type != ContentType.TEXT)
        || n <= 0 || head[0] == 0 || head[0] == (byte) 0xFE || head[0] == (byte) 0xFF) {
      return null;
    }
    ParallelScan.Settings settings = parallelSettings.apply(count);
    if (!Files.isRegularFile(source.path()) || Files.size(source.path()) < settings.minFileBytes()) {
      return null;
    }
    if (parallel == null) {
      parallel = new ParallelScan(settings);
    }
    return parallel;
  }

  /** Reports the findings of one range of a parallel scan, as a stream fed those bytes would. */
  private boolean reportRange(
      Source source,
      ParallelScan.Range range,
      @Nullable FindingSink sink,
      @Nullable LineIndex lines,
      InlineIgnores ignores,
      Progress progress,
      Map<String, Long> counts)
      throws IOException {
    List<Finding> findings = range.findings();
    int length = (int) (range.to() - range.from());
    int next = 0;
    for (int done = 0; done < length; ) {
      int step = Math.min(CHUNK_SIZE, length - done);
      if (lines != null) {
        lines.add(range.bytes(), range.offset() + done, step);
      }
      ignores.feed(range.bytes(), range.offset() + done, step);
      done += step;
      int upTo = next;
      while (upTo < findings.size() && findings.get(upTo).start() < range.from() + done) {
        upTo++;
      }
      if (upTo > next) {
        report(source, ignores.release(findings.subList(next, upTo)), sink, lines, counts);
        next = upTo;
        if (outputClosed()) {
          return false;
        }
      }
      progress.advance(step);
    }
    return !outputClosed();
  }

  /** Returns a stream's findings with source offsets, without those before {@code keepFrom}. */
  private static List<Finding> kept(List<Finding> findings, long streamStart, long keepFrom) {
    if (streamStart == 0 && keepFrom == 0) {
      return findings;
    }
    List<Finding> kept = new ArrayList<>(findings.size());
    for (Finding f : findings) {
      if (f.start() + streamStart >= keepFrom) {
        kept.add(ParallelScan.shift(f, streamStart));
      }
    }
    return kept;
  }

  private static boolean hasNul(byte[] buffer, int n) {
    for (int i = 0; i < n; i++) {
      if (buffer[i] == 0) {
        return true;
      }
    }
    return false;
  }

  private void report(
      Source source,
      List<Finding> findings,
      @Nullable FindingSink sink,
      @Nullable LineIndex lines,
      Map<String, Long> counts)
      throws IOException {
    for (Finding f : findings) {
      if (minimum != null && f.confidence().compareTo(minimum) < 0) {
        suppressed++;
        continue;
      }
      if (allowedByRuleFiles(source, f)) {
        suppressed++;
        continue;
      }
      Baseline.Key key = new Baseline.Key(source.name(), f.detector(), f.evidence().hash());
      if (known.contains(key)) {
        suppressed++;
        continue;
      }
      if (writeBaselineFile != null) {
        seen.add(key);
      }
      counts.merge(f.category(), 1L, Long::sum);
      if (sink != null) {
        sink.finding(source, f, lines == null ? null : lines.position(f.start()));
      }
    }
  }

  /** Returns whether a rule that covers the finding's category lists its file in its allowlist. */
  private boolean allowedByRuleFiles(Source source, Finding f) {
    String path = globPaths.get(source);
    if (path == null) {
      return false;
    }
    for (RuleFiles rf : ruleFiles) {
      if (rf.rule().covers(f.category()) && Boolean.TRUE.equals(rf.files().decide(path, false))) {
        return true;
      }
    }
    return false;
  }

  private List<Source> collectSources() {
    List<Source> sources = new ArrayList<>();
    boolean stdin = false;
    for (String p : paths) {
      if (p.equals(Source.STDIN)) {
        if (stdin) {
          throw new ParameterException(spec.commandLine(), "- (stdin) given more than once");
        }
        stdin = true;
        sources.add(Source.stdin());
        continue;
      }
      Path path = Path.of(p);
      String given = slashes(path.normalize());
      if (Files.isSymbolicLink(path) && !Files.exists(path)) {
        note(p + ": symbolic link to nothing (skipped)");
      } else if (Files.isDirectory(path)) {
        walk(path, "", new ArrayList<>(), sources);
      } else if (Files.isRegularFile(path)) {
        if (!Boolean.TRUE.equals(excluded.decide(given, false))) {
          Source source = Source.file(path);
          globPaths.put(source, given);
          sources.add(source);
        }
      } else if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        warn(p + ": no such file or directory");
      } else {
        warn(p + ": not a regular file or directory (skipped)");
      }
    }
    return sources;
  }

  /** One directory's .gitignore during a walk, and where it is relative to the walk's root. */
  private record IgnoreLevel(String base, GitIgnore rules) {}

  /**
   * Adds the files under {@code dir} in name order, skipping {@code .git}, what the .gitignore
   * files met on the way ignore (deeper files take precedence) and what --exclude matches.
   *
   * @param relative the directory relative to the walk's root ("" for the root, else ending in /)
   */
  private void walk(Path dir, String relative, List<IgnoreLevel> levels, List<Source> sources) {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(children::add);
    } catch (IOException | RuntimeException e) {
      warn(Messages.of(e) + " (directory not scanned)");
      return;
    }
    List<IgnoreLevel> here = levels;
    Path gitignore = dir.resolve(".gitignore");
    if (Files.isRegularFile(gitignore)) {
      try {
        here = new ArrayList<>(levels);
        here.add(new IgnoreLevel(relative,
            GitIgnore.parse(Files.readString(gitignore, java.nio.charset.StandardCharsets.UTF_8))));
      } catch (IOException | RuntimeException e) {
        warn(gitignore + ": " + Messages.of(e) + " (its rules are not applied)");
      }
    }
    children.sort(Comparator.comparing(c -> c.getFileName().toString()));
    for (Path child : children) {
      String name = child.getFileName().toString();
      boolean directory = Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS);
      String path = relative + name;
      if ((directory && name.equals(".git")) || ignored(here, path, directory)) {
        continue;
      }
      if (directory) {
        walk(child, path + "/", here, sources);
      } else if (Files.isSymbolicLink(child)) {
        if (Files.isRegularFile(child)) {
          Source source = Source.file(child);
          globPaths.put(source, path);
          sources.add(source);
        } else {
          note(child + ": symbolic link " + (Files.isDirectory(child) ? "to a directory" : "to nothing")
              + " (not followed)");
        }
      } else if (Files.isRegularFile(child)) {
        Source source = Source.file(child);
        globPaths.put(source, path);
        sources.add(source);
      } else {
        warn(child + ": not a regular file (skipped)");
      }
    }
  }

  private boolean ignored(List<IgnoreLevel> levels, String path, boolean directory) {
    if (Boolean.TRUE.equals(excluded.decide(path, directory))) {
      return true;
    }
    for (int i = levels.size() - 1; i >= 0; i--) {
      IgnoreLevel level = levels.get(i);
      Boolean decision = level.rules().decide(path.substring(level.base().length()), directory);
      if (decision != null) {
        return decision;
      }
    }
    return false;
  }

  private static String slashes(Path path) {
    return path.toString().replace(path.getFileSystem().getSeparator(), "/");
  }

  /** Prints a note on stderr; unlike a warning it does not change the exit code. */
  private void note(String message) {
    io.err().println("custos: note: " + message);
  }

  /** Returns whether stdout was closed (as by {@code | head}); scanning then stops quietly. */
  private boolean outputClosed() {
    return io.out().checkError();
  }

  private void warn(String message) {
    problems = true;
    io.err().println("custos: warning: " + message);
  }

  private static String summary(Map<String, Long> counts, int files, long bytes) {
    String scanned = " in " + files + (files == 1 ? " file" : " files") + " (" + Sizes.human(bytes) + ")";
    if (counts.isEmpty()) {
      return "no findings" + scanned;
    }
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    StringBuilder s = new StringBuilder().append(total).append(total == 1 ? " finding" : " findings");
    s.append(scanned).append(": ");
    String separator = "";
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      s.append(separator).append(e.getKey()).append(' ').append(e.getValue());
      separator = ", ";
    }
    return s.toString();
  }

  private <T> T usage(java.util.function.Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
