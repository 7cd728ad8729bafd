package dev.custos.bench;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.engine.Backend;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import dev.custos.proxy.CallerIdentity;
import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.InspectionSettings;
import dev.custos.proxy.internal.identity.IdentityResolver;
import dev.custos.proxy.internal.inspect.InspectionPlan;
import dev.custos.proxy.internal.inspect.Inspector;
import dev.custos.proxy.internal.telemetry.JsonlFindingsSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Measures what the proxy's inspection costs per exchange without sockets: a GET without a body
 * goes through {@link Inspector} (caller identity, request fields, rules, the two pumps) to a
 * service that answers at once with the load test's page (response headers as nginx sends them,
 * the body in one pooled chunk), and the inspected response is read to its end, all on one
 * event loop, one exchange after the other. Findings events go to a JSON-lines file, as the
 * proxy's default {@code findings.jsonl} does. Per exchange it reports the CPU time of the event
 * loop and the findings writer (the whole process's too, JIT and GC included) and the bytes
 * those threads allocated (a count: the machine's load does not change it). Median of the warmed
 * rounds (the second half). Armeria hands this harness's pumps the body already copied out of
 * its pooled buffer, which the proxy's client does not, so that copy counts here for every build.
 *
 * <p>Usage (pinned to one core; the proxy's classes from a Custos jar, so that two builds can be
 * compared with the same harness): {@code taskset -c 1 java -cp
 * bench/target/classes:cli/target/custos.jar dev.custos.bench.InspectCost page.json
 * [observe|redact|forward [rounds [exchanges-per-round]]]}; {@code forward} reads the service's
 * response without inspecting it, for the share of the rest.
 */
public final class InspectCost {
  private static final String REDACT = """
      version: 1
      rules:
        - name: sensitive values are masked on the way out
          match: { direction: response }
          categories: [credit_card, us_ssn, email]
          action: redact
          redact: { style: mask }
      """;

  private InspectCost() {}

  /** Prints µs of CPU and bytes allocated per exchange. */
  public static void main(String[] args) throws Exception {
    byte[] page = Files.readAllBytes(Path.of(args[0]));
    String mode = args.length > 1 ? args[1] : "observe";
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    int perRound = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
    Policy policy = switch (mode) {
      case "observe", "forward" -> Policy.ofDefault();
      case "redact" -> Policy.parse(REDACT, "redact.yaml");
      default -> throw new IllegalArgumentException(
          "mode: " + mode + " (expected: observe, redact or forward)");
    };
    EvidenceKey identityKey = EvidenceKey.of(new byte[32]);
    IdentityResolver resolver = new IdentityResolver(policy.identitySources(), identityKey);
    CallerIdentity caller = ctx -> resolver.resolve(ctx.request().headers(),
        ((InetSocketAddress) ctx.remoteAddress()).getAddress()).key();
    Path events = Files.createTempFile("inspect-cost", ".jsonl");
    JsonlFindingsSink sink = new JsonlFindingsSink(events, 10_000);
    Scanner scanner = Scanner.builder(policy).backend(Backend.JAVA).evidenceKey(identityKey).build();
    InspectionSettings settings = InspectionSettings.builder(scanner)
        .policy(policy)
        .route("route-0")
        .meterRegistry(new SimpleMeterRegistry())
        .findingsSink(sink)
        .identityKey(identityKey)
        .callerIdentity(caller)
        .build();
    InspectionPlan plan = mode.equals("forward") ? null : InspectionPlan.of(settings);
    ResponseHeaders upstreamHeaders = ResponseHeaders.builder(HttpStatus.OK)
        .add(HttpHeaderNames.SERVER, "nginx/1.22.1")
        .add(HttpHeaderNames.DATE, "Mon, 07 Dec 2026 23:16:31 GMT")
        .contentType(MediaType.JSON)
        .contentLength(page.length)
        .add(HttpHeaderNames.LAST_MODIFIED, "Mon, 07 Dec 2026 23:14:02 GMT")
        .add(HttpHeaderNames.ETAG, "\"6758a2fa-1ba6\"")
        .add(HttpHeaderNames.ACCEPT_RANGES, "bytes")
        .build();
    HttpService upstream = (ctx, req) -> HttpResponse.of(upstreamHeaders,
        HttpData.wrap(PooledByteBufAllocator.DEFAULT.directBuffer(page.length).writeBytes(page)));
    EventLoop loop = new DefaultEventLoop();
    InetSocketAddress client = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long loopThread = loop.submit(() -> Thread.currentThread().getId()).get();
    double[] cpu = new double[rounds];
    double[] process = new double[rounds];
    double[] allocated = new double[rounds];
    long[] bytesOut = new long[1];
    try {
      for (int r = 0; r < rounds; r++) {
        long[] ids = threadIds(loopThread);
        long before = allocated(threads, ids);
        long cpuBefore = cpuTime(threads, ids);
        long start = os.getProcessCpuTime();
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> exchanges(perRound, plan, upstream, loop, client, bytesOut, done));
        done.join();
        process[r] = (os.getProcessCpuTime() - start) / 1e3 / perRound;
        ids = threadIds(loopThread);
        cpu[r] = (cpuTime(threads, ids) - cpuBefore) / 1e3 / perRound;
        allocated[r] = (double) (allocated(threads, ids) - before) / perRound;
      }
    } finally {
      loop.shutdownGracefully();
      sink.close();
      Files.deleteIfExists(events);
      scanner.close();
    }
    System.out.printf(Locale.ROOT,
        "%s, %d-byte page, per exchange: %.1f us of CPU (event loop and findings writer; whole"
            + " process %.1f), %.0f bytes allocated; %d bytes answered%n",
        mode, page.length, median(cpu), median(process), median(allocated), bytesOut[0]);
  }

  /**
   * Runs {@code n} exchanges one after the other on {@code loop} (each starts once the last was
   * read to its end), then completes {@code done}.
   */
  private static void exchanges(int n, @Nullable InspectionPlan plan, HttpService upstream,
      EventLoop loop, InetSocketAddress client, long[] bytesOut, CompletableFuture<Void> done) {
    if (n == 0) {
      done.complete(null);
      return;
    }
    RequestHeaders headers = RequestHeaders.builder(HttpMethod.GET, "/api/users")
        .scheme("http")
        .authority("127.0.0.1:18083")
        .build();
    HttpRequest req = HttpRequest.of(headers);
    ServiceRequestContext ctx = ServiceRequestContext.builder(req)
        .eventLoop(loop)
        .remoteAddress(client)
        .build();
    HttpResponse served;
    try {
      served = plan == null ? upstream.serve(ctx, req) : Inspector.serve(plan, ctx, req, upstream);
    } catch (Exception e) {
      done.completeExceptionally(e);
      return;
    }
    served.aggregate().handleAsync((res, error) -> {
      if (error != null) {
        done.completeExceptionally(error);
        return null;
      }
      bytesOut[0] += res.content().length();
      exchanges(n - 1, plan, upstream, loop, client, bytesOut, done);
      return null;
    }, loop);
  }

  private static long cpuTime(com.sun.management.ThreadMXBean threads, long[] ids) {
    long sum = 0;
    for (long id : ids) {
      sum += Math.max(0, threads.getThreadCpuTime(id));
    }
    return sum;
  }

  /** Returns the ids of this thread, the event loop's and the findings writer's. */
  private static long[] threadIds(long loopThread) {
    List<Long> ids = new ArrayList<>(List.of(Thread.currentThread().getId(), loopThread));
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("custos-findings")) {
        ids.add(t.getId());
      }
    }
    return ids.stream().mapToLong(Long::longValue).toArray();
  }

  private static long allocated(com.sun.management.ThreadMXBean threads, long[] ids) {
    long sum = 0;
    for (long a : threads.getThreadAllocatedBytes(ids)) {
      sum += Math.max(0, a);
    }
    return sum;
  }

  private static double median(double[] values) {
    double[] warm = Arrays.copyOfRange(values, values.length / 2, values.length);
    Arrays.sort(warm);
    return warm[warm.length / 2];
  }
}
