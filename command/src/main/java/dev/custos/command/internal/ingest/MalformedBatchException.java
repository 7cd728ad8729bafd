package dev.custos.command.internal.ingest;

/**
 * Thrown when a batch cannot be stored as sent: a malformed line (400) or too large (413). The
 * message names the line and the field, never the value.
 */
public final class MalformedBatchException extends Exception {
  private static final long serialVersionUID = 1L;

  private final boolean tooLarge;

  MalformedBatchException(String message, boolean tooLarge) {
    super(message, null, false, false);
    this.tooLarge = tooLarge;
  }

  /** Returns whether the batch was refused for its size (413) rather than its content (400). */
  public boolean tooLarge() {
    return tooLarge;
  }
}
