package dev.custos.command;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures ingestion: several simulated proxies post gzip batches of findings events (HTTP/2, the
 * ingest contract) to a command plane writing to PostgreSQL (or SQLite), each proxy sending its
 * next batch when the last is answered, as the proxy's sender does. Prints findings and events
 * per second over the whole run, from the first post to the last answer. Bodies are built
 * before the clock starts.
 *
 * <p>Usage (see {@code bench/command-ingest.sh}): {@code IngestBench [postgresql|sqlite] PROXIES
 * BATCHES_PER_PROXY EVENTS_PER_BATCH}. Events hold 1 to 4 categories and about 6 findings on
 * average, each with its evidence (hash and masked preview); 50 routes, 2,000 identities, 20,000
 * distinct values, times spread over an hour.
 */
public final class IngestBench {
  private IngestBench() {}

  public static void main(String[] args) throws Exception {
    String kind = args.length > 0 ? args[0] : "postgresql";
    int proxies = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int batches = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    int perBatch = args.length > 3 ? Integer.parseInt(args[3]) : 500;
    Path dir = Files.createTempDirectory("custos-ingest-bench");
    CommandConfig.Database fresh = Databases.fresh(kind.equals("sqlite")
        ? Databases.Kind.SQLITE : Databases.Kind.POSTGRESQL, dir);
    // The plane's PostgreSQL sessions carry a name of their own, so that their backends' CPU
    // time can be read from /proc (PostgreSQL on this machine).
    String app = "custos-ingest-bench-" + UUID.randomUUID().toString().substring(0, 8);
    CommandConfig.Database db = fresh.postgresql() ? new CommandConfig.Database(fresh.url()
        + "?ApplicationName=" + app, fresh.user(), fresh.passwordFile(), fresh.schema(),
        fresh.poolSize()) : fresh;
    CommandConfig base = CommandPlaneTest.config(dir);
    CommandConfig cfg = new CommandConfig(base.host(), 0, db, base.tokens(), base.apiTokens(),
        base.retention(), new CommandConfig.Ingest(proxies * 2, Math.min(proxies, 8)));

    Random random = new Random(42);
    Instant t0 = Instant.parse("2026-12-07T10:00:00Z");
    String[] categories = {"credit_card", "email", "us_ssn", "phone_number", "iban"};
    List<List<byte[]>> bodies = new ArrayList<>();
    long findings = 0;
    for (int p = 0; p < proxies; p++) {
      List<byte[]> mine = new ArrayList<>();
      for (int b = 0; b < batches; b++) {
        List<String> lines = new ArrayList<>(perBatch);
        for (int i = 0; i < perBatch; i++) {
          int kinds = 1 + random.nextInt(4);
          java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
          List<TestEvents.Value> values = new ArrayList<>();
          for (int k = 0; k < kinds; k++) {
            String cat = categories[random.nextInt(categories.length)];
            int n = 1 + random.nextInt(4);
            counts.merge(cat, n, Integer::sum);
            for (int v = 0; v < n; v++) {
              int value = random.nextInt(20_000);
              values.add(new TestEvents.Value(cat, String.format("%032x", value * 7919L),
                  "********" + (1000 + value % 9000)));
            }
          }
          for (int c : counts.values()) {
            findings += c;
          }
          lines.add(TestEvents.line(t0.plusMillis(random.nextInt(3_600_000)),
              "route-" + random.nextInt(50), "cluster-" + random.nextInt(10),
              random.nextBoolean() ? "request" : "response",
              String.format("%016x", random.nextInt(2000)), counts,
              List.of(random.nextInt(4) == 0 ? "redact" : "observe"), values));
        }
        mine.add(TestEvents.gzip(TestEvents.body(lines)));
      }
      bodies.add(mine);
    }
    long events = (long) proxies * batches * perBatch;

    try (CommandPlane plane = CommandPlane.builder(cfg).build()) {
      plane.start();
      ClientFactory factory = ClientFactory.builder().build();
      ExecutorService pool = Executors.newFixedThreadPool(proxies);
      List<Integer> backends = backends(db, app);
      // HikariCP opens the pool's connections in the background: wait for them (at most 5 s).
      for (int i = 0; i < 50 && db.postgresql() && backends.size() < db.poolSize(); i++) {
        Thread.sleep(100);
        backends = backends(db, app);
      }
      long dbCpu0 = cpuTicks(backends);
      long cpu0 = processCpuNanos();
      Map<String, Long> threads0 = threadTicks();
      long start = System.nanoTime();
      List<Future<Integer>> done = new ArrayList<>();
      for (int p = 0; p < proxies; p++) {
        int proxy = p;
        done.add(pool.submit(() -> {
          WebClient client = WebClient.builder(SessionProtocol.H2C,
              Endpoint.of("127.0.0.1", plane.activePort())).factory(factory)
              .responseTimeout(Duration.ofSeconds(120)).build();
          int retries = 0;
          for (byte[] body : bodies.get(proxy)) {
            String batchId = UUID.randomUUID().toString();
            while (true) {
              AggregatedHttpResponse r = client.execute(RequestHeaders.builder(HttpMethod.POST,
                  "/api/v1/ingest/events")
                  .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + CommandPlaneTest.TOKEN)
                  .set(HttpHeaderNames.CONTENT_TYPE, "application/x-ndjson")
                  .set(HttpHeaderNames.CONTENT_ENCODING, "gzip")
                  .set("custos-proxy-id", "bench-proxy-" + proxy)
                  .set("custos-batch-id", batchId)
                  .set("custos-config-version", "bench").build(), HttpData.wrap(body))
                  .aggregate().join();
              if (r.status() == HttpStatus.ACCEPTED) {
                break;
              }
              if (r.status() != HttpStatus.SERVICE_UNAVAILABLE) {
                throw new IllegalStateException("answer " + r.status() + ": "
                    + r.contentUtf8());
              }
              retries++;
              Thread.sleep(100);
            }
          }
          return retries;
        }));
      }
      int retries = 0;
      for (Future<Integer> f : done) {
        retries += f.get();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double cpu = (processCpuNanos() - cpu0) / 1e9;
      double dbCpu = (cpuTicks(backends) - dbCpu0) / 100.0;
      Map<String, Long> threads = threadTicks();
      threads0.forEach((k, v) -> threads.merge(k, -v, Long::sum));
      pool.shutdown();
      factory.close();
      System.out.printf(java.util.Locale.ROOT,
          "database=%s proxies=%d batches=%d events/batch=%d events=%d findings=%d"
              + " seconds=%.2f events/s=%.0f findings/s=%.0f retries(503)=%d%n"
              + "cpu: jvm(plane+proxies)=%.1fs postgresql-backends=%s"
              + " findings/cpu-second=%s load-average=%.1f%n",
          kind, proxies, proxies * batches, perBatch, events, findings, seconds,
          events / seconds, findings / seconds, retries, cpu,
          backends.isEmpty() ? "n/a" : String.format(java.util.Locale.ROOT, "%.1fs (%d)", dbCpu,
              backends.size()),
          backends.isEmpty() ? "n/a" : String.format(java.util.Locale.ROOT, "%.0f",
              findings / (cpu + dbCpu)),
          java.lang.management.ManagementFactory.getOperatingSystemMXBean()
              .getSystemLoadAverage());
      StringBuilder byThread = new StringBuilder("jvm cpu by thread:");
      threads.entrySet().stream().filter(e -> e.getValue() >= 10)
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .forEach(e -> byThread.append(String.format(java.util.Locale.ROOT, " %s=%.1fs",
              e.getKey(), e.getValue() / 100.0)));
      System.out.println(byThread);
    } finally {
      Databases.drop(db);
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /**
   * Returns this process's CPU ticks (1/100 s) by thread name, digits folded ({@code
   * custos-command-writer-3} counts as {@code custos-command-writer-N}), from /proc (Linux).
   */
  private static Map<String, Long> threadTicks() {
    Map<String, Long> out = new java.util.TreeMap<>();
    try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String name = Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "N");
          String stat = Files.readString(t.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          out.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
        } catch (java.io.IOException | RuntimeException e) {
          // The thread ended meanwhile.
        }
      }
    } catch (java.io.IOException e) {
      return out;
    }
    return out;
  }

  /** Returns the process ids of the plane's PostgreSQL backends, or none. */
  private static List<Integer> backends(CommandConfig.Database db, String app) {
    List<Integer> pids = new ArrayList<>();
    if (!db.postgresql()) {
      return pids;
    }
    java.util.Properties p = new java.util.Properties();
    p.setProperty("user", Databases.POSTGRES_USER);
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(Databases.POSTGRES_URL, p);
        java.sql.PreparedStatement ps = c.prepareStatement(
            "SELECT pid FROM pg_stat_activity WHERE application_name = ?")) {
      ps.setString(1, app);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          pids.add(rs.getInt(1));
        }
      }
    } catch (java.sql.SQLException e) {
      return List.of();
    }
    return pids;
  }

  /** Returns user and system CPU ticks (1/100 s) of the processes, from /proc. */
  private static long cpuTicks(List<Integer> pids) {
    long ticks = 0;
    for (int pid : pids) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
      } catch (java.io.IOException | RuntimeException e) {
        // Gone, or not on this machine.
      }
    }
    return ticks;
  }
}
