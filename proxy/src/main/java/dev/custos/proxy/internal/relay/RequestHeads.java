package dev.custos.proxy.internal.relay;

import com.linecorp.armeria.common.HttpMethod;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Tells the request heads the relay serves exactly as the Armeria path does from those it leaves
 * to Armeria: HTTP/1.1, one of the common methods, an origin-form target without dot segments,
 * empty segments or percent-encoding in the path, one Host, at most one Content-Length (digits)
 * or one {@code Transfer-Encoding: chunked} (never both), no {@code Upgrade} or {@code
 * HTTP2-Settings}, no {@code Expect} other than {@code 100-continue}, no folded lines, no
 * whitespace before a colon, visible ASCII only. Stateless.
 */
final class RequestHeads {
  /** {@link #headEnd}: the head is not complete yet. */
  static final int INCOMPLETE = -2;

  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE",
      "PATCH", "OPTIONS");

  private RequestHeads() {}

  /**
   * Returns the index just past the blank line that ends the head starting at {@code buf}'s
   * reader index, {@link #INCOMPLETE} when it has not arrived and could still fit in {@code
   * limit} bytes, or -1 when it is longer than that.
   */
  static int headEnd(ByteBuf buf, int limit) {
    int from = buf.readerIndex();
    int to = buf.writerIndex();
    int max = Math.min(to, from + limit);
    for (int i = from + 3; i < max; i++) {
      if (buf.getByte(i) == '\n' && buf.getByte(i - 1) == '\r' && buf.getByte(i - 2) == '\n'
          && buf.getByte(i - 3) == '\r') {
        return i + 1;
      }
    }
    return to - from >= limit ? -1 : INCOMPLETE;
  }

  /** Returns whether the raw head from the reader index to {@code end} is one the relay serves. */
  static boolean simple(ByteBuf buf, int end) {
    int i = buf.readerIndex();
    int lineEnd = lineEnd(buf, i, end);
    if (lineEnd < 0) {
      return false;
    }
    String line = buf.toString(i, lineEnd - i, java.nio.charset.StandardCharsets.ISO_8859_1);
    int sp1 = line.indexOf(' ');
    int sp2 = line.lastIndexOf(' ');
    if (sp1 <= 0 || sp2 == sp1 || !METHODS.contains(line.substring(0, sp1))
        || !line.substring(sp2 + 1).equals("HTTP/1.1") || !target(line.substring(sp1 + 1, sp2))) {
      return false;
    }
    int hosts = 0;
    int lengths = 0;
    int codings = 0;
    i = lineEnd + 2;
    while (true) {
      lineEnd = lineEnd(buf, i, end);
      if (lineEnd < 0) {
        return false;
      }
      if (lineEnd == i) {
        break; // The blank line.
      }
      int colon = -1;
      for (int j = i; j < lineEnd; j++) {
        byte b = buf.getByte(j);
        if (b == ':' && colon < 0) {
          colon = j;
        } else if (colon < 0 && !tchar(b)) {
          return false; // Folded line, whitespace before the colon, a bad name.
        } else if (colon >= 0 && (b < 0x20 && b != '\t' || b >= 0x7f)) {
          return false;
        }
      }
      if (colon <= i) {
        return false;
      }
      String name = buf.toString(i, colon - i, java.nio.charset.StandardCharsets.ISO_8859_1)
          .toLowerCase(Locale.ROOT);
      String value = buf.toString(colon + 1, lineEnd - colon - 1,
          java.nio.charset.StandardCharsets.ISO_8859_1).trim();
      switch (name) {
        case "host" -> hosts++;
        case "content-length" -> {
          lengths++;
          if (!digits(value)) {
            return false;
          }
        }
        case "transfer-encoding" -> {
          codings++;
          if (!value.equalsIgnoreCase("chunked")) {
            return false;
          }
        }
        case "upgrade", "http2-settings" -> {
          return false;
        }
        case "expect" -> {
          if (!value.equalsIgnoreCase("100-continue")) {
            return false;
          }
        }
        default -> { }
      }
      i = lineEnd + 2;
    }
    return hosts == 1 && lengths + codings <= 1;
  }

  /**
   * Returns whether a request the relay's decoder parsed (on a connection the relay already
   * serves) is one it serves; the decoder has refused bad framing, and folded lines were joined
   * with a space as RFC 9112 allows.
   */
  static boolean simple(HttpRequest req) {
    if (req.protocolVersion() != HttpVersion.HTTP_1_1 || !METHODS.contains(req.method().name())
        || !HttpMethod.isSupported(req.method().name()) || !target(req.uri())) {
      return false;
    }
    HttpHeaders h = req.headers();
    List<String> hosts = h.getAll(HttpHeaderNames.HOST);
    if (hosts.size() != 1 || h.contains(HttpHeaderNames.UPGRADE)
        || h.contains("http2-settings")) {
      return false;
    }
    String expect = h.get(HttpHeaderNames.EXPECT);
    if (expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
      return false;
    }
    List<String> codings = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    return codings.isEmpty() || codings.size() == 1 && codings.get(0).trim()
        .equalsIgnoreCase("chunked");
  }

  /**
   * Returns whether a request target is origin-form and plain: no percent-encoding (Armeria
   * normalizes it, in the query too), no empty, {@code .} or {@code ..} segments, no fragment.
   */
  static boolean target(String t) {
    if (t.isEmpty() || t.charAt(0) != '/') {
      return false;
    }
    int q = t.indexOf('?');
    int pathEnd = q < 0 ? t.length() : q;
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      boolean inPath = i < pathEnd;
      if (c == '%') {
        return false; // Armeria normalizes percent-encoding, in the query too.
      } else if (!pchar(c) && c != '/' && c != '?') {
        return false;
      }
      if (inPath && c == '/' && i > 0 && t.charAt(i - 1) == '/') {
        return false;
      }
    }
    String path = t.substring(0, pathEnd);
    return !path.contains("/./") && !path.contains("/../") && !path.endsWith("/.")
        && !path.endsWith("/..");
  }

  private static boolean pchar(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
        || "-._~!$&'()*+,;=:@".indexOf(c) >= 0;
  }

  private static boolean tchar(byte b) {
    return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
        || b > 0 && "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
  }

  private static boolean digits(String v) {
    if (v.isEmpty() || v.length() > 18) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      if (v.charAt(i) < '0' || v.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** Returns the index of the CR of the CRLF that ends the line at {@code from}, or -1. */
  private static int lineEnd(ByteBuf buf, int from, int end) {
    for (int i = from; i < end - 1; i++) {
      byte b = buf.getByte(i);
      if (b == '\r') {
        return buf.getByte(i + 1) == '\n' ? i : -1;
      }
      if (b == '\n') {
        return -1; // A bare LF.
      }
    }
    return -1;
  }
}
