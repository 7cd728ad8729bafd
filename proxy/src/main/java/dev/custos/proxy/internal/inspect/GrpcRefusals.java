package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * How a refusal reads to a gRPC client: status 7 ({@code PERMISSION_DENIED}) with a message that
 * names the rule, never a value. Before the response started, a trailers-only response (HTTP 200,
 * {@code content-type: application/grpc}, {@code grpc-status} and {@code grpc-message} in the
 * headers, which end the stream); after, trailers that end it.
 */
final class GrpcRefusals {
  /** gRPC's PERMISSION_DENIED. */
  static final String PERMISSION_DENIED = "7";

  private GrpcRefusals() {}

  /** Returns whether {@code mediaType} is gRPC or gRPC-Web ({@code application/grpc…}). */
  static boolean isGrpc(@Nullable MediaType mediaType) {
    if (mediaType == null) {
      return false;
    }
    return mediaType.type().equals("application") && (mediaType.subtype().equals("grpc")
        || mediaType.subtype().startsWith("grpc+") || mediaType.subtype().startsWith("grpc-web"));
  }

  /** Returns the trailers-only response that refuses a call. */
  static ResponseHeaders trailersOnly(@Nullable String rule) {
    return ResponseHeaders.builder(HttpStatus.OK)
        .contentType(MediaType.parse("application/grpc"))
        .add("grpc-status", PERMISSION_DENIED)
        .add("grpc-message", message(rule))
        .endOfStream(true)
        .build();
  }

  /** Returns the trailers that end a call refused after its response started. */
  static HttpHeaders trailers(@Nullable String rule) {
    return HttpHeaders.builder()
        .add("grpc-status", PERMISSION_DENIED)
        .add("grpc-message", message(rule))
        .endOfStream(true)
        .build();
  }

  /** Returns the percent-encoded message (gRPC's encoding: bytes outside 0x20-0x7E and '%'). */
  static String message(@Nullable String rule) {
    String name = rule == null ? MessageInspection.ON_UNINSPECTABLE : rule;
    return percentEncode("blocked by the data protection policy (rule " + name + ")");
  }

  static String percentEncode(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }
}
