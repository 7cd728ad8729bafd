package dev.custos.proxy.extproc;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Plays Envoy's side of one external processing stream: each message is sent and its answer
 * awaited before the next, as the {@code ext_proc} filter does in its synchronous mode.
 */
final class EnvoyReplay implements AutoCloseable {
  /** The end of the stream as the server ended it. */
  record Ended(Throwable error) {}

  private static final Object COMPLETED = new Object();

  private final BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
  private final StreamObserver<ProcessingRequest> requests;

  EnvoyReplay(ManagedChannel channel) {
    this.requests = ExternalProcessorGrpc.newStub(channel).process(new StreamObserver<>() {
      @Override
      public void onNext(ProcessingResponse value) {
        answers.add(value);
      }

      @Override
      public void onError(Throwable t) {
        answers.add(new Ended(t));
      }

      @Override
      public void onCompleted() {
        answers.add(COMPLETED);
      }
    });
  }

  static HeaderMap headers(String... namesAndValues) {
    HeaderMap.Builder b = HeaderMap.newBuilder();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      b.addHeaders(HeaderValue.newBuilder().setKey(namesAndValues[i])
          .setRawValue(ByteString.copyFromUtf8(namesAndValues[i + 1])));
    }
    return b.build();
  }

  ProcessingResponse requestHeaders(boolean endOfStream, String... namesAndValues) {
    return send(ProcessingRequest.newBuilder().setRequestHeaders(HttpHeaders.newBuilder()
        .setHeaders(headers(namesAndValues)).setEndOfStream(endOfStream)).build());
  }

  ProcessingResponse requestBody(String chunk, boolean endOfStream) {
    return send(ProcessingRequest.newBuilder().setRequestBody(HttpBody.newBuilder()
        .setBody(ByteString.copyFrom(chunk, StandardCharsets.UTF_8))
        .setEndOfStream(endOfStream)).build());
  }

  ProcessingResponse requestTrailers(String... namesAndValues) {
    return send(ProcessingRequest.newBuilder().setRequestTrailers(HttpTrailers.newBuilder()
        .setTrailers(headers(namesAndValues))).build());
  }

  ProcessingResponse responseHeaders(boolean endOfStream, String... namesAndValues) {
    return send(ProcessingRequest.newBuilder().setResponseHeaders(HttpHeaders.newBuilder()
        .setHeaders(headers(namesAndValues)).setEndOfStream(endOfStream)).build());
  }

  ProcessingResponse responseBody(String chunk, boolean endOfStream) {
    return send(ProcessingRequest.newBuilder().setResponseBody(HttpBody.newBuilder()
        .setBody(ByteString.copyFrom(chunk, StandardCharsets.UTF_8))
        .setEndOfStream(endOfStream)).build());
  }

  ProcessingResponse responseTrailers(String... namesAndValues) {
    return send(ProcessingRequest.newBuilder().setResponseTrailers(HttpTrailers.newBuilder()
        .setTrailers(headers(namesAndValues))).build());
  }

  /** Sends one message and returns its answer; fails if the stream ended instead. */
  ProcessingResponse send(ProcessingRequest request) {
    Object next = sendExpectingAnything(request);
    if (next instanceof ProcessingResponse r) {
      return r;
    }
    throw new AssertionError("expected an answer, the stream ended: " + next);
  }

  /** Sends one message and returns what came back: an answer, an {@link Ended}, or completion. */
  Object sendExpectingAnything(ProcessingRequest request) {
    requests.onNext(request);
    return next();
  }

  Object next() {
    try {
      Object next = answers.poll(20, TimeUnit.SECONDS);
      if (next == null) {
        throw new AssertionError("no answer within 20 s");
      }
      return next;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Ends the stream as Envoy does once the exchange is over, and waits for the server's end. */
  void complete() {
    requests.onCompleted();
    Object last = next();
    if (last != COMPLETED) {
      throw new AssertionError("expected the stream's end, got " + last);
    }
  }

  @Override
  public void close() {
    try {
      requests.onCompleted();
    } catch (IllegalStateException e) {
      // Already ended.
    }
  }
}
