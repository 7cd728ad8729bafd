package dev.custos.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain-Java plugin detector for tests: finds {@code PRJ-} followed by six digits, not inside a
 * longer word or number as far as the window shows. Counts its calls; thread-safe.
 */
final class ProjectCodePlugin implements PluginDetector {
  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger reported = new AtomicInteger();
  final AtomicInteger largestWindow = new AtomicInteger();
  final AtomicInteger closed = new AtomicInteger();
  private final int score;
  private final boolean boundaries;

  ProjectCodePlugin() {
    this(PluginMatch.UNSPECIFIED);
  }

  ProjectCodePlugin(int score) {
    this(score, true);
  }

  /** With {@code boundaries} false, finds every {@code PRJ-} and six digits, wherever it is. */
  ProjectCodePlugin(int score, boolean boundaries) {
    this.score = score;
    this.boundaries = boundaries;
  }

  @Override
  public List<PluginMatch> detect(byte[] bytes, int offset, int length) {
    calls.incrementAndGet();
    largestWindow.accumulateAndGet(length, Math::max);
    List<PluginMatch> out = new ArrayList<>();
    for (int i = 0; i + 10 <= length; i++) {
      int p = offset + i;
      if (bytes[p] == 'P' && bytes[p + 1] == 'R' && bytes[p + 2] == 'J' && bytes[p + 3] == '-'
          && digits(bytes, p + 4, 6)
          && (!boundaries || i == 0 || !isWord(bytes[p - 1]))
          && (!boundaries || i + 10 == length || !isWord(bytes[p + 10]))) {
        out.add(PluginMatch.of(i, i + 10, score));
      }
    }
    reported.addAndGet(out.size());
    return out;
  }

  @Override
  public void close() {
    closed.incrementAndGet();
  }

  private static boolean digits(byte[] b, int from, int n) {
    for (int i = from; i < from + n; i++) {
      if (b[i] < '0' || b[i] > '9') {
        return false;
      }
    }
    return true;
  }

  private static boolean isWord(byte b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_';
  }
}
