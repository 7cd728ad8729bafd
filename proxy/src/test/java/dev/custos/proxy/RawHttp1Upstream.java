package dev.custos.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/1.1 upstream that answers every connection with one fixed response, byte for byte, so
 * that tests control headers a real server library would tidy up. An HTTP/2 preface is answered
 * the same way, which makes clients fall back to HTTP/1.1.
 */
final class RawHttp1Upstream implements AutoCloseable {
  private final ServerSocket socket;
  private final Thread thread;

  RawHttp1Upstream(String response) throws IOException {
    socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);
    thread = new Thread(() -> {
      while (!socket.isClosed()) {
        try (Socket s = socket.accept()) {
          s.setSoTimeout(5_000);
          readHead(s.getInputStream());
          s.getOutputStream().write(bytes);
          s.getOutputStream().flush();
          s.shutdownOutput();
        } catch (IOException e) {
          // The next connection, or closed.
        }
      }
    }, "raw-http1-upstream");
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  private static void readHead(InputStream in) throws IOException {
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    int b;
    while (matched < 4 && (b = in.read()) >= 0) {
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
