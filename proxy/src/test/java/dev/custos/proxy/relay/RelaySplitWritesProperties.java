package dev.custos.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.proxy.CustosProxy;
import dev.custos.proxy.ProxyConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * However a client's bytes are cut into TCP writes, the relay sends the origin the same request
 * and the client gets the same answers: pipelined requests with a chunked and a fixed-length
 * body, cut at arbitrary offsets (the first request's head included, which the gate reads).
 */
class RelaySplitWritesProperties {
  static Http1Origin origin;
  static CustosProxy proxy;
  static Path dir;

  static final String REQUESTS = "POST /echo?a=1 HTTP/1.1\r\nHost: example.test\r\n"
      + "Transfer-Encoding: chunked\r\nX-One: 1\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n"
      + "PUT /echo?b=2 HTTP/1.1\r\nHost: example.test\r\nContent-Length: 10\r\n\r\n0123456789"
      + "GET /echo?c=3 HTTP/1.1\r\nHost: example.test\r\n\r\n";
  static final List<String> METHODS = List.of("POST", "PUT", "GET");
  static List<String> whole;

  @BeforeContainer
  static void start() throws Exception {
    origin = new Http1Origin();
    dir = Files.createTempDirectory("relay-split");
    proxy = CustosProxy.builder(ProxyConfig.parse("""
        listen: 127.0.0.1:0
        inspection: { enabled: false }
        routes:
          - match: { prefix: / }
            cluster: origin
        clusters:
          origin: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(origin.port()), "custos.yaml", dir)).build().start();
    whole = answers(List.of(REQUESTS.getBytes(StandardCharsets.ISO_8859_1)));
  }

  @AfterContainer
  static void stop() throws Exception {
    proxy.close();
    origin.close();
  }

  @Property(tries = 40)
  void anySplitOfTheBytesGivesTheSameRequestsAndAnswers(
      @ForAll @Size(max = 12) List<@IntRange(min = 1, max = 260) Integer> cuts) {
    byte[] all = REQUESTS.getBytes(StandardCharsets.ISO_8859_1);
    List<byte[]> parts = new ArrayList<>();
    int from = 0;
    for (int cut : new TreeSet<>(cuts)) {
      if (cut < all.length && cut > from) {
        parts.add(java.util.Arrays.copyOfRange(all, from, cut));
        from = cut;
      }
    }
    parts.add(java.util.Arrays.copyOfRange(all, from, all.length));

    assertThat(answers(parts)).isEqualTo(whole);
  }

  static List<String> answers(List<byte[]> parts) {
    RawExchange.Result r = RawExchange.exchange(proxy.activeHttpPort(), parts, METHODS,
        false);
    List<String> out = new ArrayList<>();
    for (RawExchange.Response res : r.responses()) {
      out.add(res.status() + " " + res.comparable() + " " + res.body());
    }
    out.add("relayed " + (proxy.meterRegistry().get("custos.http1.relay.requests").counter()
        .count() > 0));
    return out;
  }
}
