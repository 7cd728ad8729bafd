package dev.custos.bench;

import dev.custos.engine.PluginDetector;
import dev.custos.engine.PluginMatch;
import java.util.ArrayList;
import java.util.List;

/**
 * The logic of {@code examples/wasm/project-code.wat} as a Java {@link PluginDetector}: {@code
 * PRJ-} and six digits on word boundaries. The baseline of {@link WasmDetectorBenchmark}.
 * Stateless and thread-safe.
 */
final class JavaProjectCodeDetector implements PluginDetector {
  @Override
  public List<PluginMatch> detect(byte[] b, int offset, int length) {
    List<PluginMatch> out = new ArrayList<>();
    for (int i = 0; i + 10 <= length; i++) {
      int p = offset + i;
      if (b[p] == 'P' && b[p + 1] == 'R' && b[p + 2] == 'J' && b[p + 3] == '-'
          && (i == 0 || !word(b[p - 1])) && (i + 10 == length || !word(b[p + 10]))
          && digits(b, p + 4)) {
        out.add(PluginMatch.of(i, i + 10));
        i += 9;
      }
    }
    return out;
  }

  private static boolean digits(byte[] b, int from) {
    for (int i = from; i < from + 6; i++) {
      if (b[i] < '0' || b[i] > '9') {
        return false;
      }
    }
    return true;
  }

  private static boolean word(byte c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
}
