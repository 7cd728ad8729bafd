package dev.custos.bench;

import dev.custos.engine.ContentType;
import dev.custos.engine.Scanner;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Measures the CPU cost of scanning one message: {@code scanner.scan(bytes, ContentType.JSON)} of
 * the load test's 7 KB JSON page of user records ({@code bench/load/make-payload.py}), every
 * built-in detector, by the scanning thread's own CPU time (ThreadMXBean), so other processes on
 * the machine disturb it little. Each round scans the message many times; the figure is the median
 * over the warmed rounds (the second half), in µs of CPU per message.
 *
 * <p>Usage (pinned to one core): {@code python3 bench/load/make-payload.py > /tmp/users.json;
 * taskset -c 1 java -cp bench/target/benchmarks.jar dev.custos.bench.MessageCost [file [rounds
 * [backend]]]}; the file defaults to {@code /tmp/users.json}, rounds to 40, the backend to java.
 */
public final class MessageCost {
  private static final int SCANS_PER_ROUND = 2000;

  private MessageCost() {}

  /** Prints the median µs of CPU per scan of the message, and the findings per scan. */
  public static void main(String[] args) throws IOException {
    Path file = Path.of(args.length > 0 ? args[0] : "/tmp/users.json");
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
    String backend = args.length > 2 ? args[2] : "java";
    byte[] message = Files.readAllBytes(file);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (Scanner scanner = Payloads.scanner(backend)) {
      double[] micros = new double[rounds];
      int findings = 0;
      for (int r = 0; r < rounds; r++) {
        long start = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < SCANS_PER_ROUND; i++) {
          findings = scanner.scan(message, ContentType.JSON).findings().size();
        }
        micros[r] = (threads.getCurrentThreadCpuTime() - start) / 1e3 / SCANS_PER_ROUND;
      }
      double[] warm = Arrays.copyOfRange(micros, rounds / 2, rounds);
      Arrays.sort(warm);
      double median = warm[warm.length / 2];
      System.out.printf(Locale.ROOT,
          "%s json message of %d bytes: %.1f us of CPU per message (%.0f MB/s), %d findings;"
              + " warmed rounds %.1f..%.1f us%n",
          backend, message.length, median, message.length / median, findings,
          warm[0], warm[warm.length - 1]);
    }
  }
}
