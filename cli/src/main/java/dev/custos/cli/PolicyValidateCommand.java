package dev.custos.cli;

import dev.custos.engine.Policy;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code custos policy validate FILE}: parses and validates a policy file. */
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
    int n = policy.detectors().size();
    io.out().println(file + ": ok (" + n + (n == 1 ? " detector)" : " detectors)"));
    return Main.OK;
  }
}
