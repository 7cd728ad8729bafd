package dev.custos.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The top-level {@code custos} command; it only dispatches to subcommands. */
@Command(
    name = "custos",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    synopsisSubcommandLabel = "COMMAND",
    description = "Finds and redacts sensitive data in files and streams.",
    footer = {
      "",
      "Exit codes: 0 nothing found, 1 sensitive data found (or a policy test failed),",
      "            2 usage or configuration error."
    })
final class CustosCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command");
  }
}
