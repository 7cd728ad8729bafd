package dev.custos.cli;

import dev.custos.cli.internal.ShutdownHook;
import dev.custos.command.CommandConfig;
import dev.custos.command.CommandPlane;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code custos command --config command.yaml}: runs the command plane until SIGINT or SIGTERM.
 */
@Command(
    name = "command",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Runs the Custos command plane: takes findings batches from proxies",
      "(POST /api/v1/ingest/events), stores them with the flow model and value lineage",
      "(SQLite beside the configuration by default, or PostgreSQL), and serves the read API,",
      "/healthz, /readyz and /metrics. Stops on SIGINT or SIGTERM after storing queued batches."
    },
    footer = {"", "Exit codes: 0 stopped cleanly, 2 invalid configuration, a database that cannot",
        "            be opened or migrated, or a listener that cannot bind (one line on stderr)."})
final class CommandPlaneCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
      description = "The configuration file (command.yaml).")
  Path config;

  @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors.")
  boolean verbose;

  private final Io io;
  /** Counted down to stop the plane; a shutdown hook does it on SIGINT and SIGTERM. */
  final CountDownLatch stop = new CountDownLatch(1);

  CommandPlaneCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws InterruptedException {
    CommandConfig cfg = CommandConfig.load(config);
    CommandPlane plane = CommandPlane.builder(cfg).build();
    try {
      plane.start();
    } catch (IllegalStateException e) {
      throw new CliException(config + ": " + e.getMessage(), e);
    }
    ShutdownHook hook = ShutdownHook.install(stop, "custos-command-shutdown");
    String host = cfg.host().indexOf(':') >= 0 ? "[" + cfg.host() + "]" : cfg.host();
    io.out().println("custos command: listening on http://" + host + ":" + plane.activePort()
        + " (HTTP/1.1, h2c; POST /api/v1/ingest/events, /healthz, /readyz, /metrics)");
    String browse = cfg.host().equals("0.0.0.0") || cfg.host().equals("::") ? "localhost" : host;
    io.out().println("custos command: dashboard http://" + browse + ":" + plane.activePort()
        + "/ (sign in with a token of api_tokens)");
    io.out().println("custos command: database " + (cfg.database().postgresql()
        ? "PostgreSQL" : "SQLite " + cfg.database().url().substring("jdbc:sqlite:".length())));
    io.out().flush();
    try {
      stop.await();
    } finally {
      plane.stop();
      io.out().println("custos command: stopped");
      io.out().flush();
      hook.close();
    }
    return Main.OK;
  }
}
