package dev.custos.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Compares two builds of the engine on one message in one JVM: each build's classes are loaded
 * from its own jar by a class loader of its own, and the two scan the message in alternating
 * rounds (which side goes first changes every round), by the scanning thread's CPU time. On a
 * machine that others load, both sides then meet the same load within a second of each other,
 * which separate processes run minutes apart do not; the JIT compiles each side's code on its own.
 * Every built-in detector, pure-Java backend, a fixed evidence key.
 *
 * <p>Usage (pinned to one core): {@code taskset -c 1 java -cp bench/target/benchmarks.jar
 * dev.custos.bench.InterleavedCost BEFORE.jar AFTER.jar [file [rounds [content [scans]]]]}; each
 * jar holds the engine and its dependencies (a {@code benchmarks.jar}), the file defaults to
 * {@code /tmp/users.json} ({@code corpus:json}, {@code corpus:text}... stand for the 4 MiB corpus
 * {@link CpuTimeRun} scans), rounds to 40 (the first third is warm-up), the content type to
 * {@code JSON}, the scans per round to about 10 ms of scanning. Prints per side the median µs of
 * CPU per message with the quartiles and the 10th percentile, and the ratios of both. On a loaded
 * machine many short rounds (300 rounds of 50 scans of the page) and the 10th percentile resolve a
 * few per cent where the median of long rounds does not: a round that shared the core with another
 * process only ever reads slower.
 */
public final class InterleavedCost {
  private InterleavedCost() {}

  /** Runs the rounds and prints one line per side, then the ratios. */
  public static void main(String[] args) throws IOException, ReflectiveOperationException {
    if (args.length < 2) {
      System.err.println("usage: InterleavedCost BEFORE.jar AFTER.jar [file [rounds [content [scans]]]]");
      System.exit(2);
    }
    String file = args.length > 2 ? args[2] : "/tmp/users.json";
    // corpus:text, corpus:json...: the 4 MiB corpus CpuTimeRun scans, instead of a file.
    byte[] message = file.startsWith("corpus:")
        ? Payloads.of(file.substring("corpus:".length()))
        : Files.readAllBytes(Path.of(file));
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 40;
    String content = args.length > 4 ? args[4] : "JSON";
    Side[] sides = {new Side("before", args[0], content), new Side("after", args[1], content)};
    // About 10 ms of scanning per round at 150 MB/s, at most 2,000 scans.
    int scans = args.length > 5
        ? Integer.parseInt(args[5])
        : (int) Math.max(1, Math.min(2000, 1_500_000L / Math.max(1, message.length)));
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    List<List<Double>> micros = List.of(new ArrayList<>(), new ArrayList<>());
    int[] findings = new int[2];
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < 2; k++) {
        int s = r % 2 == 0 ? k : 1 - k;
        long start = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < scans; i++) {
          findings[s] = sides[s].scan(message);
        }
        double us = (threads.getCurrentThreadCpuTime() - start) / 1e3 / scans;
        if (r >= rounds / 3) {
          micros.get(s).add(us);
        }
      }
    }
    double[] medians = new double[2];
    double[] tenths = new double[2];
    for (int s = 0; s < 2; s++) {
      double[] v = micros.get(s).stream().mapToDouble(Double::doubleValue).sorted().toArray();
      medians[s] = v[v.length / 2];
      tenths[s] = v[v.length / 10];
      System.out.printf(Locale.ROOT,
          "%-6s %s: %.2f us of CPU per message (quartiles %.2f..%.2f, 10th percentile %.2f), %d findings%n",
          sides[s].name, sides[s].jar, medians[s], v[v.length / 4],
          v[3 * v.length / 4], tenths[s], findings[s]);
    }
    System.out.printf(Locale.ROOT, "after/before %.3f, 10th percentiles %.3f (%d bytes, %d rounds of %d scans)%n",
        medians[1] / medians[0], tenths[1] / tenths[0], message.length, rounds, scans);
  }

  /** One build: its scanner and content type, reached by reflection through its own loader. */
  private static final class Side {
    final String name;
    final String jar;
    private final Object scanner;
    private final Object type;
    private final Method scan;
    private final Method findings;

    Side(String name, String jar, String content) throws ReflectiveOperationException, MalformedURLException {
      this.name = name;
      this.jar = jar;
      URL[] urls = Arrays.stream(jar.split(":")).map(p -> {
        try {
          return Path.of(p).toUri().toURL();
        } catch (MalformedURLException e) {
          throw new IllegalArgumentException("jar: " + p + " (expected: a path)", e);
        }
      }).toArray(URL[]::new);
      ClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
      Class<?> policy = loader.loadClass("dev.custos.engine.Policy");
      Class<?> scannerClass = loader.loadClass("dev.custos.engine.Scanner");
      Class<?> backend = loader.loadClass("dev.custos.engine.Backend");
      Class<?> key = loader.loadClass("dev.custos.engine.EvidenceKey");
      Class<?> contentType = loader.loadClass("dev.custos.engine.ContentType");
      Object builder = scannerClass.getMethod("builder", policy)
          .invoke(null, policy.getMethod("ofDefault").invoke(null));
      builder.getClass().getMethod("backend", backend)
          .invoke(builder, backend.getMethod("ofId", String.class).invoke(null, "java"));
      builder.getClass().getMethod("evidenceKey", key)
          .invoke(builder, key.getMethod("of", byte[].class).invoke(null, (Object) new byte[32]));
      this.scanner = builder.getClass().getMethod("build").invoke(builder);
      this.type = contentType.getField(content).get(null);
      this.scan = scannerClass.getMethod("scan", byte[].class, contentType);
      this.findings = loader.loadClass("dev.custos.engine.ScanResult").getMethod("findings");
    }

    int scan(byte[] message) throws IllegalAccessException, InvocationTargetException {
      return ((List<?>) findings.invoke(scan.invoke(scanner, message, type))).size();
    }
  }
}
