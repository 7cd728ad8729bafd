package dev.custos.cli;

import dev.custos.proxy.CustosProxy;
import dev.custos.proxy.ProxyConfig;
import dev.custos.cli.internal.BindFailure;
import dev.custos.cli.internal.ShutdownHook;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code custos proxy --config custos.yaml}: runs the proxy until SIGINT or SIGTERM, reloading
 * the configuration and policy files when they change.
 */
@Command(
    name = "proxy",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Runs the Custos proxy: forwards requests to upstream clusters per custos.yaml,",
      "reloading it (and its policy file) when they change. Stops on SIGINT or SIGTERM:",
      "/readyz answers 503 at once, the listeners serve for drain_timeout (default 5s),",
      "then exchanges in flight get up to shutdown_timeout (default 20s) to finish."
    },
    footer = {"", "Exit codes: 0 stopped cleanly, 2 invalid configuration or a listener could",
        "            not bind (one line on stderr, with file:line:column); after the graceful",
        "            shutdown a SIGTERM ends the JVM with 143 and a SIGINT with 130 (128 + signal)."})
final class ProxyCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
      description = "The configuration file (custos.yaml).")
  Path config;

  @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors.")
  boolean verbose;

  @Option(names = "--check", description = {"Validate the configuration (and the policy and"
      + " files it names) and exit without starting: 0 and one line when it is valid, 2 and the",
      "first error with file:line:column when it is not."})
  boolean check;

  private final Io io;
  /** Counted down to stop the proxy; a shutdown hook does it on SIGINT and SIGTERM. */
  final CountDownLatch stop = new CountDownLatch(1);

  ProxyCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws InterruptedException {
    if (!check) {
      preloadClientFactory();
    }
    ProxyConfig cfg = ProxyConfig.load(config);
    if (check) {
      io.out().println("custos proxy: " + config + ": valid (" + cfg.routes().size() + " routes, "
          + cfg.clusters().size() + " clusters, " + cfg.tcpListeners().size()
          + " tcp listeners)");
      io.out().flush();
      return Main.OK;
    }
    CustosProxy proxy = CustosProxy.builder(cfg).build();
    try {
      proxy.start();
    } catch (RuntimeException e) {
      Throwable bind = BindFailure.find(e);
      if (bind != null) {
        proxy.close();
        throw new CliException(config + ": cannot listen" + BindFailure.which(addresses(cfg))
            + ": " + bind.getMessage()
            + " (expected: free addresses for listen, tls.listen, admin and tcp_listeners)", e);
      }
      throw e;
    }
    ShutdownHook hook = ShutdownHook.install(stop, "custos-proxy-shutdown");
    io.out().println("custos proxy: listening on http://" + host(cfg.listen()) + ":"
        + proxy.activeHttpPort() + " (HTTP/1.1, h2c)");
    cfg.tls().ifPresent(t -> io.out().println("custos proxy: listening on https://"
        + host(t.listen()) + ":" + proxy.activeHttpsPort().orElseThrow() + " (HTTP/1.1, h2)"));
    for (ProxyConfig.TcpListener t : cfg.tcpListeners()) {
      io.out().println("custos proxy: tcp listener " + t.name() + " on " + (t.tls() != null
          ? "tls://" : "tcp://") + host(t.listen()) + ":" + proxy.activeTcpPort(t.name())
          .orElseThrow() + " (" + t.framing().id() + ", to cluster " + t.cluster() + ")");
    }
    cfg.admin().ifPresent(a -> io.out().println("custos proxy: admin on http://" + host(a) + ":"
        + proxy.activeAdminPort().orElseThrow() + " (/healthz, /readyz, /config, /metrics)"));
    io.out().flush();
    try {
      stop.await();
      // SIGTERM: /readyz 503 at once, serve through drain_timeout, then let exchanges finish.
      proxy.shutdown();
    } finally {
      proxy.stop();
      io.out().println("custos proxy: stopped");
      io.out().flush();
      hook.close();
    }
    return Main.OK;
  }

  /**
   * Creates Armeria's default client factory on a second thread while this one reads the
   * configuration and compiles the policy: building the proxy's first client factory creates it
   * anyway, and its TLS set-up (BouncyCastle's elliptic-curve tables) was a third of a second of
   * the proxy's start on the critical path.
   */
  private static void preloadClientFactory() {
    Thread preload = new Thread(() -> {
      try {
        com.linecorp.armeria.client.ClientFactory.ofDefault();
      } catch (RuntimeException | LinkageError e) {
        // Reported, if it is not transient, where the proxy builds its own client factories.
      }
    }, "custos-preload-client");
    preload.setDaemon(true);
    preload.start();
  }

  /** Returns the addresses the proxy binds, each with the key that sets it, in config order. */
  private static java.util.Map<String, ProxyConfig.Address> addresses(ProxyConfig cfg) {
    java.util.Map<String, ProxyConfig.Address> out = new java.util.LinkedHashMap<>();
    out.put("listen", cfg.listen());
    cfg.tls().ifPresent(t -> out.put("tls.listen", t.listen()));
    cfg.admin().ifPresent(a -> out.put("admin", a));
    for (ProxyConfig.TcpListener t : cfg.tcpListeners()) {
      out.put("tcp_listeners." + t.name(), t.listen());
    }
    return out;
  }

  private static String host(ProxyConfig.Address a) {
    return a.host().indexOf(':') >= 0 ? "[" + a.host() + "]" : a.host();
  }
}
