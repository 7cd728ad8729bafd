package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.testing.junit5.server.SelfSignedCertificateExtension;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the proxy hands to a client's socket, flush by flush: a response whose head and body came
 * from upstream together leaves in one write (one {@code writev}, not a {@code sendto} for the
 * head and another for the body), over cleartext and TLS, forwarding, inspecting and redacting, and a head
 * whose body is late is not held back for it.
 */
class ResponseWritesTest {
  /** About 4 KB: longer than what a redacting scan holds back at the end of a chunk. */
  private static final String BODY = "{\"users\":[" + java.util.stream.IntStream.range(0, 100)
      .mapToObj(i -> "{\"id\":" + i + ",\"name\":\"Ada\"}")
      .collect(java.util.stream.Collectors.joining(",")) + "]}";

  @RegisterExtension
  static final SelfSignedCertificateExtension cert = new SelfSignedCertificateExtension();

  @TempDir
  Path dir;

  /** Each flush that reached the client's socket, as the text it carried. */
  private final List<String> flushes = new CopyOnWriteArrayList<>();
  private CustosProxy proxy;
  private Upstream upstream;

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Test
  void eachForwardedResponseLeavesInOneWrite() throws Exception {
    start("inspection: { enabled: false }", null);

    List<String> responses = exchange(3);

    assertThat(responses).hasSize(3).allSatisfy(r -> assertThat(r).endsWith(BODY));
    assertThat(flushes).as("one flush per response, head and body together").hasSize(3)
        .allSatisfy(f -> assertThat(f).startsWith("HTTP/1.1 200 OK\r\n").endsWith(BODY));
  }

  @Test
  void eachInspectedResponseLeavesInOneWrite() throws Exception {
    start("policy: { version: 1 }\nfindings: { file: 'off' }", null);

    List<String> responses = exchange(3);

    assertThat(responses).hasSize(3).allSatisfy(r -> assertThat(r).endsWith(BODY));
    assertThat(flushes).as("one flush per response, head and body together").hasSize(3)
        .allSatisfy(f -> assertThat(f).startsWith("HTTP/1.1 200 OK\r\n").endsWith(BODY));
  }

  @Test
  void eachRedactedResponseLeavesInOneWrite() throws Exception {
    // The redacting scan holds the end of each chunk back until the body ends: the end goes
    // out in a second chunk, which must still leave with the rest.
    start("""
        policy:
          version: 1
          rules:
            - name: mask
              match: { direction: response }
              categories: [email]
              action: redact
              redact: { style: mask }
        findings: { file: 'off' }
        """, null);

    List<String> responses = exchange(3);

    assertThat(responses).hasSize(3).allSatisfy(r -> assertThat(r).endsWith(BODY));
    assertThat(flushes).as("one flush per response, head and body together").hasSize(3)
        .allSatisfy(f -> assertThat(f).startsWith("HTTP/1.1 200 OK\r\n").endsWith(BODY));
  }

  @Test
  void aHeadWhoseBodyIsLateReachesTheClientBeforeTheBodyIsSent() throws Exception {
    CountDownLatch headSeen = new CountDownLatch(1);
    start("inspection: { enabled: false }", headSeen);

    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.activeHttpPort())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(request());
      InputStream in = s.getInputStream();
      // The upstream sends the body only once this client has read the head.
      String head = readHead(in);
      assertThat(head).startsWith("HTTP/1.1 200 OK\r\n");
      headSeen.countDown();
      String body = new String(in.readNBytes(BODY.length()), StandardCharsets.UTF_8);
      assertThat(body).isEqualTo(BODY);
    }
    assertThat(flushes).hasSize(2);
  }

  @Test
  void eachResponseOverTlsLeavesInOneWrite() throws Exception {
    start("""
        tls:
          listen: 127.0.0.1:0
          cert: %s
          key: %s
        inspection: { enabled: false }
        """.formatted(cert.certificateFile().getAbsolutePath(),
        cert.privateKeyFile().getAbsolutePath()), null);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, new TrustManager[] {new TrustingAnyServer()}, null);

    try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(
        InetAddress.getLoopbackAddress(), proxy.activeHttpsPort().orElseThrow())) {
      s.setSoTimeout(30_000);
      // The handshake's flushes and the first response are left out of the count.
      assertThat(exchange(s, 1)).hasSize(1);
      flushes.clear();

      List<String> responses = exchange(s, 3);

      assertThat(responses).hasSize(3).allSatisfy(r -> assertThat(r).endsWith(BODY));
      assertThat(flushes).as("one flush (one TLS write) per response").hasSize(3);
    }
  }

  private void start(String settings, CountDownLatch bodyAfter) throws IOException {
    upstream = new Upstream(bodyAfter);
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        routes:
          - match: { prefix: / }
            cluster: u
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        %s
        """.formatted(upstream.port(), settings));
    proxy = CustosProxy.builder(ProxyConfig.load(file))
        .pipelineCustomizer(p -> p.addFirst("test-flush-recorder", new FlushRecorder(flushes)))
        .build()
        .start();
  }

  /** Sends {@code n} requests one after the other on one keep-alive connection, as wrk does. */
  private List<String> exchange(int n) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.activeHttpPort())) {
      s.setSoTimeout(30_000);
      return exchange(s, n);
    }
  }

  private static List<String> exchange(Socket s, int n) throws IOException {
    List<String> responses = new java.util.ArrayList<>();
    OutputStream out = s.getOutputStream();
    InputStream in = s.getInputStream();
    for (int i = 0; i < n; i++) {
      out.write(request());
      out.flush();
      String head = readHead(in);
      responses.add(head + new String(in.readNBytes(contentLength(head)),
          StandardCharsets.UTF_8));
    }
    return responses;
  }

  private static byte[] request() {
    return "GET /api/users HTTP/1.1\r\nHost: example.test\r\n\r\n"
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static int contentLength(String head) {
    String lower = head.toLowerCase(Locale.ROOT);
    int at = lower.indexOf("content-length: ");
    assertThat(at).as("content-length in %s", head).isNotNegative();
    return Integer.parseInt(lower.substring(at + 16, lower.indexOf('\r', at)).trim());
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed inside a response head: " + bytes);
      }
      bytes.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return bytes.toString(StandardCharsets.ISO_8859_1);
  }

  /** Trusts the test's self-signed listener certificate (and any other). */
  private static final class TrustingAnyServer implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** At the socket end of a client channel's pipeline: records what each flush sends. */
  private static final class FlushRecorder extends ChannelOutboundHandlerAdapter {
    private final List<String> flushes;
    private final StringBuilder pending = new StringBuilder();

    FlushRecorder(List<String> flushes) {
      this.flushes = flushes;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof ByteBuf buf) {
        pending.append(buf.toString(StandardCharsets.UTF_8));
      }
      ctx.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
      if (pending.length() > 0) {
        flushes.add(pending.toString());
        pending.setLength(0);
      }
      ctx.flush();
    }
  }

  /**
   * A keep-alive HTTP/1.1 upstream that sends each response's head and body in one write, or, given
   * a latch, the head first and the body once the latch opens.
   */
  private static final class Upstream implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());

    Upstream(CountDownLatch bodyAfter) throws IOException {
      Thread t = new Thread(() -> serve(bodyAfter), "response-writes-upstream");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private void serve(CountDownLatch bodyAfter) {
      byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
      byte[] head = ("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
          + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          InputStream in = s.getInputStream();
          OutputStream out = s.getOutputStream();
          while (true) {
            String request = readHead(in);
            if (request.startsWith("PRI * HTTP/2.0")) {
              break; // HTTP/1.1 only: the client falls back
            }
            if (bodyAfter == null || request.startsWith("OPTIONS * ")) { // or the h2c probe
              byte[] whole = new byte[head.length + body.length];
              System.arraycopy(head, 0, whole, 0, head.length);
              System.arraycopy(body, 0, whole, head.length, body.length);
              out.write(whole);
            } else {
              out.write(head);
              out.flush();
              if (!bodyAfter.await(30, TimeUnit.SECONDS)) {
                break;
              }
              out.write(body);
            }
            out.flush();
          }
        } catch (IOException e) {
          // The proxy closed the connection, or the test is over.
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
