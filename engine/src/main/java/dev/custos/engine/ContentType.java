package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/** What the scanned bytes are; decides how structure is used to locate and confirm findings. */
public enum ContentType {
  /** Bytes scanned as text (any encoding compatible with ASCII). */
  TEXT,
  /**
   * One JSON document or many in a row (JSON Lines). Findings carry their JSON path and the key
   * name serves as context; malformed or too deeply nested input falls back to {@link #TEXT}.
   */
  JSON;

  /** Returns the lower-case id ({@code "text"}, {@code "json"}). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Returns the content type for a MIME type or short name such as {@code application/json},
   * {@code application/x-ndjson}, {@code text/plain}, {@code json} or {@code text}.
   *
   * @throws IllegalArgumentException for an empty value
   */
  public static ContentType of(String value) {
    requireNonNull(value, "value");
    String v = value.trim().toLowerCase(Locale.ROOT);
    int semicolon = v.indexOf(';');
    if (semicolon >= 0) {
      v = v.substring(0, semicolon).trim();
    }
    if (v.isEmpty()) {
      throw new IllegalArgumentException("content type: empty (expected: json, text or a MIME type)");
    }
    if (v.equals("json")
        || v.equals("jsonl")
        || v.equals("ndjson")
        || v.endsWith("/json")
        || v.endsWith("+json")
        || v.endsWith("/x-ndjson")
        || v.endsWith("/jsonl")
        || v.endsWith("/x-jsonlines")) {
      return JSON;
    }
    return TEXT;
  }

  /**
   * Guesses the content type of a file from its name and its first bytes: {@code .json},
   * {@code .jsonl} and {@code .ndjson} are JSON, and so is content whose first non-blank byte is
   * <code>{</code> or {@code [}. Everything else is text.
   */
  public static ContentType guess(String fileName, byte[] head, int headLength) {
    requireNonNull(fileName, "fileName");
    requireNonNull(head, "head");
    String name = fileName.toLowerCase(Locale.ROOT);
    if (name.endsWith(".json") || name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
      return JSON;
    }
    for (int i = 0; i < Math.min(headLength, head.length); i++) {
      byte b = head[i];
      if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
        continue;
      }
      return (b == '{' || b == '[') ? JSON : TEXT;
    }
    return TEXT;
  }
}
