package dev.custos.engine.internal.scan;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.core.base.ParserBase;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.custos.engine.ScanNote;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * The reference for {@link JsonTracker}, kept for differential tests: follows the structure of JSON (one document or many in a row) with Jackson's non-blocking
 * parser, fed chunk by chunk, and remembers the scalar tokens that may contain a candidate: their
 * byte spans, JSON paths and key names. On malformed input, too deep nesting or a too long token it
 * stops and records where structure was last known ({@link #failedAt()}).
 */
final class JacksonJsonTracker {
  private final JsonParser parser;
  private final ByteArrayFeeder feeder;
  /** The parser's base class, whose byte offset of the current token is a plain field read. */
  private final @Nullable ParserBase base;
  /** Remembered tokens in order; those before {@code tokensHead} are forgotten. */
  private final java.util.ArrayList<JsonTracker.Token> tokens = new java.util.ArrayList<>();
  private int tokensHead;
  private long completedUpTo;
  private boolean failed;
  private boolean finished;
  private @Nullable ScanNote failure;

  JacksonJsonTracker(JsonFactory factory) {
    try {
      this.parser = factory.createNonBlockingByteArrayParser();
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a non-blocking JSON parser", e);
    }
    this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
    this.base = parser instanceof ParserBase ? (ParserBase) parser : null;
  }

  static JsonFactory factory(int maxDepth, int maxString, int maxName, int maxNumber) {
    return JsonFactory.builder()
        .streamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(maxDepth)
                .maxStringLength(maxString)
                .maxNameLength(maxName)
                .maxNumberLength(maxNumber)
                .maxDocumentLength(-1)
                .build())
        .build();
  }

  private final byte[] head = new byte[3];
  private int headLength;
  private int bomShift;

  /** Feeds the next chunk; the array is only read during this call. */
  void feed(byte[] bytes, int offset, int length, JsonTracker.Interest interest) {
    for (int i = offset; i < offset + length && headLength < 3; i++) {
      head[headLength++] = bytes[i];
      if (headLength == 3 && (head[0] & 0xff) == 0xEF && (head[1] & 0xff) == 0xBB && (head[2] & 0xff) == 0xBF) {
        bomShift = 3;
      }
    }
    if (failed || length == 0) {
      return;
    }
    try {
      feeder.feedInput(bytes, offset, offset + length);
      drain(interest);
    } catch (IOException | RuntimeException e) {
      fail(e);
    }
  }

  /** Ends the input; truncated documents count as malformed. */
  void finish(JsonTracker.Interest interest) {
    if (finished) {
      return;
    }
    finished = true;
    if (failed) {
      return;
    }
    try {
      feeder.endOfInput();
      drain(interest);
      if (!parser.getParsingContext().inRoot()) {
        failed = true;
        failure = ScanNote.JSON_MALFORMED;
      }
    } catch (IOException | RuntimeException e) {
      fail(e);
    }
  }

  private void fail(Exception e) {
    failed = true;
    if (e instanceof StreamConstraintsException) {
      String message = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
      failure = message.contains("depth") ? ScanNote.JSON_TOO_DEEP : ScanNote.JSON_TOKEN_TOO_LONG;
    } else {
      failure = ScanNote.JSON_MALFORMED;
    }
    try {
      parser.close();
    } catch (IOException ignored) {
      // Nothing to release beyond buffers.
    }
  }

  private void drain(JsonTracker.Interest interest) throws IOException {
    JsonToken t;
    while ((t = parser.nextToken()) != null && t != JsonToken.NOT_AVAILABLE) {
      // Jackson's non-blocking parser reports a token's location one byte past its first byte.
      // Jackson leaves a leading UTF-8 byte-order mark out of its offsets.
      long first = tokenOffset() - 1 + bomShift;
      long end = parser.currentLocation().getByteOffset() + bomShift;
      boolean number = t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT;
      boolean fieldName = t == JsonToken.FIELD_NAME;
      if ((number || fieldName || t == JsonToken.VALUE_STRING) && interest.nextEnd(first) <= end) {
        JsonStreamContext context = parser.getParsingContext();
        tokens.add(new JsonTracker.Token(first, end, number, path(context, fieldName), key(context, fieldName)));
      }
      completedUpTo = end;
    }
  }

  /**
   * Returns where the current token starts, as {@code currentTokenLocation().getByteOffset()} does,
   * but without making a {@code JsonLocation} per token: that cost an eighth of the JSON scan.
   */
  private long tokenOffset() {
    return base != null ? base.getTokenCharacterOffset() : parser.currentTokenLocation().getByteOffset();
  }

  /** Returns the JSON path of the current token; a field name's path is its object's. */
  private static String path(JsonStreamContext context, boolean fieldName) {
    java.util.ArrayList<JsonStreamContext> chain = new java.util.ArrayList<>();
    for (JsonStreamContext c = fieldName ? context.getParent() : context; c != null; c = c.getParent()) {
      chain.add(c);
    }
    StringBuilder sb = new StringBuilder("$");
    for (int i = chain.size() - 1; i >= 0; i--) {
      JsonStreamContext c = chain.get(i);
      if (c.inArray()) {
        sb.append('[').append(Math.max(0, c.getCurrentIndex())).append(']');
      } else if (c.inObject()) {
        String name = c.getCurrentName();
        if (name != null) {
          appendName(name, sb);
        }
      }
    }
    return sb.toString();
  }

  static void appendName(String name, StringBuilder sb) {
    JsonTracker.appendName(name, sb);
  }

  /** Returns the name of the field holding the current value (the nearest one for array items). */
  private static @Nullable String key(JsonStreamContext context, boolean fieldName) {
    if (fieldName) {
      return null;
    }
    for (JsonStreamContext c = context; c != null; c = c.getParent()) {
      if (c.inObject()) {
        return c.getCurrentName();
      }
    }
    return null;
  }

  /**
   * Returns the remembered token containing {@code [start, stop)}, or null. Tokens do not overlap
   * and are ordered, so the only candidate is the last one starting at or before {@code start}.
   */
  JsonTracker.@Nullable Token find(long start, long stop) {
    int lo = tokensHead;
    int hi = tokens.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (tokens.get(mid).first <= start) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo == tokensHead) {
      return null;
    }
    JsonTracker.Token t = tokens.get(lo - 1);
    return t.contains(start, stop) ? t : null;
  }

  /** Forgets tokens that end at or before {@code offset}. */
  void forgetBefore(long offset) {
    while (tokensHead < tokens.size() && tokens.get(tokensHead).end <= offset) {
      tokensHead++;
    }
    if (tokensHead > 1024 && tokensHead > tokens.size() / 2) {
      tokens.subList(0, tokensHead).clear();
      tokensHead = 0;
    }
  }

  /** Returns the tokens remembered and not forgotten. */
  java.util.List<JsonTracker.Token> remembered() {
    return tokens.subList(tokensHead, tokens.size());
  }

  /** Returns the end offset of the last token parsed. */
  long completedUpTo() {
    return completedUpTo;
  }

  boolean failed() {
    return failed;
  }

  boolean finished() {
    return finished;
  }

  /** Returns where structure was last known; meaningful only once {@link #failed()}. */
  long failedAt() {
    return completedUpTo;
  }

  @Nullable ScanNote failure() {
    return failure;
  }
}
