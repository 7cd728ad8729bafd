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
   * Returns the request pairs as a filter sees them under Envoy on every protocol: an HTTP/1.1
   * {@code host} becomes {@code :authority} (placed after the other pseudo-headers), and no
   * {@code host} is left beside an {@code :authority}.
   */
  static List<Map.Entry<String, String>> withAuthority(List<Map.Entry<String, String>> pairs) {
    String authority = null;
    String host = null;
    int pseudo = 0;
    for (Map.Entry<String, String> p : pairs) {
      String name = p.getKey();
      if (name.equals(":authority") && authority == null) {
        authority = p.getValue();
      } else if (name.equals("host") && host == null) {
        host = p.getValue();
      }
      if (name.startsWith(":")) {
        pseudo++;
      }
    }
    if (host == null) {
      return pairs;
    }
    List<Map.Entry<String, String>> out = new ArrayList<>(pairs.size() + 1);
    for (Map.Entry<String, String> p : pairs) {
      if (!p.getKey().equals("host")) {
        out.add(p);
      }
    }
    if (authority == null) {
      out.add(Math.min(pseudo, out.size()), Map.entry(":authority", host));
    }
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
