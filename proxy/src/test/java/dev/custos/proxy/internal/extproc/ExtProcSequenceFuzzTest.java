package dev.custos.proxy.internal.extproc;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.inspect.ProxyInspection;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpTrailers;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzzing of the external processing stream: whatever messages Envoy (or anything
 * else) sends in whatever order, every message is answered exactly once or the stream ends with
 * {@code FAILED_PRECONDITION}, never with an internal error, and nothing is answered after the
 * end. Each input byte picks the next message's kind and flags; the bytes after it are its body.
 * Without {@code JAZZER_FUZZ} set, only the seeds in {@code ExtProcSequenceFuzzTestInputs/} run.
 */
class ExtProcSequenceFuzzTest {
  private static final String CARD = "4111 1111 1111 1111";
  private static final ExtProcService SERVICE;

  static {
    // Only the two categories the rules name: compiling the whole catalog would cost most of the
    // seed run.
    java.util.Set<String> others = new java.util.TreeSet<>();
    for (dev.custos.engine.DetectorDefinition d : dev.custos.engine.Policy.ofDefault().detectors()) {
      if (!d.category().equals("credit_card") && !d.category().equals("us_ssn")) {
        others.add(d.category());
      }
    }
    ProxyConfig config = ProxyConfig.parse("""
        listen: 127.0.0.1:0
        findings: { file: off }
        routes:
          - name: api
            match: { prefix: /api }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:9"] }
        policy:
          version: 1
          disable: [%s]
          rules:
            - { name: cards, match: { direction: request }, categories: [credit_card], action: redact }
            - { name: ssn, match: { direction: response }, categories: [us_ssn], action: block }
        """.formatted(String.join(", ", others)), "custos.yaml", Path.of("."));
    ProxyInspection inspection =
        new ProxyInspection(new SimpleMeterRegistry(), FindingsSink.noop());
    inspection.prepare(config.policy());
    SERVICE = new ExtProcService(() -> config, inspection, new SimpleMeterRegistry());
  }

  private static final class Recorder implements StreamObserver<ProcessingResponse> {
    final List<ProcessingResponse> answers = new ArrayList<>();
    Throwable error;
    boolean completed;

    @Override
    public void onNext(ProcessingResponse value) {
      assertThat(error).isNull();
      assertThat(completed).isFalse();
      answers.add(value);
    }

    @Override
    public void onError(Throwable t) {
      assertThat(error).isNull();
      error = t;
    }

    @Override
    public void onCompleted() {
      completed = true;
    }
  }

  @FuzzTest(maxDuration = "30s")
  void anySequenceIsAnsweredOrRefusedCleanly(byte[] input) {
    Recorder out = new Recorder();
    StreamObserver<ProcessingRequest> in = SERVICE.process(out);
    int i = 0;
    while (i < input.length) {
      int op = input[i] & 0xff;
      i++;
      int len = Math.min(input.length - i, (op >> 4) * 3);
      byte[] chunk = Arrays.copyOfRange(input, i, i + len);
      i += len;
      boolean eos = (op & 8) != 0;
      ProcessingRequest req = message(op & 7, eos, chunk);
      int before = out.answers.size();
      boolean ended = out.error != null;
      in.onNext(req);
      if (ended) {
        assertThat(out.answers).hasSize(before);
        continue;
      }
      if (out.error != null) {
        assertThat(Status.fromThrowable(out.error).getCode())
            .isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(out.answers).hasSize(before);
      } else {
        assertThat(out.answers).hasSize(before + 1);
      }
    }
    if (out.error == null) {
      in.onCompleted();
      assertThat(out.completed).isTrue();
    }
  }

  private static ProcessingRequest message(int kind, boolean eos, byte[] chunk) {
    String text = new String(chunk, StandardCharsets.ISO_8859_1);
    ProcessingRequest.Builder b = ProcessingRequest.newBuilder();
    switch (kind) {
      case 0 -> b.setRequestHeaders(HttpHeaders.newBuilder().setEndOfStream(eos).setHeaders(
          headers(":method", "POST", ":path", "/api/" + text.replace('\n', '_'),
              ":authority", "a.example", "content-type",
              chunk.length % 2 == 0 ? "application/json" : "text/plain")));
      case 1 -> b.setRequestBody(HttpBody.newBuilder().setEndOfStream(eos)
          .setBody(ByteString.copyFrom(chunk).concat(eos ? ByteString.copyFromUtf8(CARD)
              : ByteString.EMPTY)));
      case 2 -> b.setRequestTrailers(HttpTrailers.newBuilder()
          .setTrailers(headers("x-t", eos ? CARD : text)));
      case 3 -> b.setResponseHeaders(HttpHeaders.newBuilder().setEndOfStream(eos).setHeaders(
          headers(":status", chunk.length > 0 ? Integer.toString(chunk[0] & 0xff) : "200",
              "content-type", "application/json")));
      case 4 -> b.setResponseBody(HttpBody.newBuilder().setEndOfStream(eos)
          .setBody(ByteString.copyFrom(chunk)));
      case 5 -> b.setResponseTrailers(HttpTrailers.newBuilder()
          .setTrailers(headers("grpc-status", "0")));
      case 6 -> { } // No request part at all.
      default -> b.setRequestHeaders(HttpHeaders.newBuilder()
          .setHeaders(headers(":method", text)));
    }
    return b.build();
  }

  private static HeaderMap headers(String... kv) {
    HeaderMap.Builder m = HeaderMap.newBuilder();
    for (int i = 0; i < kv.length; i += 2) {
      m.addHeaders(HeaderValue.newBuilder().setKey(kv[i])
          .setRawValue(ByteString.copyFrom(kv[i + 1], StandardCharsets.ISO_8859_1)));
    }
    return m.build();
  }
}
