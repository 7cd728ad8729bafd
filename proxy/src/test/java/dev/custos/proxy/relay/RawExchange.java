package dev.custos.proxy.relay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes raw HTTP/1.1 bytes to a proxy and parses what comes back into responses (interim ones
 * included), framed by their method, status, Content-Length, chunks or the end of the connection;
 * then says whether the connection was closed. Never half-closes its output.
 */
final class RawExchange {
  private RawExchange() {}

  /** One parsed response: status, headers (lower-cased names, in order), body (ISO-8859-1). */
  record Response(int status, List<String> headers, String body) {
    /** Returns the headers without Date, sorted, as the differential suite compares them. */
    List<String> comparable() {
      List<String> out = new ArrayList<>();
      for (String h : headers) {
        if (!h.startsWith("date:")) {
          out.add(h);
        }
      }
      out.sort(null);
      return out;
    }

    String header(String name) {
      for (String h : headers) {
        if (h.startsWith(name + ":")) {
          return h.substring(name.length() + 1).trim();
        }
      }
      return null;
    }
  }

  /** What one connection gave back. */
  record Result(List<Response> responses, boolean closed, String tail) {}

  /**
   * Writes {@code parts} (each flushed on its own), then reads until {@code methods.size()}
   * final responses arrived or the connection ended; {@code methods} names each request's
   * method (HEAD responses have no body).
   */
  static Result exchange(int port, List<byte[]> parts, List<String> methods) {
    return exchange(port, parts, methods, true);
  }

  /** As {@link #exchange(int, List, List)}; without {@code watchClose}, {@code closed} is false. */
  static Result exchange(int port, List<byte[]> parts, List<String> methods,
      boolean watchClose) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setTcpNoDelay(true);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      for (byte[] p : parts) {
        out.write(p);
        out.flush();
      }
      InputStream in = new java.io.BufferedInputStream(s.getInputStream());
      List<Response> responses = new ArrayList<>();
      int finals = 0;
      boolean ended = false;
      try {
        while (finals < methods.size()) {
          Response r = read(in, methods.get(finals));
          if (r == null) {
            ended = true;
            break;
          }
          responses.add(r);
          if (r.status() >= 200) {
            finals++;
          }
        }
      } catch (java.net.SocketException e) {
        ended = true; // Reset.
      }
      String tail = "";
      if (!ended && watchClose) {
        s.setSoTimeout(1_500);
        try {
          ByteArrayOutputStream rest = new ByteArrayOutputStream();
          byte[] buf = new byte[4096];
          int n;
          while ((n = in.read(buf)) >= 0) {
            rest.write(buf, 0, n);
          }
          ended = true;
          tail = rest.toString(StandardCharsets.ISO_8859_1);
        } catch (SocketTimeoutException e) {
          ended = false;
        } catch (java.net.SocketException e) {
          ended = true;
        }
      }
      return new Result(responses, ended, tail);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Result exchange(int port, String request, String... methods) {
    return exchange(port, List.of(request.getBytes(StandardCharsets.ISO_8859_1)),
        List.of(methods));
  }

  private static Response read(InputStream in, String method) throws IOException {
    String status = line(in);
    if (status == null) {
      return null;
    }
    int code = Integer.parseInt(status.split(" ")[1]);
    List<String> headers = new ArrayList<>();
    String l;
    long length = -1;
    boolean chunked = false;
    while ((l = line(in)) != null && !l.isEmpty()) {
      int colon = l.indexOf(':');
      String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = l.substring(colon + 1).trim();
      headers.add(name + ": " + value);
      if (name.equals("content-length")) {
        length = Long.parseLong(value);
      } else if (name.equals("transfer-encoding")) {
        chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
      }
    }
    if (code < 200 || method.equals("HEAD") || code == 204 || code == 304) {
      return new Response(code, headers, "");
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (chunked) {
      while (true) {
        String size = line(in);
        if (size == null) {
          break;
        }
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          String t;
          while ((t = line(in)) != null && !t.isEmpty()) {
            headers.add("trailer " + t.toLowerCase(Locale.ROOT));
          }
          break;
        }
        body.write(in.readNBytes(n));
        line(in);
      }
    } else if (length >= 0) {
      byte[] b = in.readNBytes((int) length);
      body.write(b);
      if (b.length < length) {
        headers.add("truncated");
      }
    } else {
      body.write(in.readAllBytes());
    }
    return new Response(code, headers, body.toString(StandardCharsets.ISO_8859_1));
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (b != '\r') {
        sb.append((char) b);
      }
    }
    return b < 0 && sb.length() == 0 ? null : sb.toString();
  }
}
