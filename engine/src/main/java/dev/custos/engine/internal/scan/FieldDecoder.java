package dev.custos.engine.internal.scan;

import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.ScanNote;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A decoder that turns a structured body into a decoded stream of fields (names and values) split
 * by separator bytes, for the scanning pipeline, and maps what the pipeline finds back to the
 * original bytes: {@link FormDecoder} for forms, {@link ProtobufDecoder} for protobuf. A match lies
 * within one field. Not thread-safe.
 */
interface FieldDecoder {
  /**
   * Decodes the next chunk; the decoded bytes are {@code decoded()[0, n)} for the returned {@code
   * n}, valid until the next call.
   */
  int decode(byte[] bytes, int offset, int length);

  /** Ends the input; returns the last decoded bytes as {@link #decode} does. */
  int finish();

  /** Returns the array {@link #decode} and {@link #finish} decode into. */
  byte[] decoded();

  /** Returns how many original bytes were fed. */
  long fed();

  /** Adds to {@code notes} what the decoder has to say about the input so far. */
  void addNotes(Set<ScanNote> notes);

  /**
   * Returns whether decoded byte {@code next} may end a field before it (a quick test: {@link
   * #fieldStart} decides).
   */
  boolean mayEndField(int next);

  /** Returns the original offset of decoded position {@code position}. */
  long originalOffset(long position);

  /** Returns the token (path and key) of the field holding decoded byte {@code position}, or null. */
  JsonTracker.@Nullable Token tokenAt(long position);

  /** Returns where the field holding decoded byte {@code position} starts, or -1 at a separator. */
  long fieldStart(long position);

  /**
   * Forgets fields before decoded position {@code fieldsBefore} and offset mappings before {@code
   * position}: no later question asks about earlier positions.
   */
  void forgetBefore(long fieldsBefore, long position);

  /** Drops the original bytes before {@code offset}; none before it is written or rewritten later. */
  void dropOriginalBefore(long offset);

  /** Writes the original bytes {@code [from, to)}. */
  void writeOriginal(RedactedOutput output, long from, long to);

  /**
   * Returns the rewrite of the original bytes {@code [from, to)} in {@code style}; {@code label} is
   * the hash style's {@code [category:hash8]} (null for the other styles).
   */
  byte[] rewrite(long from, long to, RedactionStyle style, @Nullable String label);

  /** Returns about how many bytes this decoder holds. */
  long retainedBytes();
}
