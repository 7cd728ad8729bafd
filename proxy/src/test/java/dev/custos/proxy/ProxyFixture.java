package dev.custos.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Writes a configuration file, starts a proxy on it, and stops it at the end of a test. */
final class ProxyFixture implements AutoCloseable {
  final Path dir;
  final Path configFile;
  final CustosProxy proxy;

  private ProxyFixture(Path dir, Path configFile, CustosProxy proxy) {
    this.dir = dir;
    this.configFile = configFile;
    this.proxy = proxy;
  }

  /** Starts a proxy on configuration text, written to {@code custos.yaml} in a folder. */
  static ProxyFixture start(Path dir, String yaml) {
    Path file = write(dir.resolve("custos.yaml"), yaml);
    CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(file))
        .reloadInterval(Duration.ofMillis(50))
        .build()
        .start();
    return new ProxyFixture(dir, file, proxy);
  }

  static Path write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      return Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String http() {
    return "http://127.0.0.1:" + proxy.activeHttpPort();
  }

  String admin() {
    return "http://127.0.0.1:" + proxy.activeAdminPort().orElseThrow();
  }

  @Override
  public void close() {
    proxy.close();
  }
}
