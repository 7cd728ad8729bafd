package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/** What the scanned bytes are; decides how structure is used to locate and confirm findings. */
public enum ContentType {
  /**
   * Text: UTF-8 or any encoding compatible with ASCII, scanned as bytes, or UTF-16 or UTF-32 (told
   * by its first bytes or a declared charset; see {@link Scanner#newStream(ContentType,
   * java.nio.charset.Charset)}), decoded for matching.
   */
  TEXT,
  /**
   * One JSON document or many in a row (JSON Lines). Findings carry their JSON path and the key
   * name serves as context; malformed or too deeply nested input falls back to {@link #TEXT}.
   * String escapes are decoded for matching (<code>&#92;u0034</code> reads {@code 4}), with
   * findings and redaction covering whole escape sequences of the original; the text may be UTF-16
   * or UTF-32, as for {@link #TEXT}.
   */
  JSON,
  /**
   * An HTML form or query string, {@code application/x-www-form-urlencoded}: {@code
   * name=value&name=value…}; the whole stream is one form. Only {@code &} separates fields ({@code ;}
   * is content); the first {@code =} of a field ends its name, and a field without one is a name
   * alone.
   *
   * <p>Names and values are percent-decoded before detection ({@code +} is a space, {@code %XX} a
   * byte), so {@code email=a%40b.example} holds an email and {@code card=4111+1111+1111+1111} a card
   * number. A {@code %} not followed by two hex digits ({@code %zz}, {@code %4} at the end) is taken
   * literally; no form is malformed. A match lies within one name or one value, never across a
   * separator. Findings give byte offsets into the original (encoded) bytes, covering the whole
   * encoded span of the match; a value's path is {@code $.} plus its decoded name ({@code $.email},
   * or {@code $['odd name']} as for JSON keys), and that name serves as context exactly as a JSON
   * key does ({@code ssn=078-05-1120} is high confidence). A match in a name has the path {@code $}.
   *
   * <p>Redaction keeps the form valid: {@code mask} and {@code partial} replace each letter or digit
   * with {@code *}, written {@code %2A} where it was percent-encoded, so the length is kept, and
   * {@code hash} writes the label percent-encoded ({@code %5Bcredit_card%3A1a2b3c4d%5D}). Decoding the
   * redacted form gives the same field names (unless a name itself held a finding) and the redacted
   * values. A field name is kept up to 1 KiB for paths and context; past that it is cut, noted as
   * {@link ScanNote#FORM_FIELD_NAME_TOO_LONG}.
   */
  FORM,
  /**
   * One protobuf message in the binary wire format ({@code application/protobuf}, {@code
   * application/x-protobuf}), walked without a schema. The content of every length-delimited field
   * that is not a nested message (a string or bytes) is scanned, and a match lies within one field.
   * A length-delimited field of up to 64 KiB is a nested message when its bytes parse completely as
   * one and are not plain text (valid UTF-8 without control characters other than tab, line feed
   * and carriage return); otherwise it is a string. A finding's path names the field numbers from
   * the top: {@code $.1.3[2].5} is field 5 of the third occurrence ({@code [2]}, counted from 0 and
   * written from the second on) of field 3 of field 1.
   *
   * <p>Limits fall back as JSON does: a field nested deeper than 64 levels, or longer than 64 KiB,
   * is scanned as a string ({@link ScanNote#PROTOBUF_TOO_DEEP}, {@link
   * ScanNote#PROTOBUF_FIELD_TOO_LONG}), and bytes that are not protobuf are scanned as text from the
   * first bad top-level field on ({@link ScanNote#PROTOBUF_MALFORMED}). Findings give offsets into
   * the original bytes. Redaction masks in place and keeps the length, so that lengths and framing
   * stay valid: {@code mask} and {@code partial} as for text, and {@code hash} masks too.
   */
  PROTOBUF,
  /**
   * A gRPC or gRPC-Web body ({@code application/grpc}, {@code application/grpc+proto}, {@code
   * application/grpc-web}, {@code application/grpc-web+proto}): length-prefixed messages (a flag
   * byte and a 4-byte big-endian length), each scanned as {@link #PROTOBUF} (a gRPC-Web trailer
   * frame as text), unary or streaming alike. A finding's path starts with the message index:
   * {@code $[3].1.2} is field 2 of field 1 of the fourth message. A compressed message (flag bit 0;
   * gzip) is inflated, up to 16 MiB, and scanned whole; its findings span the whole compressed
   * message, and a redaction re-compresses it and rewrites its length. A compressed message that
   * cannot be inflated goes on unscanned ({@link ScanNote#GRPC_MESSAGE_UNINSPECTABLE}). Redaction
   * keeps every other length ({@code hash} masks).
   */
  GRPC,
  /**
   * A gRPC-Web text body ({@code application/grpc-web-text}, {@code
   * application/grpc-web-text+proto}): base64 of a {@link #GRPC} (gRPC-Web) body, in any chunks and
   * with padding wherever a sender ended a group. It is decoded as it streams and scanned as
   * {@link #GRPC}; findings cover the base64 characters that encode them (whole quanta), with the
   * paths of the decoded body ({@code $[0].card.number}). Redaction re-encodes in the same quanta
   * and padding, so a length-keeping style keeps the body's length. A character outside the base64
   * alphabet ends the decoding ({@link ScanNote#TRANSFER_ENCODING_MALFORMED}): the rest is scanned
   * as text as written; so is a whole body whose first character is not {@code A} or {@code g}
   * (what a gRPC flag byte encodes to), which is not gRPC-Web text.
   */
  GRPC_WEB_TEXT,
  /**
   * A {@code multipart/form-data} or {@code multipart/mixed} body (RFC 7578, RFC 2046), split on
   * its boundary as it streams (see {@link Scanner#newMultipartStream}; without a declared
   * boundary, the first line {@code --boundary} gives it). Each part's body is scanned as its own
   * {@code Content-Type} says (JSON as JSON, a form as a form, a nested multipart as multipart,
   * anything else as text), after decoding a part whose {@code Content-Transfer-Encoding} is {@code
   * base64} or {@code quoted-printable} (its findings then cover the characters that encode them,
   * and redaction re-encodes in place; invalid base64 is noted {@link
   * ScanNote#TRANSFER_ENCODING_MALFORMED} and the rest of the part scanned as written), and its header block as
   * text. A finding's path is {@code $.parts['name']} (the {@code name} of its {@code
   * Content-Disposition}; {@code $.parts[2]} for the third part when it has none) followed by the
   * path within the part ({@code $.parts['meta'].user.ssn}); in a header block it ends with
   * {@code .headers}. Offsets are into the whole body, and redaction rewrites a part in place,
   * keeping the delimiters as they came. Malformed framing (no delimiter, a header block past 16
   * KiB, a body that ends inside a part) is noted as {@link ScanNote#MULTIPART_MALFORMED} and the
   * rest is scanned as text.
   */
  MULTIPART,
  /**
   * A Server-Sent Events stream ({@code text/event-stream}) as OpenAI-compatible chat and
   * completion APIs send: the text of each choice ({@code choices[].delta.content}, or {@code
   * choices[].text}) is reassembled across events, decoded from JSON, and scanned as one text per
   * choice index, so a value split across many events is found; its path is {@code
   * $.choices[0].delta.content} (or {@code .text}) and its offsets run from its first original byte
   * to its last. Redaction rewrites the pieces in the events that carry them, in place (every style
   * keeps the length; {@code hash} masks), holding an event only until its pieces are final. Other
   * events are scanned as text each. An event past 1 MiB ends the structured scan ({@link
   * ScanNote#EVENT_STREAM_FALLBACK}).
   */
  EVENT_STREAM;

  /** Returns the lower-case id ({@code "text"}, {@code "json"}, {@code "form"}, {@code "protobuf"}, {@code "grpc"}, {@code "grpc_web_text"}, {@code "multipart"}, {@code "event_stream"}). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Returns the content type for a MIME type or short name such as {@code application/json},
   * {@code application/x-ndjson}, {@code application/x-www-form-urlencoded}, {@code application/protobuf},
   * {@code application/x-protobuf}, {@code application/grpc} (and {@code +proto}, {@code -web}; {@code application/grpc-web-text}
   * is {@link #GRPC_WEB_TEXT}),
   * {@code multipart/form-data} (any {@code multipart/*}), {@code text/event-stream}, {@code
   * text/plain}, {@code json}, {@code form}, {@code protobuf}, {@code grpc}, {@code multipart},
   * {@code sse} or {@code text}. Other MIME types are
   * text.
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
      throw new IllegalArgumentException(
          "content type: empty (expected: json, form, protobuf, multipart, text or a MIME type)");
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
    if (v.equals("form") || v.endsWith("/x-www-form-urlencoded")) {
      return FORM;
    }
    if (v.equals("grpc") || v.equals("application/grpc") || v.equals("application/grpc+proto")
        || v.equals("application/grpc-web") || v.equals("application/grpc-web+proto")) {
      return GRPC;
    }
    if (v.equals("grpc_web_text") || v.equals("application/grpc-web-text")
        || v.equals("application/grpc-web-text+proto")) {
      return GRPC_WEB_TEXT;
    }
    if (v.equals("protobuf") || v.equals("application/protobuf") || v.equals("application/x-protobuf")) {
      return PROTOBUF;
    }
    if (v.equals("event_stream") || v.equals("sse") || v.equals("text/event-stream")) {
      return EVENT_STREAM;
    }
    if (v.equals("multipart") || v.startsWith("multipart/")) {
      return MULTIPART;
    }
    return TEXT;
  }

  /**
   * Guesses the content type of a file from its name and its first bytes: {@code .json},
   * {@code .jsonl} and {@code .ndjson} are JSON, and so is content whose first non-blank byte is
   * <code>{</code> or {@code [}. Everything else is text (a form is never guessed).
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
