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
 * an answer began, until nothing more arrives for a moment (a kept-alive connection). The output
 * is never half-closed: the server would take that as the end of the connection.
 */
final class RawHttp1Client {
  /** The quiet time that ends a read once an answer began (a kept-alive connection). */
  private static final int QUIET_MILLIS = 2_000;
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
        if (out.size() > 0 || System.nanoTime() > giveUp) {
          break; // Quiet after an answer (kept alive), or no answer at all.
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
}
