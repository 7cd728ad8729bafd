// The soak benchmark's traffic: an upstream and a load generator in one JVM, run by soak.sh with
// cli/target/custos.jar on the class path (Armeria comes from there):
//   java -cp cli/target/custos.jar bench/load/SoakLoad.java upstream PORT
//   java -cp cli/target/custos.jar bench/load/SoakLoad.java capacity PROXY_PORT SECONDS
//   java -cp cli/target/custos.jar bench/load/SoakLoad.java soak PROXY_PORT RATE SECONDS
// Traffic mix, in turn: normal JSON and redacted JSON over HTTP/1.1, gzip-compressed JSON with a
// card (decoded, masked), a request carrying an SSN (blocked, 403), and normal and redacted JSON
// over h2c. Every answer is checked: a raw card or SSN in a response, or an unexpected status,
// counts as an error. Test values are synthetic (an issuer test card, the Woolworth SSN).
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.Server;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

public class SoakLoad {
  static final String CARD = "4111111111111111";
  static final String SSN = "078-05-1120";

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "upstream" -> upstream(Integer.parseInt(args[1]));
      case "capacity" -> capacity(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
      case "soak" -> soak(Integer.parseInt(args[1]), Integer.parseInt(args[2]),
          Integer.parseInt(args[3]));
      default -> throw new IllegalArgumentException("mode: " + args[0]
          + " (expected: upstream, capacity or soak)");
    }
  }

  static void upstream(int port) throws Exception {
    StringBuilder normal = new StringBuilder("{\"users\":[");
    StringBuilder sensitive = new StringBuilder("{\"users\":[");
    for (int i = 0; i < 20; i++) {
      String sep = i == 0 ? "" : ",";
      normal.append(sep).append("{\"id\":").append(i).append(",\"name\":\"user ").append(i)
          .append("\",\"plan\":\"basic\",\"note\":\"nothing to see here\"}");
      sensitive.append(sep).append("{\"id\":").append(i).append(",\"name\":\"user ").append(i)
          .append("\",\"card\":\"").append(i % 4 == 0 ? CARD : "none").append("\",\"ssn\":\"")
          .append(i % 5 == 0 ? SSN : "none").append("\"}");
    }
    normal.append("]}");
    sensitive.append("]}");
    byte[] gz = gzip(sensitive.toString().getBytes(StandardCharsets.UTF_8));
    Server server = Server.builder().http(port).requestTimeout(Duration.ZERO)
        .service("/normal", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
            normal.toString()))
        .service("/redact", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8,
            sensitive.toString()))
        .service("/gzip", (ctx, req) -> HttpResponse.of(ResponseHeaders.builder(HttpStatus.OK)
            .contentType(MediaType.JSON_UTF_8).add(HttpHeaderNames.CONTENT_ENCODING, "gzip")
            .build(), HttpData.wrap(gz)))
        .service("/submit", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(
            agg -> HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, "{\"ok\":true}"))))
        .build();
    server.start().join();
    System.out.println("upstream on " + port);
    Thread.currentThread().join();
  }

  /** Runs closed loops (64 at a time) for a while and prints the requests per second. */
  static void capacity(int proxyPort, int seconds) throws Exception {
    Load load = new Load(proxyPort);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    CompletableFuture<?>[] loops = new CompletableFuture<?>[64];
    for (int i = 0; i < loops.length; i++) {
      loops[i] = loop(load, end, i);
    }
    CompletableFuture.allOf(loops).join();
    System.out.printf("capacity %.0f requests/s (%d requests, %d errors)%n",
        load.done.get() / (double) seconds, load.done.get(), load.errors.get());
    System.exit(0);
  }

  static CompletableFuture<Void> loop(Load load, long end, int i) {
    if (System.nanoTime() >= end) {
      return CompletableFuture.completedFuture(null);
    }
    return load.send(i).thenCompose(x -> loop(load, end, i + 64));
  }

  /** Sends {@code rate} requests per second for a while; prints a line every 30 s and a summary. */
  static void soak(int proxyPort, int rate, int seconds) throws Exception {
    Load load = new Load(proxyPort);
    ScheduledExecutorService tick = Executors.newSingleThreadScheduledExecutor();
    AtomicLong issued = new AtomicLong();
    AtomicLong shed = new AtomicLong();
    long start = System.nanoTime();
    tick.scheduleAtFixedRate(() -> {
      long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
      while (issued.get() < due) {
        long n = issued.getAndIncrement();
        if (load.inFlight.get() > 4 * rate) {
          shed.incrementAndGet(); // the proxy is not keeping up: counted as an error
          continue;
        }
        load.send((int) n);
      }
    }, 0, 5, TimeUnit.MILLISECONDS);
    for (int t = 30; t <= seconds; t += 30) {
      Thread.sleep(30_000);
      System.out.printf("t=%ds requests=%d errors=%d shed=%d p99=%.1fms%n", t, load.done.get(),
          load.errors.get(), shed.get(), load.percentile(0.99) / 1e6);
    }
    Thread.sleep(Math.max(0, (seconds % 30) * 1000L));
    tick.shutdownNow();
    long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (load.inFlight.get() > 0 && System.nanoTime() < wait) {
      Thread.sleep(50);
    }
    System.out.printf("summary rate=%d/s seconds=%d requests=%d errors=%d shed=%d p50=%.1fms"
        + " p99=%.1fms p999=%.1fms%n", rate, seconds, load.done.get(), load.errors.get(),
        shed.get(), load.percentile(0.5) / 1e6, load.percentile(0.99) / 1e6,
        load.percentile(0.999) / 1e6);
    System.exit(0);
  }

  static final class Load {
    final WebClient h1;
    final WebClient h2;
    final AtomicLong done = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong inFlight = new AtomicLong();
    private long[] latencies = new long[1 << 20];
    private int count;

    Load(int port) {
      ClientFactory factory = ClientFactory.builder().maxNumEventLoopsPerEndpoint(2).build();
      h1 = WebClient.builder("h1c://127.0.0.1:" + port).factory(factory)
          .responseTimeout(Duration.ofSeconds(30)).build();
      h2 = WebClient.builder("h2c://127.0.0.1:" + port).factory(factory)
          .responseTimeout(Duration.ofSeconds(30)).build();
    }

    CompletableFuture<Void> send(int n) {
      long t0 = System.nanoTime();
      inFlight.incrementAndGet();
      int kind = Math.floorMod(n, 6);
      CompletableFuture<AggregatedHttpResponse> res = switch (kind) {
        case 0 -> h1.get("/normal").aggregate();
        case 1 -> h1.get("/redact").aggregate();
        case 2 -> h1.get("/gzip").aggregate();
        case 3 -> h1.execute(HttpRequest.of(HttpMethod.POST, "/submit", MediaType.JSON_UTF_8,
            "{\"name\":\"EXAMPLE\",\"ssn\":\"" + SSN + "\"}")).aggregate();
        case 4 -> h2.get("/redact").aggregate();
        default -> h2.get("/normal").aggregate();
      };
      return res.handle((r, e) -> {
        inFlight.decrementAndGet();
        record(System.nanoTime() - t0);
        done.incrementAndGet();
        if (e != null || !ok(kind, r)) {
          errors.incrementAndGet();
        }
        return null;
      });
    }

    private static boolean ok(int kind, AggregatedHttpResponse r) {
      if (kind == 3) {
        return r.status() == HttpStatus.FORBIDDEN && !r.contentUtf8().contains(SSN);
      }
      if (r.status() != HttpStatus.OK) {
        return false;
      }
      byte[] body = r.content().array();
      if ("gzip".equals(r.headers().get(HttpHeaderNames.CONTENT_ENCODING))) {
        body = gunzip(body);
      }
      String text = new String(body, StandardCharsets.UTF_8);
      return !text.contains(CARD) && !text.contains(SSN) && text.startsWith("{\"users\"");
    }

    synchronized void record(long nanos) {
      if (count == latencies.length) {
        latencies = Arrays.copyOf(latencies, count * 2);
      }
      latencies[count++] = nanos;
    }

    synchronized double percentile(double p) {
      if (count == 0) {
        return 0;
      }
      long[] sorted = Arrays.copyOf(latencies, count);
      Arrays.sort(sorted);
      return sorted[(int) Math.min(count - 1, Math.floor(p * count))];
    }
  }

  static byte[] gzip(byte[] in) throws java.io.IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(in);
    }
    return out.toByteArray();
  }

  static byte[] gunzip(byte[] in) {
    try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(in))) {
      return gz.readAllBytes();
    } catch (java.io.IOException e) {
      return new byte[0];
    }
  }
}
