package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an inspecting proxy puts on the wire to the service behind. The upstream here is a socket
 * that records each request's bytes as they arrive, so framing (chunked or not) is visible; an
 * HTTP server would hide it.
 */
class RequestWithoutBodyTest {
  @TempDir
  Path dir;

  private WireRecorder upstream;
  private ProxyFixture fixture;

  @BeforeEach
  void start() throws IOException {
    upstream = new WireRecorder();
    fixture = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        findings: { file: 'off' }
        routes:
          - match: { prefix: / }
            cluster: wire
        clusters:
          wire: { endpoints: ["127.0.0.1:%d"] }
        policy: { version: 1 }
        """.formatted(upstream.port()));
  }

  @AfterEach
  void stop() throws IOException {
    fixture.close();
    upstream.close();
  }

  @Test
  void anInspectedGetReachesTheServiceWithoutABodyOrChunkedFraming() {
    // The first request also opens the upstream connection; the later ones find it ready, which
    // is when a body stream would be framed as chunked before its end is known.
    for (int i = 0; i < 3; i++) {
      AggregatedHttpResponse res = client().get("/users?id=" + i).aggregate().join();
      assertThat(res.status().code()).isEqualTo(200);
      assertThat(res.contentUtf8()).isEqualTo("ok");
    }

    assertThat(upstream.requests()).hasSize(3);
    for (int i = 0; i < 3; i++) {
      String request = upstream.requests().get(i).toLowerCase(Locale.ROOT);
      assertThat(request).startsWith("get /users?id=" + i + " http/1.1\r\n").endsWith("\r\n\r\n");
      assertThat(request).doesNotContain("transfer-encoding").doesNotContain("content-length");
    }
  }

  @Test
  void anInspectedPostStillCarriesItsBody() {
    AggregatedHttpResponse res = client().execute(
        RequestHeaders.of(HttpMethod.POST, "/orders", HttpHeaderNames.CONTENT_TYPE, MediaType.JSON),
        "{\"note\":\"hello\"}").aggregate().join();

    assertThat(res.status().code()).isEqualTo(200);
    String request = upstream.requests().get(0);
    assertThat(request).startsWith("POST /orders HTTP/1.1\r\n").contains("{\"note\":\"hello\"}");
  }

  /** A client that speaks HTTP/1.1 to the proxy, as curl and wrk do. */
  private WebClient client() {
    return WebClient.of(fixture.http().replace("http://", "h1c://"));
  }

  /**
   * An HTTP/1.1-only peer on loopback: reads each request's head (and a body by its framing) and
   * answers {@code 200 ok}. Records what arrived, byte for byte.
   */
  private static final class WireRecorder implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Thread acceptor = new Thread(this::accept, "wire-recorder");

    WireRecorder() throws IOException {
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    List<String> requests() {
      return requests;
    }

    private void accept() {
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          InputStream in = s.getInputStream();
          OutputStream out = s.getOutputStream();
          while (true) {
            String request = readRequest(in);
            if (request == null || request.startsWith("PRI * HTTP/2.0")) {
              break; // HTTP/1.1 only: close on the HTTP/2 preface, as nginx does; the client falls back
            }
            if (!request.startsWith("OPTIONS * ")) { // the client's h2c upgrade probe
              requests.add(request);
            }
            out.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"
                .getBytes(StandardCharsets.US_ASCII));
            out.flush();
          }
        } catch (IOException e) {
          // The proxy closed the connection, or the test is over.
        }
      }
    }

    /** Reads one request: its head, then a body by content-length or up to the last chunk. */
    private static String readRequest(InputStream in) throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      while (!endsWith(bytes, "\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          return null;
        }
        bytes.write(b);
      }
      String head = bytes.toString(StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
      if (head.contains("transfer-encoding: chunked")) {
        while (!endsWith(bytes, "0\r\n\r\n")) {
          int b = in.read();
          if (b < 0) {
            break;
          }
          bytes.write(b);
        }
      } else {
        int at = head.indexOf("content-length: ");
        if (at >= 0) {
          int length = Integer.parseInt(head.substring(at + 16, head.indexOf('\r', at)).trim());
          bytes.write(in.readNBytes(length));
        }
      }
      return bytes.toString(StandardCharsets.ISO_8859_1);
    }

    private static boolean endsWith(ByteArrayOutputStream bytes, String suffix) {
      byte[] b = bytes.toByteArray();
      if (b.length < suffix.length()) {
        return false;
      }
      return new String(b, b.length - suffix.length(), suffix.length(), StandardCharsets.ISO_8859_1)
          .equals(suffix);
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
