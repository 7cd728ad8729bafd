package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * A file cut into ranges scanned on several threads gives what one stream over the whole file
 * gives: the same findings, offsets, lines and columns, in the same order, and the same exit code.
 * Small ranges (8 KiB, 2 KiB of reach) put many cuts among the findings.
 */
class ParallelScanTest {
  private static final ParallelScan.Settings SMALL = new ParallelScan.Settings(3, 0, 8 << 10, 2 << 10, 256 << 10);

  @TempDir static Path policyDir;
  @TempDir Path dir;
  private static Path policy;
  private static Scanner scanner;

  @BeforeAll
  static void compile() throws IOException {
    policy = TestPolicies.ssnCardEmail(policyDir);
    scanner = Scanner.builder(Policy.parse(policy)).backend(Backend.JAVA)
        .evidenceKey(EvidenceKey.of(new byte[32])).build();
  }

  @AfterAll
  static void release() {
    scanner.close();
  }

  /** JSON Lines of user records; some carry cards, SSNs and emails, some span several KiB. */
  static String jsonLines(int records, long seed) {
    Random r = new Random(seed);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < records; i++) {
      s.append("{\"id\":").append(i).append(",\"name\":\"Jö Doe\",\"notes\":\"");
      int words = r.nextInt(10) == 0 ? 800 : r.nextInt(20);
      for (int w = 0; w < words; w++) {
        s.append(w % 7 == 0 ? "ünïcode " : "word ");
      }
      s.append('"');
      if (i % 3 == 0) {
        s.append(",\"email\":\"user").append(i).append("@example.com\"");
      }
      if (i % 5 == 0) {
        s.append(",\"card\":\"4111 1111 1111 1111\"");
      }
      if (i % 7 == 0) {
        s.append(",\"tax\":{\"ssn\":\"078-05-1120\",\"list\":[1,2,{\"a\":\"x\\\"}\\n\"}]}");
      }
      if (i % 11 == 0) {
        s.append(",\"note\":\"call me, ssn 078-05-1120\" ");
      }
      if (i % 13 == 0) {
        // An escaped backslash ends the string at the next quote; brackets in strings are text.
        s.append(",\"dir\":\"C:\\\\x\\\\\",\"re\":\"[{\"");
      }
      s.append("}\n");
    }
    return s.toString();
  }

  /** Log lines, tickets with a card across a line break, and custos:ignore markers. */
  static String text(int lines, long seed) {
    Random r = new Random(seed);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < lines; i++) {
      switch (r.nextInt(6)) {
        case 0 -> s.append("2024-03-01 INFO login user=jane").append(i).append("@example.com ok\n");
        case 1 -> s.append("payment card=4111111111111111 order ").append(i).append('\n');
        case 2 -> s.append("ticket: my SSN is\n078-05-1120 thanks\n");
        case 3 -> s.append("card 4111 1111 1111 1111 # custos:ignore\n");
        default -> s.append("nothing to see on line ").append(i).append(", just words ".repeat(r.nextInt(30)))
            .append('\n');
      }
    }
    return s.toString();
  }

  private static List<Finding> oneStream(byte[] bytes, ContentType type) {
    return scanner.scan(bytes, type).findings();
  }

  private List<ParallelScan.Range> ranges(Path file, ContentType type, ParallelScan.Outcome[] outcome)
      throws IOException {
    List<ParallelScan.Range> out = new ArrayList<>();
    try (ParallelScan p = new ParallelScan(SMALL)) {
      outcome[0] = p.scan(scanner, type, file, range -> {
        out.add(new ParallelScan.Range(range.from(), range.to(), range.bytes().clone(), range.offset(),
            range.findings()));
        return true;
      });
    }
    return out;
  }

  private static List<Finding> findings(List<ParallelScan.Range> ranges) {
    List<Finding> all = new ArrayList<>();
    for (ParallelScan.Range r : ranges) {
      all.addAll(r.findings());
    }
    return all;
  }

  @ParameterizedTest
  @ValueSource(strings = {"json", "text"})
  void rangesGiveTheFindingsOfOneStreamInOrder(String kind) throws IOException {
    ContentType type = ContentType.of(kind);
    byte[] bytes = (kind.equals("json") ? jsonLines(3000, 1) : text(6000, 2)).getBytes(StandardCharsets.UTF_8);
    Path file = Files.write(dir.resolve("big." + kind), bytes);
    ParallelScan.Outcome[] outcome = new ParallelScan.Outcome[1];

    List<ParallelScan.Range> ranges = ranges(file, type, outcome);

    assertThat(outcome[0].complete()).isTrue();
    assertThat(ranges).hasSizeGreaterThan(20);
    long at = 0;
    for (ParallelScan.Range r : ranges) {
      assertThat(r.from()).as("ranges follow each other").isEqualTo(at);
      if (r.from() > 0) {
        assertThat(bytes[(int) r.from() - 1]).as("a cut follows a line end").isEqualTo((byte) '\n');
      }
      for (int i = 0; i < r.to() - r.from(); i++) {
        if (r.bytes()[r.offset() + i] != bytes[(int) r.from() + i]) {
          throw new AssertionError("range bytes differ at " + (r.from() + i));
        }
      }
      at = r.to();
    }
    assertThat(at).isEqualTo(bytes.length);
    List<Finding> expected = oneStream(bytes, type);
    assertThat(expected).hasSizeGreaterThan(500);
    assertThat(findings(ranges)).containsExactlyElementsOf(expected);
  }

  @Test
  void malformedJsonHandsOverToOneStreamBeforeIt() throws IOException {
    String good = jsonLines(2000, 3);
    int cut = good.indexOf('\n', good.length() / 2) + 1;
    // A line with a stray bracket: one stream reads the rest of the file as text.
    String content = good.substring(0, cut) + "{\"a\": ]\n" + good.substring(cut);
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    Path file = Files.write(dir.resolve("broken.jsonl"), bytes);
    ParallelScan.Outcome[] outcome = new ParallelScan.Outcome[1];

    List<ParallelScan.Range> ranges = ranges(file, ContentType.JSON, outcome);

    ParallelScan.Outcome o = outcome[0];
    assertThat(o.complete()).isFalse();
    assertThat(o.stopped()).isFalse();
    assertThat(o.streamStart()).isLessThanOrEqualTo(o.keepFrom());
    int badLine = content.getBytes(StandardCharsets.UTF_8).length - good.substring(cut).getBytes(StandardCharsets.UTF_8).length;
    assertThat(o.keepFrom()).isLessThanOrEqualTo(badLine).isGreaterThan(0);
    assertThat(ranges.get(ranges.size() - 1).to()).isEqualTo(o.keepFrom());
    List<Finding> expected = oneStream(bytes, ContentType.JSON);
    assertThat(findings(ranges))
        .containsExactlyElementsOf(expected.stream().filter(f -> f.start() < o.keepFrom()).toList());
  }

  @Test
  void aNulByteHandsOverToOneStream() throws IOException {
    String good = text(4000, 4);
    int cut = good.indexOf('\n', good.length() / 2) + 1;
    byte[] bytes = (good.substring(0, cut) + "\0\n" + good.substring(cut)).getBytes(StandardCharsets.UTF_8);
    Path file = Files.write(dir.resolve("nul.txt"), bytes);
    ParallelScan.Outcome[] outcome = new ParallelScan.Outcome[1];

    List<ParallelScan.Range> ranges = ranges(file, ContentType.TEXT, outcome);

    assertThat(outcome[0].complete()).isFalse();
    assertThat(outcome[0].keepFrom()).isLessThanOrEqualTo(cut);
    assertThat(findings(ranges)).containsExactlyElementsOf(
        oneStream(bytes, ContentType.TEXT).stream().filter(f -> f.start() < outcome[0].keepFrom()).toList());
  }

  @Test
  void oneLongDocumentIsNotCut() throws IOException {
    // Pretty-printed JSON: no line starts at depth 0, so no range can end before the limit.
    StringBuilder s = new StringBuilder("[\n");
    for (int i = 0; i < 20_000; i++) {
      s.append("  {\"email\": \"u").append(i).append("@example.com\"},\n");
    }
    s.append("  {}\n]\n");
    Path file = Files.writeString(dir.resolve("pretty.json"), s);
    ParallelScan.Outcome[] outcome = new ParallelScan.Outcome[1];

    List<ParallelScan.Range> ranges = ranges(file, ContentType.JSON, outcome);

    assertThat(ranges).isEmpty();
    assertThat(outcome[0].complete()).isFalse();
    assertThat(outcome[0].streamStart()).isZero();
    assertThat(outcome[0].keepFrom()).isZero();
  }

  // --- through custos scan --------------------------------------------------------------------

  private record Run(int code, String out, String err) {}

  private static Run scan(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      Io io = new Io(new java.io.ByteArrayInputStream(new byte[0]), o, e);
      ScanCommand command = new ScanCommand(io,
          threads -> new ParallelScan.Settings(threads, 0, SMALL.rangeBytes(), SMALL.reachBytes(),
              SMALL.maxRangeBytes()));
      code = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    }
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Run both(String threads, Path file, String... options) {
    List<String> args = new ArrayList<>(List.of("--policy", policy.toString(), "--threads", threads));
    args.addAll(List.of(options));
    args.add(file.toString());
    return scan(args.toArray(String[]::new));
  }

  @ParameterizedTest
  @ValueSource(strings = {"text", "jsonl", "sarif"})
  void scanPrintsWhatOneThreadPrints(String format) throws IOException {
    Path json = Files.writeString(dir.resolve("users.jsonl"), jsonLines(2500, 5));
    Path log = Files.writeString(dir.resolve("app.log"), text(5000, 6));
    for (Path file : List.of(json, log)) {
      Run one = both("1", file, "--format", format);
      Run many = both("3", file, "--format", format);

      assertThat(one.code()).as(one.err()).isEqualTo(1);
      assertThat(many.code()).as(many.err()).isEqualTo(one.code());
      assertThat(many.out()).isEqualTo(one.out());
      assertThat(many.err()).isEqualTo(one.err());
      assertThat(one.out().lines().count()).isGreaterThan(format.equals("text") ? 500 : 5);
    }
  }

  @Test
  void linesAndColumnsAreRightAfterManyCuts() throws IOException {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 4000; i++) {
      s.append("{\"n\":").append(i).append(",\"ü\":\"").append("é".repeat(i % 13)).append("\",\"ssn\":\"078-05-1120\"}\n");
    }
    Path file = Files.writeString(dir.resolve("lines.jsonl"), s);

    Run many = both("3", file, "--content-type", "json");

    List<String> lines = many.out().lines().toList();
    assertThat(lines).hasSize(4000);
    for (int i = 0; i < 4000; i++) {
      // {"n":I,"ü":"é…","ssn":" — the value starts at this column (characters, 1-based).
      int column = ("{\"n\":" + i + ",\"ü\":\"" + "é".repeat(i % 13) + "\",\"ssn\":\"").length() + 1;
      assertThat(lines.get(i)).startsWith(file + ":" + (i + 1) + ":" + column + " us_ssn ");
    }
  }

  @Test
  void aMalformedLineGivesWhatOneThreadGives() throws IOException {
    String good = jsonLines(2500, 7);
    int cut = good.indexOf('\n', good.length() / 3) + 1;
    Path file = Files.writeString(dir.resolve("broken.jsonl"),
        good.substring(0, cut) + "{\"oops\": 078-05-1120 ]\n" + good.substring(cut));

    Run one = both("1", file, "--format", "jsonl");
    Run many = both("3", file, "--format", "jsonl");

    assertThat(many.code()).isEqualTo(one.code()).isEqualTo(1);
    assertThat(many.out()).isEqualTo(one.out());
    assertThat(one.out()).contains("\"path\":null");
  }

  @Test
  void aClosedOutputStopsTheScan() throws IOException {
    Path file = Files.writeString(dir.resolve("users.jsonl"), jsonLines(2500, 8));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    java.io.OutputStream closesSoon = new java.io.OutputStream() {
      private int written;

      @Override
      public void write(int b) throws IOException {
        if (++written > 1000) {
          throw new IOException("Broken pipe");
        }
      }
    };
    int code;
    try (PrintStream o = new PrintStream(closesSoon, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      Io io = new Io(new java.io.ByteArrayInputStream(new byte[0]), o, e);
      code = new CommandLine(new ScanCommand(io, threads -> new ParallelScan.Settings(threads, 0,
          SMALL.rangeBytes(), SMALL.reachBytes(), SMALL.maxRangeBytes())))
          .execute("--policy", policy.toString(), "--threads", "3", file.toString());
    }

    Run all = both("3", file);
    assertThat(code).isEqualTo(1);
    assertThat(findingCount(err.toString(StandardCharsets.UTF_8))).isPositive()
        .isLessThan(findingCount(all.err()) / 10);
  }

  private static long findingCount(String summary) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("custos: (\\d+) findings? in").matcher(summary);
    assertThat(m.find()).as(summary).isTrue();
    return Long.parseLong(m.group(1));
  }

  @Test
  void negativeThreadsAreAUsageError() throws IOException {
    Path file = Files.writeString(dir.resolve("a.txt"), "x\n");
    assertThat(Cli.scan(policy, "--threads", "-1", file.toString()).code()).isEqualTo(Main.ERROR);
  }
}
