package dev.custos.proxy.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Coverage-guided fuzzing of the last-good policy cache's reader: whatever bytes the file holds
 * (a torn disk, a stray edit), reading it never throws; it yields nothing, or a validated policy
 * that writes and reads back the same. Without {@code JAZZER_FUZZ} set, only the seeds in
 * {@code PolicyCacheFuzzTestInputs/} run.
 */
class PolicyCacheFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void cacheFile(byte[] input) throws IOException {
    Path dir = Files.createTempDirectory("policy-cache-fuzz");
    try {
      Path file = dir.resolve("policy-cache.yaml");
      Files.write(file, input);
      PulledPolicy p = PolicyCache.read(file);
      if (p != null) {
        Path again = dir.resolve("again.yaml");
        PolicyCache.write(again, p);
        PulledPolicy back = PolicyCache.read(again);
        assertThat(back).isNotNull();
        assertThat(back.runningVersion()).isEqualTo(p.runningVersion());
        assertThat(back.etag()).isEqualTo(p.etag());
        assertThat(back.body()).isEqualTo(p.body());
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }
}
