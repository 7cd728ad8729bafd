package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input suite's slow-client family: a request body that stops sending, or trickles a
 * byte at a time for longer than the route's timeout, is cut (HTTP/1.1 and HTTP/2), the planted
 * value it carried never reaches the upstream, and the proxy keeps serving.
 */
class HostileSlowClientTest {
  private static final String ROUTE = """
        - name: api
          match: { prefix: / }
          cluster: u
          timeout: 3s
      """;

  @TempDir
  Path dir;

  @Test
  void aRequestBodyThatStopsSendingIsCutWith408() throws Exception {
    try (HostileProxy p = HostileProxy.start(dir, ROUTE, "request_body_idle_timeout: 1s")) {
      try (Socket s = new Socket("127.0.0.1", p.port())) {
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        out.write(("POST /submit HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json"
            + "\r\nContent-Length: 1000\r\n\r\n{\"ssn\":\"" + HostileProxy.SSN)
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // Nothing more is sent: the proxy must answer (or close) on its own.
        String answer = readUntilClosedOrAnswered(s.getInputStream());
        assertThat(answer).startsWith("HTTP/1.1 408").contains("request body timeout");
      }
      p.assertStillServes();
      p.assertNeverLeaked(HostileProxy.SSN);
    }
  }

  @Test
  void aRequestBodyTricklingForLongerThanTheRouteTimeoutIsCut() throws Exception {
    try (HostileProxy p = HostileProxy.start(dir, ROUTE, "request_body_idle_timeout: 2s")) {
      AtomicBoolean stop = new AtomicBoolean();
      try (Socket s = new Socket("127.0.0.1", p.port())) {
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        byte[] body = ("{\"ssn\":\"" + HostileProxy.SSN + "\"," + " ".repeat(10_000) + "}")
            .getBytes(StandardCharsets.US_ASCII);
        out.write(("POST /submit HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/json"
            + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        Thread trickler = new Thread(() -> {
          try {
            // One byte every 200 ms: never idle for request_body_idle_timeout, never done.
            for (int i = 0; i < body.length && !stop.get(); i++) {
              out.write(body[i]);
              out.flush();
              Thread.sleep(200);
            }
          } catch (IOException | InterruptedException e) {
            // Cut by the proxy.
          }
        }, "trickler");
        trickler.setDaemon(true);
        trickler.start();
        String answer = readUntilClosedOrAnswered(s.getInputStream());
        assertThat(answer).matches("(?s)HTTP/1\\.1 (408|504) .*|");
      } finally {
        stop.set(true);
      }
      p.assertStillServes();
      p.assertNeverLeaked(HostileProxy.SSN);
    }
  }

  @Test
  void anHttp2StreamWhoseBodyStopsIsEnded() throws Exception {
    try (HostileProxy p = HostileProxy.start(dir, ROUTE, "request_body_idle_timeout: 1s")) {
      try (Socket s = new Socket("127.0.0.1", p.port())) {
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        out.write(H2Frames.PREFACE);
        out.write(H2Frames.frame(H2Frames.SETTINGS, 0, 0, new byte[0]));
        byte[] headers = H2Frames.getHeaders("127.0.0.1:" + p.port(), "/submit",
            "content-type", "application/json", "content-length", "1000");
        headers[0] = (byte) 0x83; // :method POST (static index 3)
        out.write(H2Frames.frame(H2Frames.HEADERS, H2Frames.END_HEADERS, 1, headers));
        out.write(H2Frames.frame(H2Frames.DATA, 0, 1,
            ("{\"ssn\":\"" + HostileProxy.SSN).getBytes(StandardCharsets.US_ASCII)));
        out.flush();

        boolean ended = false;
        while (!ended) {
          H2Frames.Frame f = H2Frames.read(in);
          if (f.type() == H2Frames.GOAWAY) {
            ended = true;
          } else if (f.stream() == 1 && (f.type() == H2Frames.RST_STREAM
              || (f.flags() & H2Frames.END_STREAM) != 0)) {
            ended = true;
          } else if (f.type() == H2Frames.SETTINGS && (f.flags() & 1) == 0) {
            out.write(H2Frames.frame(H2Frames.SETTINGS, 1, 0, new byte[0]));
            out.flush();
          }
        }
      }
      p.assertStillServes();
      p.assertNeverLeaked(HostileProxy.SSN);
    }
  }

  /** Reads what the proxy sends until it closes, or a complete-looking answer has arrived. */
  private static String readUntilClosedOrAnswered(InputStream in) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        got.write(buf, 0, n);
        String text = got.toString(StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        if (end >= 0 && text.endsWith("}")) {
          break;
        }
      }
    } catch (java.net.SocketException e) {
      // Reset by the proxy: what arrived before stands.
    }
    return got.toString(StandardCharsets.UTF_8);
  }
}
