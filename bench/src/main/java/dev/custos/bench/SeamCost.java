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
 * Measures what a gRPC join seam costs and how much of it is opening and closing its text
 * stream, to decide whether one stream per call, reset between seams, would be worth an engine
 * API: per seam, {@code newStream(TEXT)}, a feed of 256 bytes (128 carried, 128 of the next
 * message: the join window each side), {@code finish()} and {@code close()}, as {@code
 * GrpcStream} does; then the open and close alone. CPU time of the measuring thread
 * (ThreadMXBean), median of the warmed rounds (the second half), in µs per seam.
 *
 * <p>Usage (pinned to one core): {@code taskset -c 1 java -cp bench/target/benchmarks.jar
 * dev.custos.bench.SeamCost [rounds [backend]]}; rounds default to 40, the backend to java.
 */
public final class SeamCost {
  private static final int SEAMS_PER_ROUND = 5000;

  private SeamCost() {}

  /** Prints the median µs of CPU per seam, whole and open-and-close only. */
  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    String backend = args.length > 1 ? args[1] : "java";
    // A chat's streamed text, as the join sees it: the carried tail and the next head.
    byte[] seam = ("the customer said the card on file is 4111 1111 and then asked whether the"
        + " order could ship today, then typed 1111 1111 and asked again about the delivery date"
        + " for the parcel to the office on the second floor of the building next to the station"
        + " near the park").getBytes(StandardCharsets.US_ASCII);
    seam = Arrays.copyOf(seam, 256);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (Scanner scanner = Payloads.scanner(backend)) {
      double[] whole = new double[rounds];
      double[] openClose = new double[rounds];
      int findings = 0;
      for (int r = 0; r < rounds; r++) {
        long start = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < SEAMS_PER_ROUND; i++) {
          try (StreamScanner s = scanner.newStream(ContentType.TEXT)) {
            findings = s.feed(seam, 0, seam.length).size();
            findings += s.finish().size();
          }
        }
        whole[r] = (threads.getCurrentThreadCpuTime() - start) / 1e3 / SEAMS_PER_ROUND;
        start = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < SEAMS_PER_ROUND; i++) {
          try (StreamScanner s = scanner.newStream(ContentType.TEXT)) {
            findings += s.finish().size();
          }
        }
        openClose[r] = (threads.getCurrentThreadCpuTime() - start) / 1e3 / SEAMS_PER_ROUND;
      }
      double w = median(whole, rounds);
      double o = median(openClose, rounds);
      System.out.printf(Locale.ROOT,
          "%s seam of %d bytes: %.2f us of CPU per seam, of which opening, finishing and closing"
              + " an empty stream %.2f us (%.0f %%); %d findings per seam%n",
          backend, seam.length, w, o, 100 * o / w, findings);
    }
  }

  private static double median(double[] micros, int rounds) {
    double[] warm = Arrays.copyOfRange(micros, rounds / 2, rounds);
    Arrays.sort(warm);
    return warm[warm.length / 2];
  }
}
