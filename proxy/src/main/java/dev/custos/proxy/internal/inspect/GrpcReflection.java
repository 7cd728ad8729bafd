package dev.custos.proxy.internal.inspect;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.telemetry.SafeText;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gRPC descriptors fetched from upstream clusters by server reflection, per cluster and service.
 *
 * <p>The first call of a service on a cluster starts a fetch and is read without a schema, as is
 * every call until the fetch ends: no request waits for it, and no thread blocks (the fetch is an
 * asynchronous call through the cluster's client; parsing its answer, at most {@value
 * #MAX_RESPONSE} bytes, runs where the answer arrives). The fetch asks {@code
 * grpc.reflection.v1.ServerReflection/ServerReflectionInfo} for the file containing the service
 * and then, in up to {@value #MAX_ROUNDS} more rounds, for each file a fetched one imports that
 * the server did not send; a server that does not implement v1 (gRPC status 12, or HTTP 404) is
 * asked the same of {@code v1alpha}. Fetched descriptors are kept for the configured {@code
 * refresh} and then fetched again (the old ones serve meanwhile); a failure is kept as long, so a
 * cluster without reflection is asked once per refresh per service. Every outcome is counted in
 * {@code custos_grpc_reflection_total{cluster, outcome}} ({@code fetched}, {@code failed}, {@code
 * unavailable} when the server has no reflection, {@code skipped} past {@value #MAX_SERVICES}
 * services) and every failure logged with the service name made safe, never a message.
 *
 * <p>Memory: at most {@value #MAX_SERVICES} services (all clusters together), each with its
 * descriptors. Thread-safe.
 */
public final class GrpcReflection {
  private static final Logger logger = LoggerFactory.getLogger(GrpcReflection.class);
  static final int MAX_SERVICES = 1024;
  static final int MAX_RESPONSE = 4 << 20;
  static final int MAX_ROUNDS = 8;
  static final String V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
  static final String V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

  private record Key(String cluster, String service) {}

  /** One service's descriptors (null until fetched), when they go stale, whether a fetch runs. */
  private static final class Entry {
    volatile @Nullable GrpcDescriptors descriptors;
    volatile long staleAt;
    final AtomicBoolean fetching = new AtomicBoolean();

    Entry(long now) {
      this.staleAt = now;
    }
  }

  /** A fetch that failed, and why (no value: a status, an exception class, a missing file). */
  static final class FetchException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final boolean unimplemented;

    FetchException(String message, boolean unimplemented) {
      super(message, null, false, false);
      this.unimplemented = unimplemented;
    }
  }

  private final ConcurrentHashMap<Key, Entry> entries = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final LongSupplier nanoTime;

  /** Creates an empty cache whose outcomes are counted in {@code registry}. */
  public GrpcReflection(MeterRegistry registry) {
    this(registry, System::nanoTime);
  }

  GrpcReflection(MeterRegistry registry, LongSupplier nanoTime) {
    this.registry = requireNonNull(registry, "registry");
    this.nanoTime = requireNonNull(nanoTime, "nanoTime");
  }

  /**
   * Returns the descriptors of the service a gRPC request to {@code path} ({@code
   * /pkg.Service/Method}) calls on {@code cluster}, or null when they are not fetched (yet): then a
   * fetch starts through the client {@code clients} gives for its request, unless one runs or the
   * last outcome is fresh. Never blocks.
   */
  @Nullable GrpcDescriptors descriptors(String cluster, String path, ProxyConfig.GrpcReflection config,
      Function<HttpRequest, WebClient> clients) {
    String service = serviceOf(path);
    if (service == null) {
      return null;
    }
    Key key = new Key(cluster, service);
    long now = nanoTime.getAsLong();
    Entry e = entries.get(key);
    if (e == null) {
      if (entries.size() >= MAX_SERVICES) {
        count(cluster, "skipped");
        return null;
      }
      e = entries.computeIfAbsent(key, k -> new Entry(now));
    }
    if (now - e.staleAt >= 0 && e.fetching.compareAndSet(false, true)) {
      Entry entry = e;
      fetch(clients, service, config).whenComplete((d, t) -> {
        entry.staleAt = nanoTime.getAsLong() + config.refresh().toNanos();
        if (t == null) {
          count(cluster, "fetched");
          entry.descriptors = d;
        } else {
          Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
              ? t.getCause() : t;
          boolean unavailable = cause instanceof FetchException f && f.unimplemented;
          count(cluster, unavailable ? "unavailable" : "failed");
          logger.warn("gRPC reflection: the descriptors of service {} on cluster {} were not fetched"
              + " ({}); its messages are read without a schema, the next try in {}",
              SafeText.of(service, 128), cluster, reason(cause), config.refresh());
        }
        entry.fetching.set(false);
      });
    }
    return e.descriptors;
  }

  private static String reason(Throwable t) {
    return t instanceof FetchException ? t.getMessage() : t.getClass().getName();
  }

  private void count(String cluster, String outcome) {
    Counter.builder("custos_grpc_reflection")
        .description("gRPC server reflection fetches of service descriptors, by outcome")
        .tag("cluster", cluster)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** Returns {@code pkg.Service} of {@code /pkg.Service/Method}, or null for another path. */
  static @Nullable String serviceOf(String path) {
    if (path.length() < 4 || path.charAt(0) != '/') {
      return null;
    }
    int slash = path.indexOf('/', 1);
    if (slash <= 1 || slash == path.length() - 1 || path.indexOf('/', slash + 1) >= 0) {
      return null;
    }
    return path.substring(1, slash);
  }

  // ---- the fetch ----

  /** Fetches the files of {@code service} and every file they import, by v1 then v1alpha. */
  private static CompletableFuture<GrpcDescriptors> fetch(Function<HttpRequest, WebClient> clients,
      String service, ProxyConfig.GrpcReflection config) {
    return fetchWith(V1, clients, service, config).exceptionallyCompose(t -> {
      Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
          ? t.getCause() : t;
      if (cause instanceof FetchException f && f.unimplemented) {
        return fetchWith(V1ALPHA, clients, service, config);
      }
      return CompletableFuture.failedFuture(cause);
    });
  }

  private static CompletableFuture<GrpcDescriptors> fetchWith(String method,
      Function<HttpRequest, WebClient> clients, String service, ProxyConfig.GrpcReflection config) {
    Map<String, FileDescriptorProto> files = new LinkedHashMap<>();
    return round(method, clients, List.of(symbolRequest(service)), files, config, 0)
        .thenApply(ignored -> {
          FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
          files.values().forEach(set::addFile);
          GrpcDescriptors d;
          try {
            d = GrpcDescriptors.of(set.build());
          } catch (IllegalArgumentException e) {
            throw new FetchException("the fetched descriptors are not complete", false);
          }
          return d;
        });
  }

  /** Sends {@code requests} in one call, adds the files answered, and asks for missing imports. */
  private static CompletableFuture<Void> round(String method, Function<HttpRequest, WebClient> clients,
      List<byte[]> requests, Map<String, FileDescriptorProto> files, ProxyConfig.GrpcReflection config,
      int round) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] r : requests) {
      body.write(0);
      body.write(r.length >>> 24);
      body.write(r.length >>> 16);
      body.write(r.length >>> 8);
      body.write(r.length);
      body.writeBytes(r);
    }
    HttpRequest req = HttpRequest.of(RequestHeaders.builder(HttpMethod.POST, method)
            .contentType(MediaType.parse("application/grpc"))
            .add("te", "trailers")
            .build(),
        HttpData.wrap(body.toByteArray()));
    RequestOptions options = RequestOptions.builder()
        .responseTimeout(config.timeout())
        .maxResponseLength(MAX_RESPONSE)
        .build();
    return clients.apply(req).execute(req, options).aggregate().thenCompose(res -> {
      for (byte[] message : messages(res)) {
        for (FileDescriptorProto f : filesOf(message)) {
          files.putIfAbsent(f.getName(), f);
        }
      }
      List<byte[]> missing = new ArrayList<>();
      for (FileDescriptorProto f : files.values()) {
        for (String dependency : f.getDependencyList()) {
          if (!files.containsKey(dependency)) {
            missing.add(fileRequest(dependency));
          }
        }
      }
      if (missing.isEmpty()) {
        return CompletableFuture.completedFuture(null);
      }
      if (round + 1 >= MAX_ROUNDS) {
        return CompletableFuture.failedFuture(
            new FetchException("imports still missing after " + MAX_ROUNDS + " rounds", false));
      }
      return round(method, clients, missing, files, config, round + 1);
    });
  }

  /** Returns the messages of a gRPC response, or throws for a gRPC or HTTP failure. */
  static List<byte[]> messages(AggregatedHttpResponse res) {
    int http = res.status().code();
    String status = res.trailers().get("grpc-status");
    if (status == null) {
      status = res.headers().get("grpc-status");
    }
    if (http == 404 || http == 501 || "12".equals(status)) {
      throw new FetchException("reflection not implemented (HTTP " + http + ", grpc-status "
          + status + ")", true);
    }
    if (http != 200 || status == null || !status.equals("0")) {
      throw new FetchException("HTTP " + http + ", grpc-status " + status, false);
    }
    byte[] body = res.content().array();
    List<byte[]> out = new ArrayList<>();
    int i = 0;
    while (i < body.length) {
      if (body.length - i < 5 || body[i] != 0) {
        throw new FetchException("a response message is cut short or compressed", false);
      }
      long length = ((body[i + 1] & 0xffL) << 24) | ((body[i + 2] & 0xff) << 16)
          | ((body[i + 3] & 0xff) << 8) | (body[i + 4] & 0xff);
      if (length > body.length - i - 5) {
        throw new FetchException("a response message is cut short", false);
      }
      out.add(java.util.Arrays.copyOfRange(body, i + 5, i + 5 + (int) length));
      i += 5 + (int) length;
    }
    return out;
  }

  /**
   * Returns the files of a {@code ServerReflectionResponse} (field 4, {@code
   * file_descriptor_response}, whose field 1 repeats {@code file_descriptor_proto}); throws for an
   * {@code error_response} (field 7), which for a symbol means the server does not know it.
   */
  static List<FileDescriptorProto> filesOf(byte[] response) {
    List<FileDescriptorProto> files = new ArrayList<>();
    try {
      CodedInputStream in = CodedInputStream.newInstance(response);
      int tag;
      while ((tag = in.readTag()) != 0) {
        int field = tag >>> 3;
        if (field == 4) {
          CodedInputStream fd = CodedInputStream.newInstance(in.readByteArray());
          int t;
          while ((t = fd.readTag()) != 0) {
            if (t >>> 3 == 1) {
              files.add(FileDescriptorProto.parseFrom(fd.readBytes()));
            } else {
              fd.skipField(t);
            }
          }
        } else if (field == 7) {
          throw new FetchException("the server answered with an error (its code "
              + errorCode(in.readByteArray()) + ")", false);
        } else {
          in.skipField(tag);
        }
      }
    } catch (IOException e) {
      throw new FetchException("a response message is not a ServerReflectionResponse", false);
    }
    return files;
  }

  private static int errorCode(byte[] error) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(error);
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (tag == (1 << 3)) {
        return in.readInt32();
      }
      in.skipField(tag);
    }
    return 0;
  }

  /** Returns a {@code ServerReflectionRequest} for the file containing {@code symbol} (field 4). */
  static byte[] symbolRequest(String symbol) {
    return request(4, symbol);
  }

  /** Returns a {@code ServerReflectionRequest} for the file named {@code name} (field 3). */
  static byte[] fileRequest(String name) {
    return request(3, name);
  }

  private static byte[] request(int field, String value) {
    ByteString v = ByteString.copyFromUtf8(value);
    byte[] out = new byte[CodedOutputStream.computeBytesSize(field, v)];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      o.writeBytes(field, v);
      o.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  @Override
  public String toString() {
    return "GrpcReflection{" + entries.size() + " services}";
  }
}
