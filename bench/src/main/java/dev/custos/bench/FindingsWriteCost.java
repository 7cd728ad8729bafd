package dev.custos.bench;

import dev.custos.engine.Direction;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.internal.telemetry.JsonlFindingsSink;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Measures what writing one findings event to the proxy's JSON-lines file costs its writer
 * thread: the event of the load test's page (17 findings in three categories, 17 paths, 16
 * distinct values), offered in batches to a {@link JsonlFindingsSink} whose file is deleted
 * afterwards. Reports the writer thread's CPU time and allocated bytes per event, median of the
 * warmed rounds (the second half).
 *
 * <p>Usage (pinned to one core; the proxy's classes from a Custos jar, to compare builds): {@code
 * taskset -c 1 java -cp bench/target/classes:cli/target/custos.jar
 * dev.custos.bench.FindingsWriteCost [rounds [events-per-round]]}.
 */
public final class FindingsWriteCost {
  private FindingsWriteCost() {}

  /** Prints µs of CPU and bytes allocated by the writer thread per event. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
    FindingsEvent event = pageEvent();
    Path file = Files.createTempFile("findings-write-cost", ".jsonl");
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    double[] cpu = new double[rounds];
    double[] allocated = new double[rounds];
    JsonlFindingsSink sink = new JsonlFindingsSink(file, perRound + 1);
    try {
      long writer = writerThread();
      for (int r = 0; r < rounds; r++) {
        long cpu0 = threads.getThreadCpuTime(writer);
        long alloc0 = threads.getThreadAllocatedBytes(writer);
        for (int i = 0; i < perRound; i++) {
          sink.accept(event);
        }
        long lines = (long) (r + 1) * perRound;
        while (lineCount(file) < lines) {
          Thread.sleep(5);
        }
        cpu[r] = (threads.getThreadCpuTime(writer) - cpu0) / 1e3 / perRound;
        allocated[r] = (double) (threads.getThreadAllocatedBytes(writer) - alloc0) / perRound;
      }
      System.out.printf(Locale.ROOT,
          "findings event of %d bytes: %.2f us of the writer thread's CPU and %.0f bytes"
              + " allocated per event; %d dropped%n",
          Files.size(file) / ((long) rounds * perRound), median(cpu), median(allocated),
          sink.dropped());
    } finally {
      sink.close();
      Files.deleteIfExists(file);
    }
  }

  private static long lines;
  private static long scanned;

  /** Returns the lines written so far, reading only what was appended since the last call. */
  private static long lineCount(Path file) throws java.io.IOException {
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
      ch.position(scanned);
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 20);
      int n;
      while ((n = ch.read(buf)) > 0) {
        buf.flip();
        for (int i = 0; i < n; i++) {
          if (buf.get(i) == '\n') {
            lines++;
          }
        }
        scanned += n;
        buf.clear();
      }
    }
    return lines;
  }

  private static long writerThread() {
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("custos-findings-writer")) {
        return t.getId();
      }
    }
    throw new IllegalStateException("no findings writer thread (expected: custos-findings-writer)");
  }

  /** Returns an event like the load test page's: 5 cards, 9 e-mail addresses, 3 SSNs. */
  private static FindingsEvent pageEvent() {
    List<String> paths = new ArrayList<>();
    List<FindingsEvent.Value> values = new ArrayList<>();
    for (int i = 0; i < 17; i++) {
      String category = i % 3 == 0 ? "credit_card" : i % 3 == 1 ? "email" : "us_ssn";
      paths.add("$.users[" + (4 * i) + "]." + (category.equals("credit_card") ? "card"
          : category.equals("email") ? "email" : "ssn"));
      if (i < 16) {
        values.add(new FindingsEvent.Value(category, String.format(Locale.ROOT, "%032x", i * 7919L),
            category.equals("email") ? "**************ecom" : "************" + (1000 + i)));
      }
    }
    java.util.Collections.sort(paths);
    return new FindingsEvent(Instant.parse("2026-12-07T23:16:31.919196970Z"), "route-0",
        Direction.RESPONSE, "88fd70137bf1148b", Map.of("credit_card", 5, "email", 9, "us_ssn", 3),
        Set.of("body"), List.of(), List.of(), null, null, false, false, null, 7078, "http", paths,
        values, "origin", "");
  }

  private static double median(double[] values) {
    double[] warm = Arrays.copyOfRange(values, values.length / 2, values.length);
    Arrays.sort(warm);
    return warm[warm.length / 2];
  }
}
