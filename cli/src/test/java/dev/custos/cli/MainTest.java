package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line built for one command holds that command alone, and help still lists all. */
class MainTest {
  private static final Io IO = new Io(InputStream.nullInputStream(),
      new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
      new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

  @Test
  void commandNamesAreExactlyTheSubcommandsOfTheFullCommandLine() {
    java.util.Set<String> expected = new java.util.HashSet<>(Main.COMMANDS);
    expected.add("completion");
    assertThat(Main.commandLine(IO).getSubcommands().keySet())
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void completionPrintsABashScriptForEveryCommandAndOption() {
    Cli.Result result = Cli.run("completion");
    assertThat(result.code()).isZero();
    assertThat(result.out()).contains("complete -F _complete_custos")
        .contains("proxy").contains("scan").contains("--config").contains("--check");
    assertThat(result.err()).isEmpty();
  }

  @Test
  void commandLineForOneCommandHoldsOnlyThatCommand() {
    for (String name : Main.COMMANDS) {
      CommandLine cmd = Main.commandLine(IO, name);
      assertThat(cmd.getSubcommands().keySet()).as(name).containsExactly(name);
      assertThat(cmd.getSubcommands().get(name).getCommandSpec().qualifiedName())
          .isEqualTo("custos " + name);
    }
  }

  @Test
  void helpOfTheTopCommandStillListsEveryCommand() {
    Cli.Result result = Cli.run("--help");
    assertThat(result.code()).isZero();
    for (String name : Main.COMMANDS) {
      assertThat(result.out()).contains(name);
    }
  }

  @Test
  void helpOfOneCommandIsItsOwn() {
    Cli.Result result = Cli.run("scan", "--help");
    assertThat(result.code()).isZero();
    assertThat(result.out()).contains("Usage: custos scan").contains("--engine");
  }
}
