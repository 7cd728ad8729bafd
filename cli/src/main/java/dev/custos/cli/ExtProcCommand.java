package dev.custos.cli;

import dev.custos.cli.internal.BindFailure;
import dev.custos.cli.internal.ShutdownHook;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.extproc.ExtProcServer;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code custos ext-proc --config custos.yaml}: serves Envoy's External Processing API with the
 * configuration's policy until SIGINT or SIGTERM, reloading it when it changes.
 */
@Command(
    name = "ext-proc",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Runs Custos beside Envoy or Istio: a gRPC server of Envoy's External Processing API",
      "(envoy.service.ext_proc.v3.ExternalProcessor) that inspects what Envoy proxies with the",
      "routes and policy of custos.yaml (the same file as custos proxy; clusters and listeners",
      "are not used), answering with header and body mutations (redaction) and immediate",
      "responses (block). See docs/ext-proc.md for the Envoy and Istio configuration."
    },
    footer = {"", "Exit codes: 0 stopped cleanly, 2 invalid configuration or the address could",
        "            not be bound (one line on stderr)."})
final class ExtProcCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
      description = "The configuration file (custos.yaml).")
  Path config;

  @Option(names = {"-l", "--listen"}, paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9002",
      description = "Where the gRPC server listens (default: ${DEFAULT-VALUE}; 0.0.0.0:9002 to"
          + " serve Envoys in other pods).")
  String listen;

  @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors.")
  boolean verbose;

  @Spec CommandSpec spec;

  private final Io io;
  /** Counted down to stop the server; a shutdown hook does it on SIGINT and SIGTERM. */
  final CountDownLatch stop = new CountDownLatch(1);

  ExtProcCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws InterruptedException {
    InetSocketAddress address = address(listen);
    ProxyConfig cfg = ProxyConfig.load(config);
    ExtProcServer server = ExtProcServer.builder(cfg).listen(address).build();
    try {
      server.start();
    } catch (RuntimeException e) {
      server.close();
      if (BindFailure.find(e) != null) {
        throw new CliException("--listen " + listen + ": cannot listen: "
            + BindFailure.find(e).getMessage() + " (expected: a free address)", e);
      }
      throw e;
    }
    ShutdownHook hook = ShutdownHook.install(stop, "custos-ext-proc-shutdown");
    String host = address.getHostString();
    io.out().println("custos ext-proc: listening on grpc://"
        + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + server.port()
        + " (envoy.service.ext_proc.v3.ExternalProcessor, " + cfg.routes().size() + " routes)");
    io.out().flush();
    try {
      stop.await();
    } finally {
      server.close();
      io.out().println("custos ext-proc: stopped");
      io.out().flush();
      hook.close();
    }
    return Main.OK;
  }

  private InetSocketAddress address(String text) {
    int colon = text.lastIndexOf(':');
    String host = colon > 0 ? text.substring(0, colon) : "";
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = -1;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      port = -1;
    }
    if (host.isEmpty() || port < 0 || port > 65535
        || NetUtil.createByteArrayFromIpAddressString(host) == null) {
      throw new ParameterException(spec.commandLine(), "--listen: " + text
          + " (expected: IP:PORT, such as 127.0.0.1:9002 or [::]:9002)");
    }
    return new InetSocketAddress(host, port);
  }
}
