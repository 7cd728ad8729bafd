package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.MediaType;
import dev.custos.engine.ContentType;
import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionChoice;
import dev.custos.engine.Scanner;
import dev.custos.engine.StreamScanner;
import java.nio.charset.Charset;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Maps a message's media type to how the engine scans it, and to whether it may be skipped. */
final class Media {
  private Media() {}

  /**
   * Returns how to scan a body of {@code mediaType}: JSON types as JSON; {@code
   * application/x-www-form-urlencoded} as whatever the engine makes of it; everything else (and a
   * body with no or an invalid media type) as text.
   */
  static ContentType contentTypeOf(@Nullable MediaType mediaType) {
    if (mediaType == null) {
      return ContentType.TEXT;
    }
    return ContentType.of(mediaType.nameWithoutParameters());
  }

  /**
   * Returns the claimed type when a body of {@code mediaType} may be skipped once its first bytes
   * prove it: the type is on the skip list (matched without regard to case or parameters) and has
   * a known signature ({@link MediaSignatures}). Returns null when the body must be scanned: not on
   * the list, or a type no signature can prove (SVG and other {@code +xml} or {@code +json} types,
   * {@code text/*}, unknown types).
   */
  static @Nullable MediaType skippable(@Nullable MediaType mediaType, List<MediaType> skipped) {
    if (mediaType == null) {
      return null;
    }
    // The list first: most bodies (JSON, text) are on none, and the signature table lower-cases.
    for (MediaType s : skipped) {
      if (mediaType.belongsTo(s)) {
        return MediaSignatures.known(mediaType) ? mediaType : null;
      }
    }
    return null;
  }

  /**
   * Opens the body scanner for content of {@code type}: a multipart body is split on {@code
   * boundary} (checked valid by the caller), everything else decoded as {@code charset} says;
   * redacting when {@code choice} and {@code output} are given.
   */
  static StreamScanner open(Scanner scanner, ContentType type, @Nullable Charset charset,
      @Nullable String boundary, @Nullable RedactionChoice choice, @Nullable RedactedOutput output) {
    if (type == ContentType.MULTIPART && boundary != null) {
      return choice == null || output == null
          ? scanner.newMultipartStream(boundary)
          : scanner.newRedactingMultipartStream(boundary, choice, output);
    }
    return choice == null || output == null
        ? scanner.newStream(type, charset)
        : scanner.newRedactingStream(type, charset, choice, output);
  }

  /** Returns the {@code boundary} parameter of a {@code multipart/*} media type, or null. */
  static @Nullable String boundaryOf(@Nullable MediaType mediaType) {
    if (mediaType == null || !mediaType.type().equalsIgnoreCase("multipart")) {
      return null;
    }
    List<String> values = mediaType.parameters().get("boundary");
    return values == null || values.size() != 1 ? null : values.get(0);
  }

  /**
   * Returns the charset a media type declares, or null when it declares none, or one that is
   * unknown or given twice: the engine then decides the encoding from the bytes alone.
   */
  static @Nullable Charset charsetOf(@Nullable MediaType mediaType) {
    if (mediaType == null) {
      return null;
    }
    try {
      return mediaType.charset();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
