package dev.custos.engine;

import java.util.Locale;

/**
 * Something about a scan the caller should know: how structure was (or was not) used, and whether
 * a plugin detector failed.
 */
public enum ScanNote {
  /** JSON content was malformed or truncated; the rest of the bytes were scanned as text. */
  JSON_MALFORMED,
  /** JSON nesting went past the depth limit; the rest of the bytes were scanned as text. */
  JSON_TOO_DEEP,
  /** A JSON token went past the size limit; the rest of the bytes were scanned as text. */
  JSON_TOKEN_TOO_LONG,
  /**
   * A form field name went past 1 KiB (decoded): the paths of its value and the name as context
   * word use its first 1 KiB only. The value itself is scanned in full.
   */
  FORM_FIELD_NAME_TOO_LONG,
  /**
   * Multipart framing was malformed: no delimiter, a part header block past 16 KiB, or a body that
   * ended inside a part. The bytes past the fault were scanned as text.
   */
  MULTIPART_MALFORMED,
  /**
   * A Server-Sent Events stream had an event past 1 MiB, or more than 64 choice indexes: from that
   * event on, the bytes were scanned as text, without reassembling choice text.
   */
  EVENT_STREAM_FALLBACK,
  /**
   * Protobuf content was not a message (a bad wire type or field number, an overlong varint, a
   * length past the end, a truncated field): from the start of that top-level field on, the bytes
   * were scanned as text.
   */
  PROTOBUF_MALFORMED,
  /**
   * A length-delimited protobuf field that parses as a message lay deeper than the depth limit
   * (64): it was scanned as a string.
   */
  PROTOBUF_TOO_DEEP,
  /**
   * A length-delimited protobuf field was longer than the look-ahead limit (64 KiB): it was scanned
   * as a string without deciding whether it is a nested message.
   */
  PROTOBUF_FIELD_TOO_LONG,
  /**
   * A compressed gRPC message could not be inspected (larger than 4 MiB compressed or 16 MiB
   * inflated, not gzip, or corrupt): it went on as it was, unscanned. The proxy takes its {@code
   * on_uninspectable} decision.
   */
  GRPC_MESSAGE_UNINSPECTABLE,
  /**
   * Base64 content (a multipart part's {@code Content-Transfer-Encoding: base64}, or a gRPC-Web
   * text body) held a character outside the alphabet, data after padding, or ended inside a
   * quantum: from that quantum on, the bytes were scanned as text as written.
   */
  TRANSFER_ENCODING_MALFORMED,
  /**
   * A plugin detector failed on a window (trap, timeout, bad result): its findings in that window
   * are missing. The scan went on.
   */
  PLUGIN_ERROR,
  /**
   * A plugin detector whose policy says {@code on_error: block} failed: the caller (the proxy)
   * refuses the message, as for {@code on_uninspectable: block}. Always comes with {@link
   * #PLUGIN_ERROR}.
   */
  PLUGIN_ERROR_BLOCK;

  /** Returns the lower-case id, for example {@code json_malformed}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
