package dev.custos.bench;

import dev.custos.engine.ContentType;
import dev.custos.engine.Scanner;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * Measures one-shot scans of the benchmark payloads by the scanning thread's own CPU time, which
 * other processes on a shared machine disturb far less than the wall-clock time JMH reports. Not a
 * replacement for JMH on a quiet machine: JIT and cache effects are the same, but the figure
 * leaves out time the thread spent waiting for a core.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.custos.bench.CpuTimeRun [reps
 * [content...]]}, content being {@code text}, {@code json}, {@code form} (one {@code
 * application/x-www-form-urlencoded} body), {@code jsonl} or {@code protobuf} (default: text, json
 * and form); prints
 * the median of the second half of the repetitions, in MB/s (10^6 bytes) per core, for the java and
 * the hyperscan backend.
 */
public final class CpuTimeRun {
  private CpuTimeRun() {}

  /** Runs every backend and content type and prints one line each. */
  public static void main(String[] args) {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    String[] contents =
        args.length > 1 ? Arrays.copyOfRange(args, 1, args.length) : new String[] {"text", "json", "form"};
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    System.out.printf("%-10s %-6s %10s %10s%n", "backend", "content", "MB/s", "findings");
    for (String backend : new String[] {"java", "hyperscan"}) {
      Scanner scanner;
      try {
        scanner = Payloads.scanner(backend);
      } catch (IllegalStateException e) {
        System.out.printf("%-10s %-6s %10s%n", backend, "-", "n/a");
        continue;
      }
      try (scanner) {
        for (String content : contents) {
          byte[] payload = Payloads.of(content);
          ContentType type = Payloads.contentType(content);
          double[] mbs = new double[reps];
          int findings = 0;
          for (int i = 0; i < reps; i++) {
            long start = threads.getCurrentThreadCpuTime();
            findings = scanner.scan(payload, type).findings().size();
            mbs[i] = payload.length / ((threads.getCurrentThreadCpuTime() - start) / 1e3);
          }
          double[] warm = Arrays.copyOfRange(mbs, reps / 2, reps);
          Arrays.sort(warm);
          System.out.printf(
              Locale.ROOT, "%-10s %-6s %10.1f %10d%n", backend, content, warm[warm.length / 2], findings);
        }
      }
    }
  }
}
