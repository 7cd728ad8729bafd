package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.MediaType;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The representation headers of one message, read the way a receiver could read them:
 * {@code Content-Type} and {@code Content-Encoding}, each possibly sent on several lines. A header
 * whose lines disagree (two media types, or {@code identity} then {@code gzip}) is ambiguous: the
 * proxy could inspect by one reading while the receiver decodes by another, so such a message is
 * refused rather than inspected. Lines that agree are one value; {@code Content-Encoding} lines
 * that agree are one list (RFC 9110, section 5.3), so two {@code gzip} lines are undone twice.
 * Immutable.
 */
final class Representation {
  /** The uninspectable reason of a message whose representation headers disagree. */
  static final String AMBIGUOUS = "ambiguous_representation";

  private final @Nullable MediaType mediaType;
  private final @Nullable String contentEncoding;
  private final @Nullable AsciiString conflicting;

  private Representation(@Nullable MediaType mediaType, @Nullable String contentEncoding,
      @Nullable AsciiString conflicting) {
    this.mediaType = mediaType;
    this.contentEncoding = contentEncoding;
    this.conflicting = conflicting;
  }

  /** Reads the representation headers of {@code headers}. */
  static Representation of(HttpHeaders headers) {
    List<String> types = headers.getAll(HttpHeaderNames.CONTENT_TYPE);
    List<String> encodings = headers.getAll(HttpHeaderNames.CONTENT_ENCODING);
    AsciiString conflicting = null;

    MediaType mediaType = types.isEmpty() ? null : parse(types.get(0));
    for (int i = 1; i < types.size(); i++) {
      if (!sameMediaType(types.get(0), types.get(i))) {
        conflicting = HttpHeaderNames.CONTENT_TYPE;
        break;
      }
    }

    String contentEncoding = null;
    if (!encodings.isEmpty()) {
      List<String> first = BodyDecoder.codings(encodings.get(0));
      for (int i = 1; i < encodings.size(); i++) {
        if (!first.equals(BodyDecoder.codings(encodings.get(i)))) {
          conflicting = conflicting == null ? HttpHeaderNames.CONTENT_ENCODING : conflicting;
          break;
        }
      }
      contentEncoding = String.join(", ", encodings);
    }
    return new Representation(mediaType, contentEncoding, conflicting);
  }

  private static @Nullable MediaType parse(String value) {
    try {
      return MediaType.parse(value);
    } catch (IllegalArgumentException e) {
      return null; // Not a media type: the body is scanned as text.
    }
  }

  private static boolean sameMediaType(String a, String b) {
    MediaType x = parse(a);
    MediaType y = parse(b);
    if (x != null && y != null) {
      return x.equals(y);
    }
    return a.strip().toLowerCase(Locale.ROOT).equals(b.strip().toLowerCase(Locale.ROOT));
  }

  /** Returns the media type (of the first line when several agree), or null when absent or invalid. */
  @Nullable MediaType mediaType() {
    return mediaType;
  }

  /** Returns the content codings of every {@code Content-Encoding} line, joined as one list. */
  @Nullable String contentEncoding() {
    return contentEncoding;
  }

  /** Returns whether a representation header was sent on several lines that disagree. */
  boolean ambiguous() {
    return conflicting != null;
  }

  /** Returns the user-facing reason of a refusal for ambiguity; names the header, never a value. */
  String problem() {
    return conflicting == null ? "" : "conflicting " + headerName(conflicting) + " headers";
  }

  private static String headerName(AsciiString name) {
    return name.contentEquals(HttpHeaderNames.CONTENT_TYPE) ? "Content-Type" : "Content-Encoding";
  }
}
