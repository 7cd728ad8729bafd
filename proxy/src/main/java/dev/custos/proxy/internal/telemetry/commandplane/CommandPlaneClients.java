package dev.custos.proxy.internal.telemetry.commandplane;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientFactoryBuilder;
import com.linecorp.armeria.client.ClientTlsConfig;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.tls.FileTlsProvider;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * What the proxy's two clients of the command plane (the findings sender and the policy puller)
 * share: the client factory, with {@code command.tls} (the same material as a cluster's TLS), and
 * the bearer token, when a token file is configured. Thread-safe (stateless).
 */
public final class CommandPlaneClients {
  private CommandPlaneClients() {}

  /**
   * Returns a client factory on {@code io}: with {@code command.tls}, the plane's certificate
   * must chain to its CA certificates (default: the JDK's trust store) and its client certificate
   * is presented; the files are read now.
   */
  public static ClientFactory factory(EventLoopGroup io, ProxyConfig.Command command) {
    ClientFactoryBuilder b = ClientFactory.builder().workerGroup(io, false);
    ProxyConfig.UpstreamTls tls = command.tls();
    if (tls != null) {
      FileTlsProvider material = new FileTlsProvider("command plane", tls.cert(), tls.key(),
          tls.ca());
      b.tlsProvider(material, ClientTlsConfig.builder().tlsCustomizer(ssl -> ssl.protocols(
          tls.minVersion().equals("TLSv1.3") ? new String[] {"TLSv1.3"}
              : new String[] {"TLSv1.3", "TLSv1.2"})).build());
    }
    return b.build();
  }

  /**
   * Returns the bearer token (trimmed), or null when none is configured: the proxy then
   * authenticates by its client certificate.
   *
   * @throws IOException if the token file cannot be read
   */
  public static @Nullable String token(ProxyConfig.Command command) throws IOException {
    Path file = command.tokenFile();
    return file == null ? null : Files.readString(file, StandardCharsets.UTF_8).trim();
  }
}
