package dev.custos.proxy.internal.extproc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.CompiledRoute;
import dev.custos.proxy.internal.inspect.ExternalExchange;
import dev.custos.proxy.internal.inspect.ExternalExchange.Answer;
import dev.custos.proxy.internal.inspect.ProxyInspection;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.GrpcStatus;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's {@code envoy.service.ext_proc.v3.ExternalProcessor}: one gRPC stream per HTTP exchange
 * Envoy proxies, carrying the request's headers, body chunks and trailers, then the response's,
 * each answered in turn. The route is chosen from the request headers ({@code :method}, {@code
 * :authority}, {@code :path}) among the configuration's routes, as {@code custos proxy} chooses
 * it; a request no route matches, or whose route turns inspection off, is let through untouched
 * and counted. Answers carry header mutations, body mutations (redactions) and immediate
 * responses (refusals). A message out of Envoy's order ends the stream with {@code
 * FAILED_PRECONDITION} naming what came and what was expected. Thread-safe; each stream's
 * messages are handled one after another.
 */
public final class ExtProcService extends ExternalProcessorGrpc.ExternalProcessorImplBase {
  private static final Logger logger = LoggerFactory.getLogger(ExtProcService.class);
  /** What carried the messages, in findings events. */
  public static final String PROTOCOL = "ext_proc";
  /** The attribute Envoy sends the downstream peer's address in, when configured to. */
  static final String SOURCE_ADDRESS = "source.address";
  private static final Context.Key<SocketAddress> PEER = Context.key("custos-ext-proc-peer");
  private static final InetAddress UNSPECIFIED = unspecified();

  private record Routes(ProxyConfig config, List<CompiledRoute> routes) {}

  private final Supplier<ProxyConfig> config;
  private final ProxyInspection inspection;
  private final Counter unrouted;
  private final Counter badSequence;
  private volatile @Nullable Routes routes;

  /** Serves with the configuration {@code config} returns at each request's start. */
  public ExtProcService(Supplier<ProxyConfig> config, ProxyInspection inspection,
      MeterRegistry registry) {
    this.config = requireNonNull(config, "config");
    this.inspection = requireNonNull(inspection, "inspection");
    this.unrouted = Counter.builder("custos.ext_proc.uninspected")
        .description("Exchanges Envoy sent that no route inspects (no route matched, or"
            + " inspection is off for it)")
        .register(registry);
    this.badSequence = Counter.builder("custos.ext_proc.bad_sequence")
        .description("External processing streams ended because a message came out of order")
        .register(registry);
  }

  /** Returns the interceptor that lets a stream know the address of the Envoy it serves. */
  public static ServerInterceptor peerInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        Context ctx = remote == null ? Context.current()
            : Context.current().withValue(PEER, remote);
        return Contexts.interceptCall(ctx, call, headers, next);
      }
    };
  }

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
    return new ExchangeStream(out, addressOf(PEER.get()));
  }

  private ProxyConfig.@Nullable Route select(ProxyConfig cfg, RequestHeaders h) {
    Routes r = routes;
    if (r == null || r.config() != cfg) {
      List<CompiledRoute> compiled = new ArrayList<>();
      for (ProxyConfig.Route route : cfg.routes()) {
        compiled.add(new CompiledRoute(route));
      }
      r = new Routes(cfg, List.copyOf(compiled));
      routes = r;
    }
    String host = CompiledRoute.host(h.authority());
    String path = h.path();
    int q = path.indexOf('?');
    if (q >= 0) {
      path = path.substring(0, q);
    }
    for (CompiledRoute c : r.routes()) {
      if (c.matches(h.method(), host, path)) {
        return c.route();
      }
    }
    return null;
  }

  /** The stream of one HTTP exchange. Messages arrive one after another (gRPC serializes them). */
  private final class ExchangeStream implements StreamObserver<ProcessingRequest> {
    private final StreamObserver<ProcessingResponse> out;
    private final InetAddress envoy;
    private @Nullable ExternalExchange exchange;
    /** True when the exchange is let through without inspection: answers change nothing. */
    private boolean passThrough;
    /** Where the stream stands in Envoy's order of messages. */
    private boolean requestHeaders;
    private boolean requestEnded;
    private boolean requestTrailers;
    private boolean responseHeaders;
    private boolean responseEnded;
    private boolean responseTrailers;
    /** An immediate response was sent: Envoy sends nothing more. */
    private boolean answered;
    private boolean closed;

    ExchangeStream(StreamObserver<ProcessingResponse> out, InetAddress envoy) {
      this.out = out;
      this.envoy = envoy;
    }

    @Override
    public void onNext(ProcessingRequest req) {
      if (closed) {
        return;
      }
      try {
        handle(req);
      } catch (BadSequenceException e) {
        badSequence.increment();
        fail(Status.FAILED_PRECONDITION.withDescription(e.getMessage()));
      } catch (RuntimeException e) {
        logger.warn("ext_proc: processing failed ({})", e.getClass().getName());
        fail(Status.INTERNAL.withDescription("ext_proc: processing failed ("
            + e.getClass().getSimpleName() + ")"));
      }
    }

    private void handle(ProcessingRequest req) {
      boolean reply = !req.getObservabilityMode();
      switch (req.getRequestCase()) {
        case REQUEST_HEADERS -> {
          expect(req, !requestHeaders);
          var h = req.getRequestHeaders();
          RequestHeaders headers =
              valid("request_headers", () -> requestHeaders(h.getHeaders()));
          requestHeaders = true;
          requestEnded = h.getEndOfStream();
          ProxyConfig cfg = config.get();
          ProxyConfig.Route route = select(cfg, headers);
          if (route == null || !cfg.inspection(route).enabled()) {
            unrouted.increment();
            passThrough = true;
            send(reply, ProcessingResponse.newBuilder().setRequestHeaders(
                HeadersResponse.newBuilder().setResponse(continued())).build());
            return;
          }
          exchange = ExternalExchange.begin(inspection.plan(cfg, route), headers,
              peerOf(req), PROTOCOL);
          Answer a = exchange.requestHeaders(h.getEndOfStream());
          if (!refused(reply, a)) {
            send(reply, ProcessingResponse.newBuilder().setRequestHeaders(HeadersResponse
                .newBuilder().setResponse(common(headers, a))).build());
          }
        }
        case REQUEST_BODY -> {
          expect(req, requestHeaders && !requestEnded);
          var b = req.getRequestBody();
          requestEnded = b.getEndOfStream();
          Answer a = passThrough ? null
              : current().requestBody(b.getBody().toByteArray(), b.getEndOfStream());
          if (a == null || !refused(reply, a)) {
            send(reply, ProcessingResponse.newBuilder().setRequestBody(BodyResponse.newBuilder()
                .setResponse(bodyCommon(b.getBody(), a))).build());
          }
        }
        case REQUEST_TRAILERS -> {
          // Envoy sends trailers (empty when the request has none) after a body that ended, when
          // the filter's configuration asks for them.
          expect(req, requestHeaders && !requestTrailers);
          requestEnded = true;
          requestTrailers = true;
          HttpHeaders t = valid("request_trailers",
              () -> trailers(req.getRequestTrailers().getTrailers()));
          Answer a = passThrough ? null : current().requestTrailers(t);
          if (a == null || !refused(reply, a)) {
            send(reply, ProcessingResponse.newBuilder().setRequestTrailers(
                trailersResponse(t, a)).build());
          }
        }
        case RESPONSE_HEADERS -> {
          // Envoy may send a response before the request ended (an upstream that answers early).
          expect(req, requestHeaders && !responseHeaders);
          var h = req.getResponseHeaders();
          ResponseHeaders headers =
              valid("response_headers", () -> responseHeaders(h.getHeaders()));
          responseHeaders = true;
          responseEnded = h.getEndOfStream();
          Answer a = passThrough ? null : current().responseHeaders(headers, h.getEndOfStream());
          if (a == null || !refused(reply, a)) {
            send(reply, ProcessingResponse.newBuilder().setResponseHeaders(HeadersResponse
                .newBuilder().setResponse(common(headers, a))).build());
          }
        }
        case RESPONSE_BODY -> {
          expect(req, responseHeaders && !responseEnded);
          var b = req.getResponseBody();
          responseEnded = b.getEndOfStream();
          Answer a = passThrough ? null
              : current().responseBody(b.getBody().toByteArray(), b.getEndOfStream());
          if (a == null || !refused(reply, a)) {
            send(reply, ProcessingResponse.newBuilder().setResponseBody(BodyResponse.newBuilder()
                .setResponse(bodyCommon(b.getBody(), a))).build());
          }
        }
        case RESPONSE_TRAILERS -> {
          expect(req, responseHeaders && !responseTrailers);
          responseEnded = true;
          responseTrailers = true;
          HttpHeaders t = valid("response_trailers",
              () -> trailers(req.getResponseTrailers().getTrailers()));
          Answer a = passThrough ? null : current().responseTrailers(t);
          if (a == null || !refused(reply, a)) {
            send(reply, ProcessingResponse.newBuilder().setResponseTrailers(
                trailersResponse(t, a)).build());
          }
        }
        default -> throw new BadSequenceException("ext_proc: a message with no request part"
            + " (expected: request_headers, request_body, request_trailers, response_headers,"
            + " response_body or response_trailers)");
      }
    }

    private ExternalExchange current() {
      return requireNonNull(exchange, "exchange");
    }

    private void expect(ProcessingRequest req, boolean inOrder) {
      if (answered || !inOrder) {
        throw new BadSequenceException("ext_proc: " + name(req.getRequestCase())
            + " out of order (expected: " + expected() + ")");
      }
    }

    /** Names the messages that may come now. */
    private String expected() {
      if (answered) {
        return "nothing (the exchange was answered)";
      }
      if (!requestHeaders) {
        return "request_headers first";
      }
      List<String> next = new ArrayList<>();
      if (!requestEnded) {
        next.add("request_body");
      }
      if (!requestTrailers) {
        next.add("request_trailers");
      }
      if (!responseHeaders) {
        next.add("response_headers");
      } else {
        if (!responseEnded) {
          next.add("response_body");
        }
        if (!responseTrailers) {
          next.add("response_trailers");
        }
      }
      return next.isEmpty() ? "nothing (the exchange ended)" : String.join(", ", next);
    }

    /** Answers a refusal with an immediate response; returns whether {@code a} refused. */
    private boolean refused(boolean reply, Answer a) {
      ExternalExchange.Refusal r = a.refusal();
      if (a.problem() != null) {
        logger.warn("ext_proc: route {}: {}", current().route(), a.problem());
        fail(Status.FAILED_PRECONDITION.withDescription("ext_proc: " + a.problem()));
        return true;
      }
      if (r == null) {
        return false;
      }
      answered = true;
      send(reply, ProcessingResponse.newBuilder().setImmediateResponse(immediate(r)).build());
      return true;
    }

    private void send(boolean reply, ProcessingResponse response) {
      if (reply && !closed) {
        out.onNext(response);
      }
    }

    private void fail(Status status) {
      if (closed) {
        return;
      }
      closed = true;
      ExternalExchange e = exchange;
      if (e != null) {
        e.close();
      }
      out.onError(status.asRuntimeException());
    }

    @Override
    public void onError(Throwable t) {
      // Envoy cancelled the stream (the client went away, or a timeout): nothing more comes.
      if (closed) {
        return;
      }
      closed = true;
      ExternalExchange e = exchange;
      if (e != null) {
        e.close();
      }
    }

    @Override
    public void onCompleted() {
      if (closed) {
        return;
      }
      closed = true;
      ExternalExchange e = exchange;
      if (e != null) {
        long lost = e.finish();
        if (lost > 0) {
          logger.warn("ext_proc: route {}: {} bytes held back at the end of a body that Envoy"
              + " did not end with its last chunk were not sent (expected: trailers sent to the"
              + " processor, as response_trailer_mode: SEND)", e.route(), lost);
        }
        e.close();
      }
      out.onCompleted();
    }

    /**
     * Returns the downstream client's address: Envoy's {@code source.address} attribute when the
     * filter sends it ({@code request_attributes}), else the address of the Envoy itself.
     */
    private InetAddress peerOf(ProcessingRequest req) {
      for (Struct s : req.getAttributesMap().values()) {
        Value v = s.getFieldsMap().get(SOURCE_ADDRESS);
        if (v != null && v.hasStringValue()) {
          InetAddress a = ipOf(v.getStringValue());
          if (a != null) {
            return a;
          }
        }
      }
      return envoy;
    }
  }

  /** Thrown when a message comes out of Envoy's order. */
  private static final class BadSequenceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadSequenceException(String message) {
      super(message, null, false, false);
    }
  }

  /** Reads headers, turning Armeria's refusal of a name or value into a bad message. */
  private static <T> T valid(String part, Supplier<T> read) {
    try {
      return read.get();
    } catch (IllegalArgumentException e) {
      // Armeria's message may quote the value: not passed on.
      throw new BadSequenceException("ext_proc: " + part + " with a header name or value that"
          + " is not valid HTTP (expected: what Envoy forwards)");
    }
  }

  private static String name(ProcessingRequest.RequestCase c) {
    return c == ProcessingRequest.RequestCase.REQUEST_NOT_SET ? "a message with no request part"
        : c.name().toLowerCase(java.util.Locale.ROOT);
  }

  static CommonResponse continued() {
    return CommonResponse.newBuilder().setStatus(CommonResponse.ResponseStatus.CONTINUE).build();
  }

  /** The answer to headers: the mutation from {@code before} to what the answer says. */
  static CommonResponse common(HttpHeaders before, @Nullable Answer a) {
    CommonResponse.Builder b = continued().toBuilder();
    if (a != null && a.headers() != null) {
      HeaderMutation m = mutation(before, a.headers());
      if (m.getSetHeadersCount() > 0 || m.getRemoveHeadersCount() > 0) {
        b.setHeaderMutation(m);
      }
    }
    return b.build();
  }

  /** The answer to a body chunk: a body mutation when the bytes that go on differ. */
  static CommonResponse bodyCommon(ByteString chunk, @Nullable Answer a) {
    CommonResponse.Builder b = continued().toBuilder();
    if (a == null) {
      return b.build();
    }
    byte[] body = a.body();
    if (body != null) {
      b.setBodyMutation(body.length == 0 && !chunk.isEmpty()
          ? BodyMutation.newBuilder().setClearBody(true).build()
          : BodyMutation.newBuilder().setBody(ByteString.copyFrom(body)).build());
    }
    HttpHeaders h = a.headers();
    if (h != null) {
      // Only the representation headers change with a body that came whole (BUFFERED mode).
      HeaderMutation.Builder m = HeaderMutation.newBuilder();
      for (String name : List.of("content-encoding", "content-length")) {
        String v = h.get(name);
        if (v == null) {
          m.addRemoveHeaders(name);
        } else {
          m.addSetHeaders(option(name, v, false));
        }
      }
      b.setHeaderMutation(m);
    }
    return b.build();
  }

  static TrailersResponse trailersResponse(HttpHeaders before, @Nullable Answer a) {
    TrailersResponse.Builder b = TrailersResponse.newBuilder();
    if (a != null && a.headers() != null) {
      b.setHeaderMutation(mutation(before, a.headers()));
    }
    return b.build();
  }

  /**
   * Returns the mutation that turns {@code before} into {@code after}: names gone are removed,
   * names whose values changed are set (the first value replacing, the others appended).
   * Pseudo-headers other than {@code :path} are never touched.
   */
  static HeaderMutation mutation(HttpHeaders before, HttpHeaders after) {
    HeaderMutation.Builder m = HeaderMutation.newBuilder();
    Map<String, List<String>> old = valuesByName(before);
    Map<String, List<String>> now = valuesByName(after);
    for (String name : old.keySet()) {
      if (!now.containsKey(name) && !name.startsWith(":")) {
        m.addRemoveHeaders(name);
      }
    }
    for (Map.Entry<String, List<String>> e : now.entrySet()) {
      String name = e.getKey();
      if (name.startsWith(":") && !name.equals(":path")) {
        continue;
      }
      if (e.getValue().equals(old.get(name))) {
        continue;
      }
      boolean first = true;
      for (String v : e.getValue()) {
        m.addSetHeaders(option(name, v, !first));
        first = false;
      }
    }
    return m.build();
  }

  private static HeaderValueOption option(String name, String value, boolean append) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name)
            .setRawValue(ByteString.copyFrom(value, StandardCharsets.UTF_8)))
        .setAppendAction(append ? HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD
            : HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }

  private static Map<String, List<String>> valuesByName(HttpHeaders h) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    h.forEach((k, v) -> m.computeIfAbsent(k.toString(), n -> new ArrayList<>()).add(v));
    return m;
  }

  /** Returns the immediate response of a refusal: Envoy answers it in place of the upstream. */
  static ImmediateResponse immediate(ExternalExchange.Refusal r) {
    AggregatedHttpResponse res = r.response();
    ImmediateResponse.Builder b = ImmediateResponse.newBuilder();
    if (r.grpc()) {
      // Envoy answers a gRPC request with grpc-status 7 and the body as its grpc-message.
      return b.setStatus(io.envoyproxy.envoy.type.v3.HttpStatus.newBuilder()
              .setCode(StatusCode.Forbidden))
          .setGrpcStatus(GrpcStatus.newBuilder().setStatus(Status.Code.PERMISSION_DENIED.value()))
          .setBody(ByteString.copyFromUtf8(ExternalExchange.grpcMessage(r.rule())))
          .setDetails(details(r))
          .build();
    }
    HeaderMutation.Builder headers = HeaderMutation.newBuilder();
    res.headers().forEach((k, v) -> {
      String name = k.toString();
      if (!name.startsWith(":") && !name.equals("content-length")) {
        headers.addSetHeaders(option(name, v, false));
      }
    });
    StatusCode code = StatusCode.forNumber(res.status().code());
    return b.setStatus(io.envoyproxy.envoy.type.v3.HttpStatus.newBuilder()
            .setCode(code == null ? StatusCode.Forbidden : code))
        .setHeaders(headers)
        .setBody(ByteString.copyFrom(res.content().array()))
        .setDetails(details(r))
        .build();
  }

  /** Envoy's response code details (access logs): one token, naming no rule or value. */
  private static String details(ExternalExchange.Refusal r) {
    return "custos_blocked_" + r.stage();
  }

  /** Reads Envoy's request headers; {@code :method} and {@code :path} must be there. */
  static RequestHeaders requestHeaders(HeaderMap map) {
    String method = null;
    String path = null;
    List<String[]> rest = new ArrayList<>();
    for (HeaderValue v : map.getHeadersList()) {
      String name = v.getKey().toLowerCase(java.util.Locale.ROOT);
      String value = valueOf(v);
      if (name.equals(":method")) {
        method = value;
      } else if (name.equals(":path")) {
        path = value;
      } else {
        rest.add(new String[] {name, value});
      }
    }
    if (method == null || path == null || path.isEmpty()) {
      throw new BadSequenceException("ext_proc: request_headers without "
          + (method == null ? ":method" : ":path")
          + " (expected: the request's pseudo-headers, as Envoy sends them)");
    }
    if (!HttpMethod.isSupported(method)) {
      method = HttpMethod.UNKNOWN.name();
    }
    RequestHeadersBuilder b = RequestHeaders.builder(HttpMethod.valueOf(method), path);
    for (String[] kv : rest) {
      b.add(kv[0], kv[1]);
    }
    return b.build();
  }

  /** Reads Envoy's response headers; {@code :status} must be there. */
  static ResponseHeaders responseHeaders(HeaderMap map) {
    Integer status = null;
    List<String[]> rest = new ArrayList<>();
    for (HeaderValue v : map.getHeadersList()) {
      String name = v.getKey().toLowerCase(java.util.Locale.ROOT);
      String value = valueOf(v);
      if (name.equals(":status")) {
        try {
          status = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
          status = null;
        }
      } else if (!name.startsWith(":")) {
        rest.add(new String[] {name, value});
      }
    }
    if (status == null || status < 100 || status > 999) {
      throw new BadSequenceException("ext_proc: response_headers without a valid :status"
          + " (expected: a three-digit status)");
    }
    ResponseHeadersBuilder b = ResponseHeaders.builder(HttpStatus.valueOf(status));
    for (String[] kv : rest) {
      b.add(kv[0], kv[1]);
    }
    return b.build();
  }

  static HttpHeaders trailers(HeaderMap map) {
    HttpHeadersBuilder b = HttpHeaders.builder();
    for (HeaderValue v : map.getHeadersList()) {
      String name = v.getKey().toLowerCase(java.util.Locale.ROOT);
      if (!name.startsWith(":")) {
        b.add(name, valueOf(v));
      }
    }
    return b.build();
  }

  /** Envoy sends {@code raw_value} (bytes) since 1.27 and {@code value} before. */
  private static String valueOf(HeaderValue v) {
    return v.getRawValue().isEmpty() ? v.getValue() : v.getRawValue().toStringUtf8();
  }

  /** Returns the address of an {@code ip:port} or {@code [ip]:port} text, never resolving names. */
  static @Nullable InetAddress ipOf(String text) {
    String host = text;
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      host = close < 0 ? host.substring(1) : host.substring(1, close);
    } else if (host.indexOf(':') == host.lastIndexOf(':') && host.indexOf(':') >= 0) {
      host = host.substring(0, host.indexOf(':'));
    }
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(host);
    if (bytes == null) {
      return null;
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static InetAddress addressOf(@Nullable SocketAddress a) {
    if (a instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress();
    }
    return UNSPECIFIED;
  }

  private static InetAddress unspecified() {
    try {
      return InetAddress.getByAddress(new byte[4]);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
