package dev.custos.proxy.relay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1-only origin on raw sockets (the HTTP/2 preface gets a 400 and a close, as nginx
 * answers it), so that tests control framing to the byte: {@code /echo} answers what it received
 * (request line, headers sorted by lower-cased name with {@code traceparent} reduced to its
 * presence, body), {@code /chunked}, {@code /big?mb=N}, {@code /count}, {@code /close}, {@code
 * /eof} (no length: read until close), {@code /reset} (closes mid-body), {@code /slow}, {@code
 * /hold} (answers once {@link #release} completes), {@code
 * /nocontent}, {@code /notmodified}, {@code /hop}.
 */
final class Http1Origin implements AutoCloseable {
  private final ServerSocket socket;
  /** Counts the connections accepted. */
  final AtomicInteger connections = new AtomicInteger();
  /** Counts the requests to {@code /hold} that arrived. */
  final AtomicInteger held = new AtomicInteger();
  /** Completed to let {@code /hold} answer. */
  final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CompletableFuture<Void>>
      release = new java.util.concurrent.atomic.AtomicReference<>(
          new java.util.concurrent.CompletableFuture<>());
  /** Counts the requests answered. */
  final AtomicInteger requests = new AtomicInteger();

  Http1Origin() throws IOException {
    socket = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!socket.isClosed()) {
        try {
          Socket s = socket.accept();
          connections.incrementAndGet();
          Thread c = new Thread(() -> serve(s), "origin-connection");
          c.setDaemon(true);
          c.start();
        } catch (IOException e) {
          // Closed.
        }
      }
    }, "origin-accept");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  private void serve(Socket s) {
    try (s) {
      s.setTcpNoDelay(true);
      InputStream in = new java.io.BufferedInputStream(s.getInputStream());
      OutputStream out = s.getOutputStream();
      while (true) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        if (head.startsWith("PRI ")) {
          out.write(ascii("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close"
              + "\r\n\r\n"));
          return;
        }
        String[] lines = head.split("\r\n");
        String[] requestLine = lines[0].split(" ");
        String method = requestLine[0];
        String uri = requestLine[1];
        Map<String, String> headers = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
          int colon = lines[i].indexOf(':');
          String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
          String value = lines[i].substring(colon + 1).trim();
          headers.merge(name, value, (a, b) -> a + "|" + b);
        }
        byte[] body = readBody(in, headers);
        requests.incrementAndGet();
        boolean close = "close".equalsIgnoreCase(headers.get("connection"));
        if (!answer(out, method, uri, headers, body) || close) {
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      // The connection ends.
    }
  }

  /** Writes the answer; returns whether the connection stays open. */
  private boolean answer(OutputStream out, String method, String uri, Map<String, String> headers,
      byte[] body) throws IOException {
    boolean head = method.equals("HEAD");
    String path = uri.contains("?") ? uri.substring(0, uri.indexOf('?')) : uri;
    switch (path) {
      case "/chunked" -> {
        out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n"));
        if (!head) {
          for (String part : List.of("first;", "second;", "third")) {
            out.write(ascii(Integer.toHexString(part.length()) + "\r\n" + part + "\r\n"));
            out.flush();
          }
          out.write(ascii("0\r\n\r\n"));
        }
      }
      case "/big" -> {
        long total = Long.parseLong(uri.substring(uri.indexOf("mb=") + 3)) << 20;
        out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: " + total + "\r\n\r\n"));
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'x');
        for (long sent = 0; !head && sent < total; sent += chunk.length) {
          out.write(chunk, 0, (int) Math.min(chunk.length, total - sent));
        }
      }
      case "/count" -> text(out, 200, "OK", String.valueOf(body.length), "", head);
      case "/close" -> {
        text(out, 200, "OK", "closing", "Connection: close\r\n", head);
        out.flush();
        return false;
      }
      case "/eof" -> {
        out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"));
        if (!head) {
          out.write(ascii("until the end of the connection"));
        }
        out.flush();
        return false;
      }
      case "/reset" -> {
        out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"));
        out.write(new byte[1000]);
        out.flush();
        return false;
      }
      case "/slow" -> {
        sleep(3_000);
        text(out, 200, "OK", "late", "", head);
      }
      case "/hold" -> {
        held.incrementAndGet();
        release.get().join();
        text(out, 200, "OK", "released", "", head);
      }
      case "/nocontent" -> out.write(ascii("HTTP/1.1 204 No Content\r\nX-Kind: none\r\n\r\n"));
      case "/notmodified" -> out.write(ascii("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n"));
      case "/hop" -> text(out, 200, "OK", "hop", "Connection: x-private\r\nX-Private: secret\r\n"
          + "Keep-Alive: timeout=5\r\nX-Public: kept\r\n", head);
      default -> {
        StringBuilder sb = new StringBuilder(method).append(' ').append(uri).append('\n');
        headers.forEach((k, v) -> sb.append(k).append(": ")
            .append(k.equals("traceparent") ? "present" : v).append('\n'));
        sb.append('\n').append(new String(body, StandardCharsets.ISO_8859_1));
        text(out, 200, "OK", sb.toString(), "", head);
      }
    }
    out.flush();
    return true;
  }

  private static void text(OutputStream out, int status, String reason, String body,
      String extra, boolean head) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
    out.write(ascii("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain\r\n"
        + "Content-Length: " + b.length + "\r\n" + extra + "\r\n"));
    if (!head) {
      out.write(b);
    }
  }

  private static byte[] readBody(InputStream in, Map<String, String> headers) throws IOException {
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      while (true) {
        String size = line(in);
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          while (!line(in).isEmpty()) {
            // Trailers.
          }
          return body.toByteArray();
        }
        body.write(in.readNBytes(n));
        line(in);
      }
    }
    String length = headers.get("content-length");
    return length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (b != '\r') {
        sb.append((char) b);
      }
    }
    if (b < 0) {
      throw new IOException("closed");
    }
    return sb.toString();
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    int b;
    while (matched < 4 && (b = in.read()) >= 0) {
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      if (head.size() == 24 && head.toString(StandardCharsets.ISO_8859_1).startsWith("PRI ")) {
        return "PRI ";
      }
    }
    if (matched < 4) {
      return null;
    }
    String s = head.toString(StandardCharsets.ISO_8859_1);
    return s.substring(0, s.length() - 4);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** Returns the lines of an {@code /echo} answer's header section, for assertions. */
  static List<String> echoedHeaders(String body) {
    List<String> out = new ArrayList<>();
    String[] lines = body.split("\n", -1);
    for (int i = 1; i < lines.length && !lines[i].isEmpty(); i++) {
      out.add(lines[i]);
    }
    return out;
  }
}
