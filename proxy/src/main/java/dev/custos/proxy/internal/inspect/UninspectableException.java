package dev.custos.proxy.internal.inspect;

/**
 * Thrown when part of a message cannot be inspected (too large, a decompression bomb, a broken or
 * unknown encoding). Carries only a reason id, never payload bytes.
 */
final class UninspectableException extends Exception {
  private static final long serialVersionUID = 1L;

  static final String BODY_TOO_LARGE = "body_too_large";
  static final String DECODED_TOO_LARGE = "decoded_too_large";
  static final String RATIO_EXCEEDED = "ratio_exceeded";
  static final String MALFORMED_ENCODING = "malformed_encoding";
  static final String UNSUPPORTED_ENCODING = "unsupported_encoding";
  /** A {@code multipart/*} body whose media type declares no valid {@code boundary}. */
  static final String MULTIPART_BOUNDARY = "multipart_boundary";

  private final String reason;

  UninspectableException(String reason) {
    super(reason, null, false, false);
    this.reason = reason;
  }

  String reason() {
    return reason;
  }
}
