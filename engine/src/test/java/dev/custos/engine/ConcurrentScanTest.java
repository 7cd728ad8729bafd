package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One scanner shared by several threads gives each stream the findings it gets alone. Varied
 * input makes the pure-Java backend build, publish and replace cached DFA states while other
 * threads read them.
 */
class ConcurrentScanTest {

  private static byte[] variedInput(long seed) {
    Random random = new Random(seed);
    StringBuilder sb = new StringBuilder();
    while (sb.length() < 300_000) {
      switch (random.nextInt(6)) {
        case 0:
          sb.append(Samples.FRAGMENTS.get(random.nextInt(Samples.FRAGMENTS.size())));
          break;
        case 1:
          sb.append(random.nextInt(1 << 30)).append(random.nextBoolean() ? '-' : ' ');
          break;
        case 2:
          for (int i = random.nextInt(40); i > 0; i--) {
            sb.append("0123456789abcdefABCDEF+/=_-.@:".charAt(random.nextInt(30)));
          }
          break;
        case 3:
          sb.append(Long.toHexString(random.nextLong())).append(' ');
          break;
        default:
          sb.append(" word").append(random.nextInt(100)).append(random.nextBoolean() ? ", " : "\n");
      }
    }
    return Samples.utf8(sb.toString());
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void sharedScannerGivesEveryThreadItsOwnFindings() throws Exception {
    Scanner scanner = Samples.JAVA;
    List<byte[]> inputs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      inputs.add(variedInput(i));
    }
    List<List<Finding>> alone = new ArrayList<>();
    for (byte[] input : inputs) {
      alone.add(scanner.scan(input, ContentType.TEXT).findings());
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (int round = 0; round < 3; round++) {
        List<Future<List<Finding>>> futures = new ArrayList<>();
        for (byte[] input : inputs) {
          futures.add(
              pool.submit(
                  () -> Samples.scanChunked(scanner, input, ContentType.TEXT, List.of(4096, 777)).findings()));
        }
        for (int i = 0; i < inputs.size(); i++) {
          assertThat(futures.get(i).get()).as("input %d, round %d", i, round).isEqualTo(alone.get(i));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(alone).allSatisfy(findings -> assertThat(findings).isNotEmpty());
  }
}
