package dev.custos.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Bodies and a raw HTTP/1.1 client for the hostile-input suite's representation families:
 * compressed and stacked bodies, bombs, and requests written byte for byte so that duplicate or
 * oddly spelled headers reach the proxy as sent.
 */
final class HostileBodies {
  private HostileBodies() {}

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] zstd(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (io.airlift.compress.zstd.ZstdOutputStream z =
        new io.airlift.compress.zstd.ZstdOutputStream(out)) {
      z.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] brotli(byte[] bytes) {
    try {
      com.aayushatharva.brotli4j.Brotli4jLoader.ensureAvailability();
      return com.aayushatharva.brotli4j.encoder.Encoder.compress(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }

  static byte[] cut(byte[] bytes, int drop) {
    return Arrays.copyOf(bytes, bytes.length - drop);
  }

  /** Returns {@code mib} MiB of zeros with {@code tail} after them: a bomb once compressed. */
  static byte[] zerosThen(int mib, byte[] tail) {
    return concat(new byte[mib << 20], tail);
  }

  /** What a raw exchange got back: the status code (0 when the connection closed first) and body. */
  record RawResponse(int status, String head, byte[] body) {
    String bodyText() {
      return new String(body, StandardCharsets.ISO_8859_1);
    }
  }

  /**
   * Sends one HTTP/1.1 request exactly as given (header lines in order, duplicates kept) with a
   * {@code Content-Length} body, then reads the response until the proxy closes the connection.
   */
  static RawResponse send(int port, String method, String path, List<String> headerLines,
      byte[] body) {
    StringBuilder head = new StringBuilder()
        .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1:").append(port).append("\r\n");
    for (String line : headerLines) {
      head.append(line).append("\r\n");
    }
    head.append("Content-Length: ").append(body.length).append("\r\n")
        .append("Connection: close\r\n\r\n");
    return exchange(port, concat(head.toString().getBytes(StandardCharsets.ISO_8859_1), body));
  }

  /** Sends a request with a chunked body, one chunk of {@code chunk} bytes at a time. */
  static RawResponse sendChunked(int port, String path, List<String> headerLines, byte[] body,
      int chunk) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringBuilder head = new StringBuilder()
        .append("POST ").append(path).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1:").append(port).append("\r\n");
    for (String line : headerLines) {
      head.append(line).append("\r\n");
    }
    head.append("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    for (int i = 0; i < body.length; i += chunk) {
      int n = Math.min(chunk, body.length - i);
      out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(body, i, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    return exchange(port, out.toByteArray());
  }

  /** Returns whether a whole response arrived: its head, and its body as its framing says. */
  private static boolean complete(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    String head = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
    int cl = head.indexOf("\r\ncontent-length:");
    if (cl >= 0) {
      int eol = head.indexOf("\r\n", cl + 2);
      long length = Long.parseLong(
          head.substring(cl + 17, eol < 0 ? head.length() : eol).trim());
      return bytes.length - (end + 4) >= length;
    }
    if (head.contains("\r\ntransfer-encoding: chunked")) {
      return text.endsWith("\r\n0\r\n\r\n") || text.substring(end).startsWith("\r\n\r\n0\r\n\r\n");
    }
    return false; // Read until the connection closes.
  }

  private static RawResponse exchange(int port, byte[] request) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException e) {
        // The proxy may answer and close before reading a body it refused: read what it said.
      }
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      try {
        int n;
        while (!complete(all.toByteArray()) && (n = in.read(buf)) >= 0) {
          all.write(buf, 0, n);
        }
      } catch (IOException e) {
        // A reset after the response: keep what arrived.
      }
      byte[] bytes = all.toByteArray();
      String text = new String(bytes, StandardCharsets.ISO_8859_1);
      int end = text.indexOf("\r\n\r\n");
      if (!text.startsWith("HTTP/1.1 ") || end < 0) {
        return new RawResponse(0, text, new byte[0]);
      }
      int status = Integer.parseInt(text.substring(9, 12));
      return new RawResponse(status, text.substring(0, end),
          Arrays.copyOfRange(bytes, end + 4, bytes.length));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
