package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.TlsKeyPair;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import dev.custos.proxy.internal.BossGroups;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 item 3 (NIST SP 800-204A, MS-SS-4): TLS and mTLS towards upstreams with verification
 * on by default, the listener's minimum TLS version, and listener certificates reloaded from
 * disk without a restart, through the real proxy with real clients.
 */
class SecureCommunicationTest {
  static final TestPki.Issued upstreamCa = TestPki.ca("upstream-ca");
  static final TestPki.Issued otherCa = TestPki.ca("other-ca");
  static final TestPki.Issued upstreamCert = TestPki.server(upstreamCa);
  static final TestPki.Issued proxyClient = TestPki.client(upstreamCa, "spiffe://test/proxy");

  /** An HTTPS upstream that reports its protocol. */
  @RegisterExtension
  static final ServerExtension tlsUpstream = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.https(0).tls(TlsKeyPair.of(upstreamCert.key(), upstreamCert.cert()));
      sb.serviceUnder("/", (ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT,
          "tls upstream " + ctx.sessionProtocol().uriText()));
    }
  };

  /** An HTTPS upstream that requires a client certificate and reports its URI SAN. */
  @RegisterExtension
  static final ServerExtension mtlsUpstream = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.bossGroupFactory(BossGroups::newBossGroup);
      sb.https(0).tls(TlsKeyPair.of(upstreamCert.key(), upstreamCert.cert()))
          .tlsCustomizer(ssl -> ssl.clientAuth(io.netty.handler.ssl.ClientAuth.REQUIRE)
              .trustManager(upstreamCa.cert()));
      sb.serviceUnder("/", (ctx, req) -> {
        X509Certificate peer = (X509Certificate) ctx.sslSession().getPeerCertificates()[0];
        return HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT,
            "client " + peer.getSubjectAlternativeNames().iterator().next().get(1));
      });
    }
  };

  @TempDir
  static Path sharedDir;

  @TempDir
  Path dir;

  static ProxyFixture shared;

  @BeforeAll
  static void start() {
    upstreamCa.writeCert(sharedDir.resolve("upstream-ca.pem"));
    otherCa.writeCert(sharedDir.resolve("other-ca.pem"));
    proxyClient.writeCert(sharedDir.resolve("client.pem"));
    proxyClient.writeKey(sharedDir.resolve("client.key"));
    TestPki.Issued listener = TestPki.server(otherCa);
    listener.writeCert(sharedDir.resolve("listener.pem"));
    listener.writeKey(sharedDir.resolve("listener.key"));
    shared = ProxyFixture.start(sharedDir, """
        listen: 127.0.0.1:0
        tls:
          listen: 127.0.0.1:0
          cert: listener.pem
          key: listener.key
        routes:
          - { match: { prefix: /verified/ }, cluster: verified }
          - { match: { prefix: /untrusted/ }, cluster: untrusted }
          - { match: { prefix: /wrong-name/ }, cluster: wrong_name }
          - { match: { prefix: /mtls/ }, cluster: mtls }
          - { match: { prefix: /no-client-cert/ }, cluster: no_client_cert }
        clusters:
          verified:
            endpoints: ["127.0.0.1:%1$d"]
            tls: { ca: upstream-ca.pem }
          untrusted:
            endpoints: ["127.0.0.1:%1$d"]
            tls: { ca: other-ca.pem }
          wrong_name:
            endpoints: ["127.0.0.1:%1$d"]
            tls: { ca: upstream-ca.pem, server_name: elsewhere.test }
          mtls:
            endpoints: ["127.0.0.1:%2$d"]
            tls: { ca: upstream-ca.pem, cert: client.pem, key: client.key }
          no_client_cert:
            endpoints: ["127.0.0.1:%2$d"]
            tls: { ca: upstream-ca.pem }
        """.formatted(tlsUpstream.httpsPort(), mtlsUpstream.httpsPort()));
  }

  @AfterAll
  static void stop() {
    shared.close();
  }

  @Test
  void anUpstreamWhoseCertificateChainsToTheConfiguredCaIsReachedOverTls() {
    for (Clients client : Clients.all()) {
      Clients.Response r = client.get(shared.http(), "/verified/x");
      assertThat(r.status()).as(client.name()).isEqualTo(200);
      assertThat(r.body()).startsWith("tls upstream h");
    }
  }

  @Test
  void anUpstreamCertificateFromAnotherCaIsRefusedWith502() {
    Clients.Response r = Clients.JDK_HTTP_1_1.get(shared.http(), "/untrusted/x");
    assertThat(r.status()).isEqualTo(502);
    assertThat(r.body()).doesNotContain("tls upstream");
  }

  @Test
  void anUpstreamCertificateForAnotherNameIsRefusedWith502() {
    assertThat(Clients.JDK_HTTP_1_1.get(shared.http(), "/wrong-name/x").status())
        .isEqualTo(502);
  }

  @Test
  void theProxyPresentsItsClientCertificateToAnUpstreamThatRequiresOne() {
    Clients.Response r = Clients.JDK_HTTP_1_1.get(shared.http(), "/mtls/x");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("client spiffe://test/proxy");
    assertThat(Clients.JDK_HTTP_1_1.get(shared.http(), "/no-client-cert/x").status())
        .isEqualTo(502);
  }

  @Test
  void theListenerRefusesTls11AndAcceptsTls12() throws Exception {
    assumeTrue(OpenSsl.isAvailable(), "OpenSSL (BoringSSL) is needed for a TLS 1.1 client");
    int port = shared.proxy.activeHttpsPort().orElseThrow();
    assertThat(handshake(port, "TLSv1.2")).isEqualTo("TLSv1.2");
    String refused = handshake(port, "TLSv1.1");
    // The server answered with an alert: the client could offer TLS 1.1.
    assertThat(refused).startsWith("failed").containsIgnoringCase("alert");
  }

  @Test
  void aListenerCertificateReplacedOnDiskIsServedToNewConnectionsWhileOpenOnesKeepWorking()
      throws Exception {
    TestPki.Issued first = TestPki.server(otherCa);
    first.writeCert(dir.resolve("listener.pem"));
    first.writeKey(dir.resolve("listener.key"));
    try (ProxyFixture p = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        tls:
          listen: 127.0.0.1:0
          cert: listener.pem
          key: listener.key
          min_version: TLSv1.2
          ciphers: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
        routes:
          - { match: { prefix: / }, cluster: verified }
        clusters:
          verified:
            endpoints: ["127.0.0.1:%d"]
            tls: { ca: upstream-ca.pem }
        """.formatted(tlsUpstream.httpsPort()).replace("upstream-ca.pem",
        sharedDir.resolve("upstream-ca.pem").toString()))) {
      int port = p.proxy.activeHttpsPort().orElseThrow();
      try (SSLSocket open = connect(port)) {
        assertThat(serial(open)).isEqualTo(first.cert().getSerialNumber());
        assertThat(get(open)).isEqualTo("HTTP/1.1 200 OK");

        TestPki.Issued second = TestPki.server(otherCa);
        second.writeKey(dir.resolve("listener.key"));
        second.writeCert(dir.resolve("listener.pem"));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
          try (SSLSocket fresh = connect(port)) {
            return serial(fresh).equals(second.cert().getSerialNumber());
          }
        });
        assertThat(get(open)).isEqualTo("HTTP/1.1 200 OK");
        assertThat(serial(open)).isEqualTo(first.cert().getSerialNumber());
      }
    }
  }

  @Test
  void anUpstreamCaFileReplacedOnDiskIsUsedWithoutARestart() {
    otherCa.writeCert(dir.resolve("ca.pem"));
    try (ProxyFixture p = ProxyFixture.start(dir, """
        listen: 127.0.0.1:0
        routes:
          - { match: { prefix: / }, cluster: c }
        clusters:
          c:
            endpoints: ["127.0.0.1:%d"]
            tls: { ca: ca.pem }
        """.formatted(tlsUpstream.httpsPort()))) {
      assertThat(Clients.JDK_HTTP_1_1.get(p.http(), "/x").status()).isEqualTo(502);
      upstreamCa.writeCert(dir.resolve("ca.pem"));
      await().atMost(Duration.ofSeconds(10))
          .until(() -> Clients.JDK_HTTP_1_1.get(p.http(), "/x").status() == 200);
    }
  }

  @Test
  void cipherSuitesWithoutTheOneHttp2RequiresAreAConfigError() {
    String yaml = """
        listen: 127.0.0.1:0
        tls:
          listen: 127.0.0.1:0
          cert: listener.pem
          key: listener.key
          ciphers: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
        routes:
          - { match: { prefix: / }, cluster: verified }
        clusters:
          verified: { endpoints: ["127.0.0.1:1"] }
        """;
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ProxyConfig.parse(yaml, "custos.yaml", sharedDir))
        .hasMessageContaining("custos.yaml:6:")
        .hasMessageContaining("without TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  }

  @Test
  void aClientCertificateWithoutItsKeyIsAConfigError() {
    String yaml = """
        listen: 127.0.0.1:0
        routes:
          - { match: { prefix: / }, cluster: c }
        clusters:
          c:
            endpoints: ["127.0.0.1:1"]
            tls: { cert: client.pem }
        """;
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ProxyConfig.parse(yaml, "custos.yaml", sharedDir))
        .hasMessageContaining("custos.yaml:7:")
        .hasMessageContaining("key");
  }

  /** Returns the negotiated protocol, or "failed: " and the cause. */
  private static String handshake(int port, String protocol) throws Exception {
    SslContext ctx = SslContextBuilder.forClient()
        .sslProvider(SslProvider.OPENSSL)
        .protocols(protocol)
        .trustManager(InsecureTrustManagerFactory.INSTANCE)
        .build();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
              c.pipeline().addLast(ctx.newHandler(c.alloc(), "127.0.0.1", port));
            }
          })
          .connect("127.0.0.1", port).sync().channel();
      SslHandler ssl = ch.pipeline().get(SslHandler.class);
      io.netty.util.concurrent.Future<Channel> done = ssl.handshakeFuture();
      done.await(10, TimeUnit.SECONDS);
      ch.close().sync();
      return done.isSuccess() ? ssl.engine().getSession().getProtocol()
          : "failed: " + done.cause();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  private static SSLSocket connect(int port) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
    s.setSoTimeout(10_000);
    s.startHandshake();
    return s;
  }

  private static BigInteger serial(SSLSocket s) throws Exception {
    return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
  }

  /** Sends a keep-alive GET on the connection; returns the status line and reads the body. */
  private static String get(SSLSocket s) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write("GET /x HTTP/1.1\r\nhost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
        StandardCharsets.ISO_8859_1));
    String status = in.readLine();
    int length = 0;
    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).strip());
      }
    }
    char[] body = new char[length];
    int read = 0;
    while (read < length) {
      read += in.read(body, read, length - read);
    }
    return status;
  }
}
