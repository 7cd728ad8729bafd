package dev.custos.proxy.internal.inspect;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.stream.ClosedStreamException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The 403 answer to a refused message: <code>{"error":"blocked","rule":"&lt;rule name&gt;"}</code>,
 * where the rule is {@code on_uninspectable} or {@code on_error} (a failed plugin detector) when
 * no rule refused it.
 */
final class Refusals {
  private Refusals() {}

  static HttpData body(@Nullable String rule) {
    String name = rule == null ? MessageInspection.ON_UNINSPECTABLE : rule;
    String json = "{\"error\":\"blocked\",\"rule\":\""
        + new String(JsonStringEncoder.getInstance().quoteAsString(name)) + "\"}";
    return HttpData.wrap(json.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The last event of a Server-Sent Events response refused once events went out: {@code event:
   * error} with the same JSON as {@link #body}, after which the stream ends normally.
   */
  static HttpData event(@Nullable String rule) {
    String json = body(rule).toStringUtf8();
    return HttpData.ofUtf8("event: error\ndata: " + json + "\n\n");
  }

  static ResponseHeaders headers(HttpData body) {
    return ResponseHeaders.builder(HttpStatus.FORBIDDEN)
        .contentType(MediaType.JSON_UTF_8)
        .contentLength(body.length())
        .build();
  }

  static HttpResponse response(@Nullable String rule) {
    HttpData body = body(rule);
    return HttpResponse.of(headers(body), body);
  }

  /**
   * The 400 answer to a malformed request, such as one with conflicting representation headers:
   * {@code {"error":"<problem>","status":400}}, as the proxy's other errors. The problem names a
   * header, never a value.
   */
  static HttpResponse badRequest(String problem) {
    return dev.custos.proxy.internal.ErrorResponses.of(HttpStatus.BAD_REQUEST, problem);
  }

  /**
   * The cause a stream is aborted with once bytes went out; it names no value. A closed-stream
   * exception, so Armeria resets the stream (or closes an HTTP/1.1 connection) as for any other
   * stream cut short.
   */
  static final class StreamBlockedException extends ClosedStreamException {
    private static final long serialVersionUID = 1L;

    StreamBlockedException() {
      super("stream aborted by the inspection layer (a block rule, on_uninspectable or on_error)");
    }
  }
}
