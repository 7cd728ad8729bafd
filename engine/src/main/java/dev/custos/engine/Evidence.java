package dev.custos.engine;

import static java.util.Objects.requireNonNull;

/**
 * What a finding may say about the value it found: a masked preview (at most the last four
 * characters visible) and a keyed hash (HMAC-SHA256 under the deployment's {@link EvidenceKey}),
 * which lets the same value be recognized across messages without being stored.
 */
public final class Evidence {
  private final String preview;
  private final String hash;

  /** Returns evidence made of a masked preview and a keyed hash (never a raw value). */
  public static Evidence of(String preview, String hash) {
    return new Evidence(preview, hash);
  }

  private Evidence(String preview, String hash) {
    this.preview = requireNonNull(preview, "preview");
    this.hash = requireNonNull(hash, "hash");
  }

  /** Returns the masked preview, for example {@code ************1111}. */
  public String preview() {
    return preview;
  }

  /** Returns the keyed hash of the normalized value as 32 lower-case hex digits (128 bits). */
  public String hash() {
    return hash;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Evidence
        && ((Evidence) o).preview.equals(preview)
        && ((Evidence) o).hash.equals(hash);
  }

  @Override
  public int hashCode() {
    return preview.hashCode() * 31 + hash.hashCode();
  }

  @Override
  public String toString() {
    return "Evidence{preview=" + preview + ", hash=" + hash + '}';
  }
}
