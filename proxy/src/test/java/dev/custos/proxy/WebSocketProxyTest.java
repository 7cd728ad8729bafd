package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.websocket.WebSocketClient;
import com.linecorp.armeria.client.websocket.WebSocketClientHandshakeException;
import com.linecorp.armeria.client.websocket.WebSocketSession;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.websocket.CloseWebSocketFrame;
import com.linecorp.armeria.common.websocket.WebSocket;
import com.linecorp.armeria.common.websocket.WebSocketCloseStatus;
import com.linecorp.armeria.common.websocket.WebSocketFrame;
import com.linecorp.armeria.common.websocket.WebSocketFrameType;
import com.linecorp.armeria.common.websocket.WebSocketWriter;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.websocket.WebSocketService;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.proxy.internal.BossGroups;
import io.micrometer.core.instrument.Counter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * WebSocket through the proxy: a real Armeria WebSocket upstream that echoes every message (and
 * records what it received), and a real Armeria WebSocket client on loopback.
 */
class WebSocketProxyTest {
  private static final String CARD = "4111 1111 1111 1111";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @RegisterExtension
  static final EchoUpstream upstream = new EchoUpstream();

  @TempDir
  Path dir;

  private final List<FindingsEvent> events = new CopyOnWriteArrayList<>();
  private final List<Peer> peers = new CopyOnWriteArrayList<>();
  private CustosProxy proxy;

  @AfterEach
  void stop() {
    for (Peer p : peers) {
      if (p.out.isOpen()) {
        p.out.close(WebSocketCloseStatus.NORMAL_CLOSURE);
      }
    }
    if (proxy != null) {
      proxy.close();
    }
  }

  private String start(String rules) {
    return start(rules, true, "");
  }

  private String start(String rules, boolean websocket, String routeExtra) {
    return start(rules, websocket, routeExtra, "");
  }

  private String start(String rules, boolean websocket, String routeExtra, String policyExtra) {
    String yaml = """
        listen: 127.0.0.1:0
        routes:
          - name: chat
            match: { prefix: / }
            cluster: u
            websocket: %s
        %s
        clusters:
          u: { endpoints: ["127.0.0.1:%d"] }
        policy:
          version: 1
        %s
          rules:
        %s
        """.formatted(websocket, routeExtra.indent(4).stripTrailing(), upstream.httpPort(),
        policyExtra.indent(2).stripTrailing(), rules.indent(4).stripTrailing());
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), yaml);
    proxy = CustosProxy.builder(ProxyConfig.load(file)).findingsSink(events::add).build().start();
    return "ws://127.0.0.1:" + proxy.activeHttpPort();
  }

  /** Opens a session through the proxy; the upstream logs it under a session id of its own. */
  private Peer connect(String uri) {
    String id = java.util.UUID.randomUUID().toString();
    WebSocketSession session = WebSocketClient.builder(uri)
        .aggregateContinuation(true)
        .build()
        .connect("/ws/echo", com.linecorp.armeria.common.HttpHeaders.of("x-session", id)).join();
    Peer peer = new Peer(session.outbound(), upstream.log(id));
    session.inbound().subscribe(peer);
    peers.add(peer);
    return peer;
  }

  @Test
  void textMessagesAndPingsPassBothWaysAndFindingsAreReportedPerMessage() throws Exception {
    Peer client = connect(start(
        "- { name: see cards, match: { direction: request }, categories: [credit_card],"
            + " action: observe }"));
    client.out.write("hello there");
    client.out.write("pay with " + CARD);
    client.out.writePing("are you there".getBytes(StandardCharsets.UTF_8));

    assertThat(client.nextText()).isEqualTo("hello there");
    assertThat(client.nextText()).isEqualTo("pay with " + CARD);
    Received pong = client.next();
    assertThat(pong.type).isEqualTo(WebSocketFrameType.PONG);
    assertThat(pong.text).isEqualTo("are you there");
    assertThat(client.upstream.nextMessage()).isEqualTo("hello there");
    assertThat(client.upstream.nextMessage()).isEqualTo("pay with " + CARD);

    await().atMost(WAIT).until(() -> !events.isEmpty());
    FindingsEvent e = events.get(0);
    assertThat(e.route()).isEqualTo("chat");
    assertThat(e.direction()).isEqualTo(dev.custos.engine.Direction.REQUEST);
    assertThat(e.categories()).containsEntry("credit_card", 1);
    // The second message of the session held the card (messages count from 0).
    assertThat(e.locations()).containsExactly("websocket:$.messages[1]");
    assertThat(e.protocol()).isEqualTo("websocket");
    assertThat(e.actions()).containsExactly("observe");
    assertThat(e.toString()).doesNotContain("4111");
    Counter found = proxy.meterRegistry().find("custos.findings")
        .tags("route", "chat", "category", "credit_card", "direction", "request").counter();
    assertThat(found).isNotNull();
    assertThat(found.count()).isEqualTo(1.0);

    client.out.close(WebSocketCloseStatus.NORMAL_CLOSURE);
    assertThat(client.closeStatus()).isEqualTo(WebSocketCloseStatus.NORMAL_CLOSURE.code());
  }

  @Test
  void aCardInAClientMessageIsRedactedBeforeItReachesTheUpstream() throws Exception {
    Peer client = connect(start(
        "- { name: mask, match: { direction: request }, categories: [credit_card],"
            + " action: redact }"));
    client.out.write("{\"note\":\"card " + CARD + " ok\"}");

    String got = client.upstream.nextMessage();
    assertThat(got).doesNotContain(CARD).startsWith("{\"note\":\"card ").endsWith(" ok\"}");
    assertThat(Upstream.JSON.readTree(got).get("note").asText()).doesNotContain("1111 1111");
    assertThat(client.nextText()).isEqualTo(got);
  }

  @Test
  void aCardInAnUpstreamMessageIsRedactedBeforeItReachesTheClient() throws Exception {
    Peer client = connect(start(
        "- { name: mask, match: { direction: response }, categories: [credit_card],"
            + " action: redact }"));
    client.out.write("your card is " + CARD);

    // The request direction has no rule: the upstream gets the message as it was sent.
    assertThat(client.upstream.nextMessage()).isEqualTo("your card is " + CARD);
    String back = client.nextText();
    assertThat(back).startsWith("your card is ").doesNotContain(CARD);
    // Every message with findings is reported; the request's, without a rule, only observed.
    await().atMost(WAIT).until(() -> events.size() == 2);
    FindingsEvent response = events.stream()
        .filter(e -> e.direction() == dev.custos.engine.Direction.RESPONSE).findFirst()
        .orElseThrow();
    assertThat(response.locations()).containsExactly("websocket:$.messages[0]");
    assertThat(response.actions()).containsExactly("redact");
  }

  @Test
  void aCardSplitAcrossTwoContinuationFramesIsFoundAndTheSessionClosedWith1008()
      throws Exception {
    Peer client = connect(start(
        "- { name: no cards, match: { direction: request }, categories: [credit_card],"
            + " action: block }"));
    client.out.write(WebSocketFrame.ofText("card 4111 1111 ", false));
    client.out.write(WebSocketFrame.ofContinuation("1111 1111 thanks", true));

    assertThat(client.closeStatus()).isEqualTo(WebSocketCloseStatus.POLICY_VIOLATION.code());
    assertThat(client.closeReason).isEqualTo("policy violation");
    assertThat(client.upstream.closeStatus()).isEqualTo(WebSocketCloseStatus.POLICY_VIOLATION.code());
    assertThat(client.upstream.received).isEmpty();
    await().atMost(WAIT).until(() -> !events.isEmpty());
    FindingsEvent e = events.get(0);
    assertThat(e.blockedBy()).isEqualTo("no cards");
    assertThat(e.stage()).isEqualTo("before_upstream");
  }

  @Test
  void aCardSplitAcrossTwoMessagesIsNotOneMessage() throws Exception {
    Peer client = connect(start(
        "- { name: no cards, match: { direction: request }, categories: [credit_card],"
            + " action: block }"));
    client.out.write("card 4111 1111 ");
    client.out.write("1111 1111 thanks");

    // Each message is inspected on its own: neither half is a card number.
    assertThat(client.upstream.nextMessage()).isEqualTo("card 4111 1111 ");
    assertThat(client.upstream.nextMessage()).isEqualTo("1111 1111 thanks");
    assertThat(client.nextText()).isEqualTo("card 4111 1111 ");
    assertThat(client.nextText()).isEqualTo("1111 1111 thanks");
    assertThat(events).isEmpty();
  }

  @Test
  void aCardFromTheUpstreamClosesBothSidesWith1008() throws Exception {
    Peer client = connect(start(
        "- { name: no cards out, match: { direction: response }, categories: [credit_card],"
            + " action: block }"));
    client.out.write("echo " + CARD);

    assertThat(client.upstream.nextMessage()).isEqualTo("echo " + CARD);
    assertThat(client.closeStatus()).isEqualTo(WebSocketCloseStatus.POLICY_VIOLATION.code());
    assertThat(client.texts()).noneMatch(t -> t.contains("4111"));
    assertThat(client.upstream.closeStatus()).isEqualTo(WebSocketCloseStatus.POLICY_VIOLATION.code());
  }

  @Test
  void binaryMessagesAreScannedAsBytes() throws Exception {
    Peer client = connect(start(
        "- { name: mask, match: { direction: request }, categories: [credit_card],"
            + " action: redact }"));
    client.out.write(("bin " + CARD).getBytes(StandardCharsets.UTF_8));

    Received echoed = client.next();
    assertThat(echoed.type).isEqualTo(WebSocketFrameType.BINARY);
    assertThat(echoed.text).startsWith("bin ").doesNotContain(CARD);
  }

  @Test
  void aMessageLargerThanTheInspectionLimitIsRefusedWith1009AndCounted() throws Exception {
    Peer client = connect(start(
        "- { name: no cards, match: { direction: request }, categories: [credit_card],"
            + " action: block }", true, "inspection: { max_inspected_body: 1KiB }"));
    String part = "x".repeat(800);
    client.out.write(WebSocketFrame.ofText(part, false));
    client.out.write(WebSocketFrame.ofContinuation(part, true));

    assertThat(client.closeStatus()).isEqualTo(WebSocketCloseStatus.MESSAGE_TOO_BIG.code());
    assertThat(client.upstream.received).isEmpty();
    Counter refused = proxy.meterRegistry().find("custos.uninspectable")
        .tags("route", "chat", "reason", "body_too_large").counter();
    assertThat(refused).isNotNull();
    assertThat(refused.count()).isEqualTo(1.0);
  }

  @Test
  void aMessageLargerThanTheLimitGoesOnWhenOnUninspectableAllowsIt() throws Exception {
    Peer client = connect(start(
        "- { name: no cards, match: { direction: request }, categories: [credit_card],"
            + " action: block }", true, "inspection: { max_inspected_body: 1KiB }",
        "on_uninspectable: allow"));
    String part = "y".repeat(800);
    client.out.write(WebSocketFrame.ofText(part, false));
    client.out.write(WebSocketFrame.ofContinuation(part, true));

    assertThat(client.upstream.nextMessage()).isEqualTo(part + part);
    // The upstream echoes it as one 1600-byte frame: a single frame past the limit is never read
    // (Armeria reads a frame whole), whatever on_uninspectable says: the upstream leg fails and
    // the client is told 1014 (bad gateway).
    assertThat(client.closeStatus()).isEqualTo(WebSocketCloseStatus.BAD_GATEWAY.code());
    Counter allowed = proxy.meterRegistry().find("custos.uninspectable")
        .tags("route", "chat", "reason", "body_too_large", "decision", "allow").counter();
    assertThat(allowed).isNotNull();
    assertThat(allowed.count()).isEqualTo(1.0);
  }

  @Test
  void anHttp2ExtendedConnectSessionIsProxiedAndRedacted() throws Exception {
    String uri = start(
        "- { name: mask, match: { direction: request }, categories: [credit_card],"
            + " action: redact }");
    String id = java.util.UUID.randomUUID().toString();
    WebSocketSession session = WebSocketClient.builder(
            com.linecorp.armeria.common.SessionProtocol.H2C,
            com.linecorp.armeria.client.Endpoint.of("127.0.0.1", proxy.activeHttpPort()))
        .build()
        .connect("/ws/echo", com.linecorp.armeria.common.HttpHeaders.of("x-session", id)).join();
    assertThat(session.context().sessionProtocol())
        .isEqualTo(com.linecorp.armeria.common.SessionProtocol.H2C);
    Peer client = new Peer(session.outbound(), upstream.log(id));
    session.inbound().subscribe(client);
    peers.add(client);
    client.out.write("h2 card " + CARD);

    assertThat(client.upstream.nextMessage()).startsWith("h2 card ").doesNotContain(CARD);
    assertThat(client.nextText()).startsWith("h2 card ").doesNotContain(CARD);
    assertThat(uri).startsWith("ws://");
  }

  @Test
  void anUpstreamThatRefusesTheHandshakeIsAnsweredWithItsStatus() {
    String uri = start("- { name: see, match: { direction: request }, categories: [credit_card],"
        + " action: observe }");

    assertThatThrownBy(() -> WebSocketClient.of(uri).connect("/ws/forbidden").join())
        .cause()
        .isInstanceOfSatisfying(WebSocketClientHandshakeException.class,
            h -> assertThat(h.headers().status()).isEqualTo(HttpStatus.FORBIDDEN));
  }

  @Test
  void anUpstreamThatIsDownIsAnswered502() throws Exception {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    String yaml = """
        listen: 127.0.0.1:0
        routes:
          - name: chat
            match: { prefix: / }
            cluster: down
            websocket: true
        clusters:
          down: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(closedPort);
    proxy = CustosProxy.builder(ProxyConfig.load(ProxyFixture.write(dir.resolve("custos.yaml"),
        yaml))).build().start();

    assertThatThrownBy(() -> WebSocketClient.of("ws://127.0.0.1:" + proxy.activeHttpPort())
        .connect("/ws/echo").join())
        .cause()
        .isInstanceOfSatisfying(WebSocketClientHandshakeException.class,
            h -> assertThat(h.headers().status()).isEqualTo(HttpStatus.BAD_GATEWAY));
  }

  @Test
  void aRouteWithoutTheOptionStillRefusesTheUpgrade() {
    String uri = start(
        "- { name: see, match: { direction: request }, categories: [credit_card],"
            + " action: observe }", false, "");
    int before = upstream.upgrades.get();

    assertThatThrownBy(() -> WebSocketClient.of(uri).connect("/ws/echo").join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(WebSocketClientHandshakeException.class,
            h -> assertThat(h.headers().status()).isEqualTo(HttpStatus.BAD_REQUEST));
    assertThat(upstream.upgrades.get()).isEqualTo(before);
  }

  /** What a peer received: a data frame's type and text, or a close frame's status. */
  private record Received(WebSocketFrameType type, String text, int closeCode) {}

  /** A client: writes through {@link #out}, records every frame it receives. */
  private static final class Peer implements Subscriber<WebSocketFrame> {
    final WebSocketWriter out;
    /** What the upstream received in this session. */
    final UpstreamLog upstream;
    final BlockingQueue<Received> in = new LinkedBlockingQueue<>();
    final List<String> seen = new CopyOnWriteArrayList<>();
    volatile String closeReason;

    Peer(WebSocketWriter out, UpstreamLog upstream) {
      this.out = out;
      this.upstream = upstream;
    }

    @Override
    public void onSubscribe(Subscription s) {
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(WebSocketFrame f) {
      try {
        if (f instanceof CloseWebSocketFrame c) {
          closeReason = c.reasonPhrase();
          in.add(new Received(f.type(), "", c.status().code()));
        } else {
          String text = new String(f.array(), StandardCharsets.UTF_8);
          seen.add(text);
          in.add(new Received(f.type(), text, 0));
        }
      } finally {
        f.close();
      }
    }

    @Override
    public void onError(Throwable t) {
      in.add(new Received(WebSocketFrameType.CLOSE, "error", -1));
    }

    @Override
    public void onComplete() {}

    Received next() throws InterruptedException {
      Received r = in.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(r).as("a frame within %s", WAIT).isNotNull();
      return r;
    }

    String nextText() throws InterruptedException {
      Received r = next();
      assertThat(r.type).isIn(WebSocketFrameType.TEXT, WebSocketFrameType.BINARY);
      return r.text;
    }

    int closeStatus() throws InterruptedException {
      while (true) {
        Received r = next();
        if (r.type == WebSocketFrameType.CLOSE) {
          return r.closeCode;
        }
      }
    }

    List<String> texts() {
      return seen;
    }
  }

  /** What the upstream received in one session: messages, and close codes. */
  static final class UpstreamLog {
    final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    final BlockingQueue<Integer> closes = new LinkedBlockingQueue<>();

    String nextMessage() throws InterruptedException {
      String m = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(m).as("a message at the upstream within %s", WAIT).isNotNull();
      return m;
    }

    int closeStatus() throws InterruptedException {
      Integer c = closes.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(c).as("a close frame at the upstream within %s", WAIT).isNotNull();
      return c;
    }
  }

  /**
   * An upstream WebSocket server: {@code /ws/echo} sends every message back as it received it
   * (fragments aggregated), and logs the messages and the close codes it received by the
   * session's {@code x-session} header; {@code /ws/forbidden} refuses every handshake with 403.
   */
  static final class EchoUpstream extends ServerExtension {
    private final java.util.concurrent.ConcurrentMap<String, UpstreamLog> logs =
        new java.util.concurrent.ConcurrentHashMap<>();
    final java.util.concurrent.atomic.AtomicInteger upgrades =
        new java.util.concurrent.atomic.AtomicInteger();

    UpstreamLog log(String session) {
      return logs.computeIfAbsent(session, s -> new UpstreamLog());
    }

    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.requestTimeout(Duration.ZERO);
      sb.service("/ws/echo", WebSocketService.builder((ctx, in) -> {
        upgrades.incrementAndGet();
        UpstreamLog log = log(ctx.request().headers().get("x-session", ""));
        WebSocketWriter out = WebSocket.streaming();
        in.subscribe(new Subscriber<>() {
          @Override
          public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(WebSocketFrame f) {
            try {
              switch (f.type()) {
                case TEXT -> {
                  log.received.add(f.text());
                  out.write(f.text());
                }
                case BINARY -> {
                  log.received.add(new String(f.array(), StandardCharsets.UTF_8));
                  out.write(f.array());
                }
                case PING -> out.writePong(f.array());
                case CLOSE -> {
                  log.closes.add(((CloseWebSocketFrame) f).status().code());
                  out.close(((CloseWebSocketFrame) f).status());
                }
                default -> { }
              }
            } finally {
              f.close();
            }
          }

          @Override
          public void onError(Throwable t) {
            out.close();
          }

          @Override
          public void onComplete() {
            if (out.isOpen()) {
              out.close();
            }
          }
        });
        return out;
      }).aggregateContinuation(true).allowedOrigin(o -> true).build());
      sb.service("/ws/forbidden", WebSocketService.of((ctx, in) -> WebSocket.streaming())
          .decorate((delegate, ctx, req) -> com.linecorp.armeria.common.HttpResponse.of(
              HttpStatus.FORBIDDEN)));
    }
  }
}
