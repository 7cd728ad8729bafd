package dev.custos.engine.internal.scan;

/** Tunables of a compiled scanner. */
public final class ScanSettings {
  public static final int DEFAULT_CONTEXT_WINDOW = 48;
  public static final int DEFAULT_MAX_JSON_DEPTH = 256;
  public static final int DEFAULT_MAX_JSON_TOKEN_LENGTH = 1 << 20;

  final int contextWindow;
  final int maxJsonDepth;
  final int maxJsonTokenLength;
  final @org.jspecify.annotations.Nullable AllowFilter allow;

  public ScanSettings(int contextWindow, int maxJsonDepth, int maxJsonTokenLength) {
    this(contextWindow, maxJsonDepth, maxJsonTokenLength, null);
  }

  /** Settings with the policy's global allowlist compiled (null when it allows nothing). */
  public ScanSettings(int contextWindow, int maxJsonDepth, int maxJsonTokenLength,
      @org.jspecify.annotations.Nullable AllowFilter allow) {
    this.allow = allow;
    this.contextWindow = contextWindow;
    this.maxJsonDepth = maxJsonDepth;
    this.maxJsonTokenLength = maxJsonTokenLength;
  }
}
