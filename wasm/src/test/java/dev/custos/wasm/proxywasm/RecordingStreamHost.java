package dev.custos.wasm.proxywasm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Implements {@link StreamHost} in memory and records what the filter asked for. */
final class RecordingStreamHost implements StreamHost {
  record LocalResponse(
      int status, String details, byte[] body, List<Map.Entry<String, String>> headers, int grpc) {}

  record HttpCall(
      int token,
      String cluster,
      List<Map.Entry<String, String>> headers,
      byte[] body,
      Duration timeout) {}

  final Map<HeaderMapType, List<Map.Entry<String, String>>> maps =
      new EnumMap<>(HeaderMapType.class);
  final Map<String, Object> properties = new java.util.HashMap<>();
  final List<LocalResponse> localResponses = new ArrayList<>();
  final List<Direction> continued = new ArrayList<>();
  final List<Direction> closed = new ArrayList<>();
  final List<HttpCall> httpCalls = new ArrayList<>();
  final List<String> clusters = new ArrayList<>(List.of("auth"));
  final List<Integer> queueReady = new ArrayList<>();

  RecordingStreamHost request(String method, String path) {
    maps.put(
        HeaderMapType.REQUEST_HEADERS,
        List.of(
            Map.entry(":method", method),
            Map.entry(":path", path),
            Map.entry(":authority", "example.test"),
            Map.entry(":scheme", "http")));
    return this;
  }

  @Nullable String header(HeaderMapType type, String name) {
    for (Map.Entry<String, String> e : headers(type)) {
      if (e.getKey().equals(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  @Override
  public List<Map.Entry<String, String>> headers(HeaderMapType type) {
    return maps.getOrDefault(type, List.of());
  }

  @Override
  public void headers(HeaderMapType type, List<Map.Entry<String, String>> headers) {
    maps.put(type, List.copyOf(headers));
  }

  @Override
  public void sendLocalResponse(
      int status,
      String details,
      byte[] body,
      List<Map.Entry<String, String>> headers,
      int grpcStatus) {
    localResponses.add(new LocalResponse(status, details, body, headers, grpcStatus));
  }

  @Override
  public void continueStream(Direction direction) {
    continued.add(direction);
  }

  @Override
  public void closeStream(Direction direction) {
    closed.add(direction);
  }

  @Override
  public @Nullable Object property(List<String> path) {
    return properties.get(String.join(".", path));
  }

  @Override
  public boolean httpCall(
      int token,
      String cluster,
      List<Map.Entry<String, String>> headers,
      byte[] body,
      List<Map.Entry<String, String>> trailers,
      Duration timeout) {
    if (!clusters.contains(cluster)) {
      return false;
    }
    httpCalls.add(new HttpCall(token, cluster, headers, body, timeout));
    return true;
  }

  @Override
  public void queueReady(int token) {
    queueReady.add(token);
  }
}
