package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A proxy process runs without Netty's leak sampling unless a system property asks for it. */
class LeakDetectionDefaultTest {
  static final String PROPERTY = "io.netty.leakDetection.level";
  /** The older spelling, which Netty still reads. */
  static final String OLD_PROPERTY = "io.netty.leakDetectionLevel";
  ResourceLeakDetector.Level before;
  String property;
  String oldProperty;

  @BeforeEach
  void save() {
    before = ResourceLeakDetector.getLevel();
    property = System.getProperty(PROPERTY);
    oldProperty = System.getProperty(OLD_PROPERTY);
  }

  @AfterEach
  void restore() {
    ResourceLeakDetector.setLevel(before);
    restore(PROPERTY, property);
    restore(OLD_PROPERTY, oldProperty);
  }

  private static void restore(String name, String value) {
    if (value == null) {
      System.clearProperty(name);
    } else {
      System.setProperty(name, value);
    }
  }

  @Test
  void leakDetectionIsOffWhenNoPropertyChoseALevel() {
    System.clearProperty(PROPERTY);
    System.clearProperty(OLD_PROPERTY);
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
