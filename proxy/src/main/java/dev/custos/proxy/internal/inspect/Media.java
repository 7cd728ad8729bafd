package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.MediaType;
import dev.custos.engine.ContentType;
import java.nio.charset.Charset;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Maps a message's media type to how the engine scans it. */
final class Media {
  private Media() {}

  /**
   * Returns how to scan a body of {@code mediaType}, or {@code null} when it is on the skip list.
   * JSON types scan as JSON; {@code application/x-www-form-urlencoded} as whatever the engine
   * makes of it (form once it has a form decoder, text until then); everything else as text.
   */
  static @Nullable ContentType contentTypeOf(@Nullable MediaType mediaType, List<MediaType> skipped) {
    if (mediaType == null) {
      return ContentType.TEXT;
    }
    for (MediaType s : skipped) {
      if (mediaType.belongsTo(s)) {
        return null;
      }
    }
    return ContentType.of(mediaType.nameWithoutParameters());
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
