package dev.custos.engine;

import java.util.Locale;

/** Something about a scan the caller should know: how structure was (or was not) used. */
public enum ScanNote {
  /** JSON content was malformed or truncated; the rest of the bytes were scanned as text. */
  JSON_MALFORMED,
  /** JSON nesting went past the depth limit; the rest of the bytes were scanned as text. */
  JSON_TOO_DEEP,
  /** A JSON token went past the size limit; the rest of the bytes were scanned as text. */
  JSON_TOKEN_TOO_LONG;

  /** Returns the lower-case id, for example {@code json_malformed}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
