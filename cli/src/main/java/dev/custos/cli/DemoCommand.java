package dev.custos.cli;

import dev.custos.cli.internal.ShutdownHook;
import dev.custos.cli.internal.demo.Demo;
import dev.custos.cli.internal.demo.DemoReport;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code custos demo}: starts a synthetic upstream and the proxy in front of it with a demo
 * policy, sends a few requests through it, prints what the policy did, and keeps running (or
 * exits with {@code --once}). The work is in {@link Demo} and {@link DemoReport}.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Runs a self-contained demo: a small REST API serving synthetic users (names, emails,",
      "card numbers, SSNs), the Custos proxy in front of it with a demo policy (redact, observe,",
      "block, a per-API-key budget), an API-key-protected, rate-limited route and a circuit",
      "breaker, a few requests through the proxy and what the proxy did to each. Then keeps",
      "running, with the URLs printed, until Ctrl-C (or exits: --once). The command plane",
      "runs too (SQLite in a temporary folder) and takes every findings event; the dashboard",
      "URL is printed with a generated admin API token.",
      "Everything listens on 127.0.0.1 only."
    },
    footer = {"", "Exit codes: 0 success, 2 a port is in use or the demo could not start",
        "            (one line on stderr)."})
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--once", description = "Exit after the requests instead of running on.")
  boolean once;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
      description = "The proxy's port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port = 8080;

  @Option(names = "--upstream-port", paramLabel = "PORT", defaultValue = "0",
      description = "The demo upstream's port (default: ${DEFAULT-VALUE}, a free one).")
  int upstreamPort;

  @Option(names = "--admin-port", paramLabel = "PORT", defaultValue = "9901",
      description = "The admin server's port, for /metrics (default: ${DEFAULT-VALUE}; 0 picks"
          + " a free one).")
  int adminPort = 9901;

  @Option(names = "--command-port", paramLabel = "PORT", defaultValue = "0",
      description = "The command plane's port, for its API and dashboard (default:"
          + " ${DEFAULT-VALUE}, a free one).")
  int commandPort;

  @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors.")
  boolean verbose;

  private final Io io;
  /** Counted down to stop the demo; a shutdown hook does it on SIGINT and SIGTERM. */
  final CountDownLatch stop = new CountDownLatch(1);

  DemoCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintStream out = io.out();
    Demo.Ports ports;
    try {
      ports = new Demo.Ports(port, upstreamPort, adminPort, commandPort);
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage(), e);
    }
    out.println("custos demo: compiling the policy (every built-in detector) …");
    out.flush();
    long started = System.nanoTime();
    // On SIGINT or SIGTERM the hook stops the demo and waits until it has closed.
    @Nullable ShutdownHook hook = once ? null : ShutdownHook.install(stop, "custos-demo-shutdown");
    try (Demo demo = Demo.start(ports)) {
      out.printf(Locale.ROOT, "custos demo: ready in %.1f s: upstream %s, proxy %s, admin %s,"
          + " command plane %s%n", (System.nanoTime() - started) / 1e9, demo.upstreamUrl(),
          demo.proxyUrl(), demo.adminUrl(), demo.plane().url());
      out.println();
      out.println("Requests through the proxy:");
      out.println();
      out.flush();
      List<Demo.Outcome> outcomes = demo.run();
      DemoReport.printOutcomes(outcomes, demo.config().policy(), out);
      out.println();
      DemoReport.printBreaker(demo, out);
      out.println();
      out.println("A fleet of services through two more routes (verified API keys name the"
          + " service):");
      out.println();
      out.flush();
      List<Demo.Outcome> fleet = demo.runFleet();
      DemoReport.printOutcomes(fleet, demo.config().policy(), out);
      out.println();
      out.println("Command plane: every findings event above went to " + demo.plane().url()
          + " (SQLite in " + demo.plane().folder() + ", deleted at exit)");
      out.println("Dashboard: " + demo.plane().dashboardUrl() + "   (admin API token: "
          + demo.plane().apiToken() + ")");
      out.println("  curl -H 'Authorization: Bearer " + demo.plane().apiToken() + "' "
          + demo.plane().url() + "/api/v1/flows");
      out.println();
      if (once) {
        // The proxy sends its events in batches: wait until the plane has stored them all.
        try {
          demo.plane().awaitStored(demo.emittedEvents(), Duration.ofSeconds(30));
        } catch (TimeoutException e) {
          throw new CliException(e.getMessage()
              + " (expected: the command plane to take the proxy's events)", e);
        }
        out.println("Command plane: " + demo.plane().summary(Demo.sharedCardHash(fleet)));
        out.println();
        out.println("custos demo: done (--once); without it the demo keeps running for curl.");
        out.flush();
        return Main.OK;
      }
      out.println("custos demo: running; Ctrl-C stops it.");
      DemoReport.printTryIt(demo, out);
      out.flush();
      stop.await();
    } catch (IllegalStateException e) {
      throw new CliException(e.getMessage(), e);
    } finally {
      if (hook != null) {
        hook.close();
      }
    }
    out.println("custos demo: stopped");
    out.flush();
    return Main.OK;
  }
}
