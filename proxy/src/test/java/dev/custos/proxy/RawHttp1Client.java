package dev.custos.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A client that writes HTTP/1.1 bytes exactly as given (a real client library would repair the
 * hostile shapes) and reads whatever comes back until the server closes the connection, or, once
 * at least one complete response arrived (framed by its Content-Length or its chunks and
 * trailers), until nothing more arrives for a moment (a kept-alive connection). The output is
 * never half-closed: the server would take that as the end of the connection.
 */
final class RawHttp1Client {
  /** The quiet time that ends a read once a complete response arrived (a kept-alive connection). */
  private static final int QUIET_MILLIS = 500;
  /** The longest wait for a first answer. */
  private static final long FIRST_ANSWER_MILLIS = 60_000;

  private RawHttp1Client() {}

  /**
   * Writes {@code parts} one write (and flush) each, half-closes, and returns everything read
   * until the server closes (ISO-8859-1, so bytes map one to one).
   */
  static String exchange(int port, List<byte[]> parts) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(QUIET_MILLIS);
      s.setTcpNoDelay(true);
      for (byte[] part : parts) {
        s.getOutputStream().write(part);
        s.getOutputStream().flush();
      }
      return readAll(s.getInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code request} (ISO-8859-1) in one piece; see {@link #exchange(int, List)}. */
  static String exchange(int port, String request) {
    return exchange(port, List.of(request.getBytes(StandardCharsets.ISO_8859_1)));
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    long giveUp = System.nanoTime() + FIRST_ANSWER_MILLIS * 1_000_000;
    while (true) {
      try {
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        out.write(buf, 0, n);
      } catch (SocketTimeoutException e) {
        if (completeResponses(out.toByteArray()) > 0 || System.nanoTime() > giveUp) {
          break; // Quiet after a whole answer (kept alive), or no answer at all.
        }
      } catch (java.net.SocketException e) {
        break; // Reset: what was read is the answer.
      }
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /** Returns the status codes of every response in {@code raw}, in order. */
  static List<Integer> statuses(String raw) {
    List<Integer> codes = new java.util.ArrayList<>();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("HTTP/1\\.[01] (\\d{3}) ").matcher(raw);
    while (m.find()) {
      codes.add(Integer.parseInt(m.group(1)));
    }
    return codes;
  }

  /** Returns how many complete final (non-1xx) responses {@code raw} begins with. */
  static int completeResponses(byte[] raw) {
    String s = new String(raw, StandardCharsets.ISO_8859_1);
    int pos = 0;
    int complete = 0;
    while (true) {
      int headEnd = s.indexOf("\r\n\r\n", pos);
      if (headEnd < 0) {
        return complete;
      }
      String head = s.substring(pos, headEnd).toLowerCase(java.util.Locale.ROOT);
      int bodyStart = headEnd + 4;
      java.util.regex.Matcher status =
          java.util.regex.Pattern.compile("^http/1\\.[01] (\\d{3})").matcher(head);
      if (!status.find()) {
        return complete;
      }
      int code = Integer.parseInt(status.group(1));
      if (code < 200) {
        pos = bodyStart;
        continue;
      }
      java.util.regex.Matcher cl =
          java.util.regex.Pattern.compile("\r\ncontent-length: *(\\d+)").matcher(head);
      int end;
      if (code == 204 || code == 304) {
        end = bodyStart;
      } else if (head.contains("\r\ntransfer-encoding: chunked")) {
        end = chunkedEnd(s, bodyStart);
      } else if (cl.find()) {
        long n = Long.parseLong(cl.group(1));
        end = s.length() - bodyStart >= n ? (int) (bodyStart + n) : -1;
      } else {
        return complete; // Framed by the end of the connection.
      }
      if (end < 0) {
        return complete;
      }
      complete++;
      pos = end;
    }
  }

  /** Returns where a chunked body starting at {@code from} ends (after its trailers), or -1. */
  private static int chunkedEnd(String s, int from) {
    int pos = from;
    while (true) {
      int lineEnd = s.indexOf("\r\n", pos);
      if (lineEnd < 0) {
        return -1;
      }
      String size = s.substring(pos, lineEnd);
      int semi = size.indexOf(';');
      long n;
      try {
        n = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
      } catch (NumberFormatException e) {
        return -1;
      }
      if (n == 0) {
        int trailersEnd = s.indexOf("\r\n\r\n", lineEnd);
        if (s.startsWith("\r\n", lineEnd + 2)) {
          return lineEnd + 4;
        }
        return trailersEnd < 0 ? -1 : trailersEnd + 4;
      }
      pos = (int) (lineEnd + 2 + n + 2);
      if (pos > s.length()) {
        return -1;
      }
    }
  }
}
