package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {

  @Test
  void terminalDevicesAreRecognizedAndPipesAndFilesAreNot() {
    assertThat(Progress.isTerminalDevice("/dev/pts/3")).isTrue();
    assertThat(Progress.isTerminalDevice("/dev/tty1")).isTrue();
    assertThat(Progress.isTerminalDevice("pipe:[123456]")).isFalse();
    assertThat(Progress.isTerminalDevice("/tmp/custos.log")).isFalse();
    assertThat(Progress.isTerminalDevice("/dev/null")).isFalse();
  }

  @Test
  void aStreamOtherThanStandardErrorIsNeverATerminal() {
    PrintStream captured = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertThat(Progress.isTerminal(captured)).isFalse();
  }
}
