package dev.custos.proxy.internal.wasm;

import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Converts between Armeria's headers and proxy-wasm header maps (ordered, lower-case pairs). */
final class Headers {
  private Headers() {}

  /** Returns the pairs of {@code headers}, pseudo-headers first, as Armeria orders them. */
  static List<Map.Entry<String, String>> list(HttpHeaders headers) {
    List<Map.Entry<String, String>> out = new ArrayList<>(headers.size());
    headers.forEach((name, value) -> out.add(Map.entry(name.toString(), value)));
    return out;
  }

  /**
   * Returns request headers from pairs; a pair the filter removed is gone, {@code :method},
   * {@code :path}, {@code :scheme} and {@code :authority} are taken from the pairs when present.
   */
  static RequestHeaders request(RequestHeaders original, List<Map.Entry<String, String>> pairs,
      boolean dropContentLength) {
    RequestHeadersBuilder b = RequestHeaders.builder();
    fill(b, pairs, dropContentLength);
    if (b.get(":method") == null) {
      b.method(original.method());
    }
    if (b.get(":path") == null) {
      b.path(original.path());
    }
    return b.build();
  }

  /** Returns response headers from pairs; {@code :status} from the pairs when present. */
  static ResponseHeaders response(List<Map.Entry<String, String>> pairs, HttpStatus fallback,
      boolean dropContentLength) {
    ResponseHeadersBuilder b = ResponseHeaders.builder();
    fill(b, pairs, dropContentLength);
    if (b.get(":status") == null) {
      b.status(fallback);
    }
    return b.build();
  }

  /** Returns trailers from pairs. */
  static HttpHeaders trailers(List<Map.Entry<String, String>> pairs) {
    HttpHeadersBuilder b = HttpHeaders.builder();
    fill(b, pairs, false);
    return b.build();
  }

  private static void fill(HttpHeadersBuilder b, List<Map.Entry<String, String>> pairs,
      boolean dropContentLength) {
    for (Map.Entry<String, String> p : pairs) {
      String name = p.getKey();
      if (dropContentLength && name.equals("content-length")) {
        continue;
      }
      if (name.startsWith(":")) {
        b.set(name, p.getValue());
      } else {
        b.add(name, p.getValue());
      }
    }
  }
}
