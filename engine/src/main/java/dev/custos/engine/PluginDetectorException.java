package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when a plugin detector fails to load or to run: a trap, a timeout, a bad result. Carries
 * a short kind (such as {@code timeout}, {@code trap}, {@code bad_match}, {@code hash_mismatch})
 * and the detector id; its message never holds payload bytes, and implementations must not put
 * any in the detail or the cause.
 */
public final class PluginDetectorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String detectorId;
  private final String kind;

  /**
   * Creates an exception.
   *
   * @param detectorId the id of the failing detector
   * @param kind a short lower-case kind such as {@code timeout}
   * @param detail what went wrong, worded "what (expected: what)"; never payload bytes
   */
  public PluginDetectorException(String detectorId, String kind, String detail) {
    this(detectorId, kind, detail, null);
  }

  /** Creates an exception with a cause, which must not hold payload bytes either. */
  public PluginDetectorException(
      String detectorId, String kind, String detail, @Nullable Throwable cause) {
    super("detector '" + requireNonNull(detectorId, "detectorId") + "': "
        + requireNonNull(kind, "kind") + ": " + requireNonNull(detail, "detail"), cause);
    this.detectorId = detectorId;
    this.kind = kind;
  }

  /** Returns the id of the detector that failed. */
  public String detectorId() {
    return detectorId;
  }

  /** Returns the kind of failure, such as {@code timeout} or {@code trap}. */
  public String kind() {
    return kind;
  }
}
