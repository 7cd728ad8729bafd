package dev.custos.proxy.internal.inspect;

import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import dev.custos.proxy.InspectionSettings;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.proxy.internal.ClusterChoice;
import dev.custos.proxy.internal.authn.Authentication;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * What the request and the response of one exchange share: the settings it started with, its
 * meters, and the caller's identity, kept only as a keyed hash. Immutable, but for the rule that
 * refused a gRPC request once it had gone upstream, which its response then reports as gRPC
 * status 7; set and read on the exchange's event loop.
 */
final class Exchange {
  /**
   * The last identity hashed on this thread, and under which key: exchanges run on a few event
   * loops, under one key, and a caller usually sends more than one request.
   */
  private static final ThreadLocal<LastHash> LAST = new ThreadLocal<>();

  private static final class LastHash {
    final EvidenceKey key;
    String identity = "";
    String hash = "";

    LastHash(EvidenceKey key) {
      this.key = key;
    }
  }

  private final InspectionSettings settings;
  private final InspectionMetrics metrics;
  private final String identityHash;
  private final InspectionRecord record;
  private final @org.jspecify.annotations.Nullable GrpcDescriptors grpc;
  private final String path;

  private final @org.jspecify.annotations.Nullable ServiceRequestContext ctx;
  private final @org.jspecify.annotations.Nullable RequestHeaders headers;
  private @org.jspecify.annotations.Nullable String service;

  Exchange(InspectionSettings settings, InspectionMetrics metrics, String identity) {
    this(settings, metrics, identity, null, "/", null, null);
  }

  /**
   * An exchange of a request to {@code path}, whose gRPC messages are read with {@code grpc}; the
   * request's context and headers, when there is one (not for Envoy's External Processing), tell
   * the cluster and the caller's service.
   */
  Exchange(InspectionSettings settings, InspectionMetrics metrics, String identity,
      @org.jspecify.annotations.Nullable GrpcDescriptors grpc, String path,
      @org.jspecify.annotations.Nullable ServiceRequestContext ctx,
      @org.jspecify.annotations.Nullable RequestHeaders headers) {
    this.ctx = ctx;
    this.headers = headers;
    this.grpc = grpc;
    this.path = path;
    this.settings = settings;
    this.metrics = metrics;
    this.identityHash = hash(settings.identityKey(), identity);
    this.record = new InspectionRecord(identityHash);
  }

  /** Returns the record of this exchange that the access log reads. */
  InspectionRecord record() {
    return record;
  }

  private static String hash(EvidenceKey key, String identity) {
    LastHash last = LAST.get();
    if (last == null || last.key != key) {
      last = new LastHash(key);
      LAST.set(last);
    } else if (last.identity.equals(identity) && !identity.isEmpty()) {
      return last.hash;
    }
    byte[] h = key.hmac(identity.getBytes(StandardCharsets.UTF_8));
    String hash = HexFormat.of().formatHex(h, 0, 8);
    last.identity = identity;
    last.hash = hash;
    return hash;
  }

  InspectionSettings settings() {
    return settings;
  }

  InspectionMetrics metrics() {
    return metrics;
  }

  Scanner scanner() {
    return settings.scanner();
  }

  Policy policy() {
    return settings.policy();
  }

  boolean enforce() {
    return policy().enforce();
  }

  private @org.jspecify.annotations.Nullable String grpcRequestBlockedBy;

  /** Notes that a gRPC request was refused by {@code rule} after it went upstream. */
  void grpcRequestBlocked(String rule) {
    this.grpcRequestBlockedBy = rule;
  }

  /** Returns the rule that refused the gRPC request after it went upstream, or null. */
  @org.jspecify.annotations.Nullable String grpcRequestBlockedBy() {
    return grpcRequestBlockedBy;
  }

  /**
   * Returns the schema and the message type a gRPC message of this exchange going in {@code
   * direction} is read as (the request path names the method), or null to read it without one.
   */
  @org.jspecify.annotations.Nullable String grpcMessageType(dev.custos.engine.Direction direction) {
    GrpcDescriptors g = grpc;
    GrpcDescriptors.Method m = g == null ? null : g.method(path);
    if (m == null) {
      return null;
    }
    return direction == dev.custos.engine.Direction.REQUEST ? m.input() : m.output();
  }

  /** Returns the gRPC descriptors of the route, or null. */
  @org.jspecify.annotations.Nullable GrpcDescriptors grpc() {
    return grpc;
  }

  /**
   * Returns the cluster the request goes to (choosing it now for a split route that has not
   * chosen yet), or empty without a request context.
   */
  String cluster() {
    ServiceRequestContext c = ctx;
    RequestHeaders h = headers;
    if (c == null || h == null) {
      return "";
    }
    String cluster = ClusterChoice.cluster(c, h);
    return cluster == null ? "" : cluster;
  }

  /** Returns the caller's service, or empty when unknown (see {@link ServiceNames}). */
  String service() {
    String s = service;
    if (s == null) {
      ServiceRequestContext c = ctx;
      s = c == null ? "" : ServiceNames.of(Authentication.principal(c));
      service = s;
    }
    return s;
  }

  /** Returns the keyed hash of the caller's identity (16 hex digits). */
  String identityHash() {
    return identityHash;
  }
}
