package dev.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's class-data training run goes through every step (scans, detectors, a proxy from a
 * configuration file until /readyz, the demo) without error, so its archive holds their classes.
 */
class ClassDataTrainingTest {
  @Test
  void everyStepRunsToItsEnd(@TempDir Path dir) throws Exception {
    assertThat(ClassDataTraining.run(dir)).isEmpty();
  }
}
