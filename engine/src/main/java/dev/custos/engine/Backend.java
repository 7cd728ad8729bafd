package dev.custos.engine;

import java.util.Locale;

/** Which multi-pattern matcher a {@link Scanner} runs. Both give identical findings. */
public enum Backend {
  /** Hyperscan where its native library loads on this machine, the pure-Java backend otherwise. */
  AUTO,
  /** The pure-Java backend: a lazily built combined DFA over bytes (linear time). */
  JAVA,
  /** Intel Hyperscan through JNI, in streaming mode. */
  HYPERSCAN;

  /** Returns the lower-case id ({@code auto}, {@code java}, {@code hyperscan}). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Returns the backend with the given id.
   *
   * @throws IllegalArgumentException for an unknown id
   */
  public static Backend ofId(String id) {
    for (Backend b : values()) {
      if (b.id().equals(id)) {
        return b;
      }
    }
    throw new IllegalArgumentException("engine: " + id + " (expected: auto, java or hyperscan)");
  }
}
