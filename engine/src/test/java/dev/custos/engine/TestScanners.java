package dev.custos.engine;

import dev.custos.engine.internal.match.HyperscanMatcher;
import org.jspecify.annotations.Nullable;

/**
 * The default-policy scanners that test classes share. The built-in catalog is compiled once per
 * test JVM, not once per class, and the heap holds one copy of it rather than one per class that
 * kept its scanner in a static field. Never close these scanners.
 */
public final class TestScanners {
  /** The evidence key of the shared scanners: 32 zero bytes. */
  public static final EvidenceKey KEY = EvidenceKey.of(new byte[32]);

  private TestScanners() {}

  private static final class Java {
    static final Scanner INSTANCE = build(Backend.JAVA);
  }

  private static final class Hyperscan {
    static final @Nullable Scanner INSTANCE =
        HyperscanMatcher.isAvailable() ? build(Backend.HYPERSCAN) : null;
  }

  /** Returns the shared default-policy scanner on the pure-Java backend. */
  public static Scanner java() {
    return Java.INSTANCE;
  }

  /** Returns the shared default-policy scanner on Hyperscan, or null where it does not load. */
  public static @Nullable Scanner hyperscan() {
    return Hyperscan.INSTANCE;
  }

  private static Scanner build(Backend backend) {
    return Scanner.builder(Policy.ofDefault()).backend(backend).evidenceKey(KEY).build();
  }
}
