package dev.custos.cli;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.RedactionStyle;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
      "Exit codes: 0 nothing found, 1 sensitive data found,",
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

  @Parameters(arity = "1..*", paramLabel = "PATH", description = "Files or directories to scan, or - for stdin.")
  List<String> paths = new ArrayList<>();

  private final Io io;
  private boolean problems;

  ScanCommand(Io io) {
    this.io = io;
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

    Policy policy = policyFile == null ? Policy.ofDefault() : Policy.parse(policyFile);
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
      io.err().println("custos: " + summary(counts, scanned, bytes));
    }
    if (problems) {
      return Main.ERROR;
    }
    return counts.isEmpty() ? Main.OK : Main.FOUND;
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
    try {
      int n = in.read(buffer);
      ContentType type =
          fixedType != null ? fixedType : ContentType.guess(source.fileName(), buffer, Math.max(n, 0));
      stream =
          style == null
              ? scanner.newStream(type)
              : scanner.newRedactingStream(type, style, (b, off, len) -> io.out().write(b, off, len));
      while (n >= 0) {
        if (n > 0) {
          if (lines != null) {
            lines.add(buffer, 0, n);
          }
          report(source, stream.feed(buffer, 0, n), sink, lines, counts);
          progress.advance(n);
          if (outputClosed()) {
            return stream.bytesScanned();
          }
        }
        n = in.read(buffer);
      }
      report(source, stream.finish(), sink, lines, counts);
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
      return stream.bytesScanned();
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

  private static void report(
      Source source,
      List<Finding> findings,
      @Nullable FindingSink sink,
      @Nullable LineIndex lines,
      Map<String, Long> counts)
      throws IOException {
    for (Finding f : findings) {
      counts.merge(f.category(), 1L, Long::sum);
      if (sink != null) {
        sink.finding(source, f, lines == null ? null : lines.position(f.start()));
      }
    }
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
      if (Files.isDirectory(path)) {
        walk(path, sources);
      } else if (Files.isRegularFile(path)) {
        sources.add(Source.file(path));
      } else if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        warn(p + ": no such file or directory");
      } else {
        warn(p + ": not a regular file or directory (skipped)");
      }
    }
    return sources;
  }

  private void walk(Path dir, List<Source> sources) {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(children::add);
    } catch (IOException | RuntimeException e) {
      warn(Messages.of(e) + " (directory not scanned)");
      return;
    }
    children.sort(Comparator.comparing(c -> c.getFileName().toString()));
    for (Path child : children) {
      if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
        walk(child, sources);
      } else if (Files.isRegularFile(child)) {
        sources.add(Source.file(child));
      } else if (Files.isDirectory(child)) {
        warn(child + ": symbolic link to a directory (not followed)");
      } else {
        warn(child + ": not a regular file (skipped)");
      }
    }
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
