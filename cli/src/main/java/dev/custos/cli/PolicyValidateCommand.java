package dev.custos.cli;

import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.Policy;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code custos policy validate FILE}: parses and validates a policy file. Plugin (wasm) detectors
 * are listed, not loaded: validating needs no plugin runtime.
 */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Parses and validates a policy file against the policy schema.",
    footer = {"", "Exit codes: 0 valid, 2 invalid (the first problem is printed with its", "            file:line:column)."})
final class PolicyValidateCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "The policy file.")
  Path file;

  @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors.")
  boolean verbose;

  private final Io io;

  PolicyValidateCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() {
    Policy policy = Policy.parse(file);
    List<PluginDetectorDefinition> plugins = policy.pluginDetectors();
    io.out().println(file + ": ok (" + count(policy.detectors().size(), "detector") + ", "
        + (plugins.isEmpty() ? "" : count(plugins.size(), "plugin detector") + ", ")
        + count(policy.rules().size(), "rule") + ", "
        + (policy.enforce() ? "enforcing" : "shadow mode") + ")");
    for (PluginDetectorDefinition d : plugins) {
      io.out().println("  plugin detector " + d.id() + " (" + d.category() + "): wasm "
          + d.location() + ", "
          + (d.sha256() == null ? "no sha256 (recommended)" : "sha256 " + d.sha256()) + ", timeout "
          + d.timeoutMillis() + " ms, on_error " + d.onError().id());
    }
    return Main.OK;
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
