package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A proxy process runs without Netty's leak sampling unless a system property asks for it. */
class LeakDetectionDefaultTest {
  static final String PROPERTY = "io.netty.leakDetection.level";
  ResourceLeakDetector.Level before;
  String property;

  @BeforeEach
  void save() {
    before = ResourceLeakDetector.getLevel();
    property = System.getProperty(PROPERTY);
  }

  @AfterEach
  void restore() {
    ResourceLeakDetector.setLevel(before);
    if (property == null) {
      System.clearProperty(PROPERTY);
    } else {
      System.setProperty(PROPERTY, property);
    }
  }

  @Test
  void leakDetectionIsOffWhenNoPropertyChoseALevel() {
    System.clearProperty(PROPERTY);
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);

    CustosProxy.disableLeakDetectionUnlessConfigured();

    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
  }

  @Test
  void aLevelChosenByThePropertyIsKept() {
    System.setProperty(PROPERTY, "paranoid");
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);

    CustosProxy.disableLeakDetectionUnlessConfigured();

    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
  }
}
