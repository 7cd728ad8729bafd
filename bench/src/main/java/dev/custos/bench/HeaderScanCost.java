package dev.custos.bench;

import dev.custos.engine.ContentType;
import dev.custos.engine.Scanner;
import dev.custos.engine.StreamScanner;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Measures what an inspected exchange of the load test costs the engine besides its body: the
 * proxy scans a request's fields and a response's headers as two small JSON documents, each in a
 * stream of its own (opened, fed, finished, closed), so the fixed cost of a stream weighs more
 * there than the bytes. The documents are those of the load test ({@code bench/load/run.sh}: wrk's
 * {@code GET /api/users} to an IP address, nginx's response headers). Figures are the scanning
 * thread's own CPU time and allocated bytes per exchange (both documents), the median over the
 * warmed rounds (the second half), with every built-in detector.
 *
 * <p>Usage (pinned to one core): {@code taskset -c 1 java -cp bench/target/benchmarks.jar
 * dev.custos.bench.HeaderScanCost [rounds [backend]]}; rounds default to 20, the backend to java.
 */
public final class HeaderScanCost {
  private static final int EXCHANGES_PER_ROUND = 20_000;

  /** The request's fields as the proxy writes them: a host that is an IP is not scanned. */
  private static final byte[] REQUEST =
      "{\"path\":\"/api/users\"}".getBytes(StandardCharsets.UTF_8);

  /** nginx's response headers, without the framing ones the proxy leaves out. */
  private static final byte[] RESPONSE = ("{\"server\":\"nginx/1.22.1\","
      + "\"date\":\"Mon, 07 Dec 2026 10:07:44 GMT\","
      + "\"last-modified\":\"Mon, 07 Dec 2026 09:55:41 GMT\","
      + "\"etag\":\"\\\"6935ae2d-1ba6\\\"\",\"accept-ranges\":\"bytes\"}")
      .getBytes(StandardCharsets.UTF_8);

  private HeaderScanCost() {}

  /** Prints the median µs of CPU and bytes allocated per exchange. */
  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    String backend = args.length > 1 ? args[1] : "java";
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    com.sun.management.ThreadMXBean allocation =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    try (Scanner scanner = Payloads.scanner(backend)) {
      double[] micros = new double[rounds];
      double[] bytes = new double[rounds];
      long findings = 0;
      for (int r = 0; r < rounds; r++) {
        long start = threads.getCurrentThreadCpuTime();
        long allocated = allocation.getThreadAllocatedBytes(self);
        for (int i = 0; i < EXCHANGES_PER_ROUND; i++) {
          findings += scan(scanner, REQUEST) + scan(scanner, RESPONSE);
        }
        micros[r] = (threads.getCurrentThreadCpuTime() - start) / 1e3 / EXCHANGES_PER_ROUND;
        bytes[r] = (double) (allocation.getThreadAllocatedBytes(self) - allocated)
            / EXCHANGES_PER_ROUND;
      }
      double[] warm = Arrays.copyOfRange(micros, rounds / 2, rounds);
      double[] warmBytes = Arrays.copyOfRange(bytes, rounds / 2, rounds);
      Arrays.sort(warm);
      Arrays.sort(warmBytes);
      System.out.printf(Locale.ROOT,
          "%s request fields + response headers (%d + %d bytes of JSON): %.2f us of CPU and %.0f"
              + " bytes allocated per exchange, %d findings; warmed rounds %.2f..%.2f us%n",
          backend, REQUEST.length, RESPONSE.length, warm[warm.length / 2],
          warmBytes[warmBytes.length / 2], findings, warm[0], warm[warm.length - 1]);
    }
  }

  private static int scan(Scanner scanner, byte[] document) {
    try (StreamScanner s = scanner.newStream(ContentType.JSON)) {
      return s.feed(document, 0, document.length).size() + s.finish().size();
    }
  }
}
