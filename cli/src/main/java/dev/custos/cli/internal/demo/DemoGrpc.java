package dev.custos.cli.internal.demo;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The demo's one gRPC method, without generated code: messages are built and read as protobuf
 * fields by number ({@link UnknownFieldSet}), and framed as gRPC frames them (a flag byte, a
 * 4-byte big-endian length, the message). The request holds the user id as field 1; the answer
 * holds the id, name and card as fields 1, 2 and 3.
 */
final class DemoGrpc {
  /** The gRPC content type. */
  static final MediaType CONTENT_TYPE = MediaType.parse("application/grpc");

  private DemoGrpc() {}

  /** Returns the request message for one user id. */
  static byte[] encodeUserRequest(int userId) {
    return UnknownFieldSet.newBuilder()
        .addField(1, UnknownFieldSet.Field.newBuilder().addVarint(userId).build())
        .build()
        .toByteArray();
  }

  /** Returns {@code message} as one uncompressed gRPC frame. */
  static byte[] frame(byte[] message) {
    return ByteBuffer.allocate(5 + message.length)
        .put((byte) 0)
        .putInt(message.length)
        .put(message)
        .array();
  }

  /**
   * Answers a call: the user the request names, or gRPC status 5 (NOT_FOUND) or 3
   * (INVALID_ARGUMENT) in trailers-only form.
   */
  static HttpResponse answer(AggregatedHttpRequest request, List<DemoUpstream.User> users) {
    byte[] body = request.content().array();
    long id;
    try {
      id = UnknownFieldSet.parseFrom(unframe(body)).getField(1).getVarintList().stream()
          .findFirst().orElse(0L);
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      return trailersOnly(3, "the request is not one gRPC message with a user id in field 1");
    }
    for (DemoUpstream.User u : users) {
      if (u.id() == id) {
        byte[] message = UnknownFieldSet.newBuilder()
            .addField(1, UnknownFieldSet.Field.newBuilder().addVarint(u.id()).build())
            .addField(2, UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(ByteString.copyFromUtf8(u.name())).build())
            .addField(3, UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(ByteString.copyFromUtf8(u.card())).build())
            .build()
            .toByteArray();
        return HttpResponse.of(
            ResponseHeaders.of(HttpStatus.OK, HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE),
            HttpData.wrap(frame(message)),
            HttpHeaders.of("grpc-status", "0"));
      }
    }
    return trailersOnly(5, "no such user");
  }

  private static HttpResponse trailersOnly(int status, String message) {
    return HttpResponse.of(ResponseHeaders.builder(HttpStatus.OK)
        .contentType(CONTENT_TYPE)
        .add("grpc-status", Integer.toString(status))
        .add("grpc-message", message)
        .endOfStream(true)
        .build());
  }

  /** Returns the one message of a body of one uncompressed frame. */
  private static byte[] unframe(byte[] body) {
    if (body.length < 5 || body[0] != 0) {
      throw new IllegalArgumentException("not one uncompressed gRPC frame");
    }
    int length = ByteBuffer.wrap(body, 1, 4).getInt();
    if (length != body.length - 5) {
      throw new IllegalArgumentException("frame length " + length + " for " + (body.length - 5)
          + " bytes");
    }
    byte[] message = new byte[length];
    System.arraycopy(body, 5, message, 0, length);
    return message;
  }

  /**
   * Describes an answer as the client saw it: its gRPC status and message's fields, such as
   * {@code grpc-status 0, {1: 1, 2: "Ada", 3: "**** 1111"}}.
   */
  static String describe(AggregatedHttpResponse response) {
    String status = response.trailers().get("grpc-status");
    if (status == null) {
      status = response.headers().get("grpc-status");
    }
    StringBuilder sb = new StringBuilder("grpc-status ").append(status == null ? "none" : status);
    String grpcMessage = response.trailers().get("grpc-message");
    if (grpcMessage == null) {
      grpcMessage = response.headers().get("grpc-message");
    }
    if (grpcMessage != null) {
      sb.append(" (").append(grpcMessage).append(')');
    }
    byte[] body = response.content().array();
    if (body.length == 0) {
      return sb.toString();
    }
    try {
      UnknownFieldSet fields = UnknownFieldSet.parseFrom(unframe(body));
      sb.append(", {");
      String sep = "";
      for (Map.Entry<Integer, UnknownFieldSet.Field> e : fields.asMap().entrySet()) {
        for (long v : e.getValue().getVarintList()) {
          sb.append(sep).append(e.getKey()).append(": ").append(v);
          sep = ", ";
        }
        for (ByteString b : e.getValue().getLengthDelimitedList()) {
          sb.append(sep).append(e.getKey()).append(": \"")
              .append(new String(b.toByteArray(), StandardCharsets.UTF_8)).append('"');
          sep = ", ";
        }
      }
      return sb.append('}').toString();
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      return sb.append(", ").append(body.length).append(" bytes that are not one gRPC message")
          .toString();
    }
  }
}
