package dev.custos.wasm.internal.proxywasm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Joins, caps, escapes and rate-limits what modules write to stdout and stderr. */
class StdioLinesTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final List<String> lines = new ArrayList<>();
  private final PluginLog log =
      new PluginLog(
          now::get,
          new PluginLog.Sink() {
            @Override
            public void line(int fd, String line) {
              lines.add(fd + ":" + line);
            }

            @Override
            public void dropped(long count) {
              lines.add("dropped " + count);
            }
          });

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void piecesOfOneLineAreJoinedAndSeveralLinesInOneWriteAreSplit() {
    StdioLines err = new StdioLines(log, 2);
    err.write(bytes("panic: "));
    err.write(bytes("boom"));
    assertThat(lines).isEmpty();
    err.write(bytes("\ngoroutine 1 [running]:\r\nmain.main()\n"));
    assertThat(lines)
        .containsExactly("2:panic: boom", "2:goroutine 1 [running]:", "2:main.main()");
  }

  @Test
  void aMultiByteCharacterSplitAcrossWritesIsKeptWhole() {
    StdioLines out = new StdioLines(log, 1);
    byte[] euro = bytes("price: €5\n");
    out.write(java.util.Arrays.copyOfRange(euro, 0, 8));
    out.write(java.util.Arrays.copyOfRange(euro, 8, euro.length));
    assertThat(lines).containsExactly("1:price: €5");
  }

  @Test
  void controlCharactersAndBackslashesAreEscapedSoALineCannotForgeAnother() {
    StdioLines out = new StdioLines(log, 1);
    out.write(bytes("a\u001b[31mred\\b\u0000\tc\n"));
    assertThat(lines).containsExactly("1:a\\x1b[31mred\\\\b\\x00\tc");
  }

  @Test
  void aLongLineIsCappedAndMarked() {
    StdioLines out = new StdioLines(log, 1);
    out.write(bytes("x".repeat(StdioLines.MAX_LINE + 500) + "\nnext\n"));
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).isEqualTo("1:" + "x".repeat(StdioLines.MAX_LINE) + " [truncated]");
    assertThat(lines.get(1)).isEqualTo("1:next");
  }

  @Test
  void linesOverTheRateAreDroppedAndCountedOnceTheNextSecondStarts() {
    StdioLines out = new StdioLines(log, 1);
    for (int i = 0; i < PluginLog.LINES_PER_SECOND + 25; i++) {
      out.write(bytes("line " + i + "\n"));
    }
    assertThat(lines).hasSize(PluginLog.LINES_PER_SECOND);
    now.addAndGet(1_000_000_000L);
    out.write(bytes("later\n"));
    assertThat(lines.subList(PluginLog.LINES_PER_SECOND, lines.size()))
        .containsExactly("dropped 25", "1:later");
  }

  @Test
  void stdoutAndStderrOfSeveralVmsShareThePluginsRate() {
    StdioLines a = new StdioLines(log, 1);
    StdioLines b = new StdioLines(log, 2);
    for (int i = 0; i < PluginLog.LINES_PER_SECOND; i++) {
      (i % 2 == 0 ? a : b).write(bytes("l\n"));
    }
    a.write(bytes("over\n"));
    assertThat(lines).hasSize(PluginLog.LINES_PER_SECOND).doesNotContain("1:over");
  }
}
