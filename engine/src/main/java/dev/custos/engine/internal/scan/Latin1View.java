package dev.custos.engine.internal.scan;

/** A read-only view of bytes as ISO-8859-1 characters, without copying. */
final class Latin1View implements CharSequence {
  private final byte[] bytes;
  private final int offset;
  private final int length;

  Latin1View(byte[] bytes, int offset, int length) {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public char charAt(int index) {
    if (index < 0 || index >= length) {
      throw new IndexOutOfBoundsException("index: " + index + " (expected: 0 to " + (length - 1) + ")");
    }
    return (char) (bytes[offset + index] & 0xff);
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    if (start < 0 || end > length || start > end) {
      throw new IndexOutOfBoundsException("range: [" + start + ", " + end + ") (expected: within 0 to " + length + ")");
    }
    return new Latin1View(bytes, offset + start, end - start);
  }

  /**
   * Returns the characters, as {@link CharSequence} requires (validators rely on it). Views are
   * only handed to validators and never stored, logged or thrown.
   */
  @Override
  public String toString() {
    return new String(bytes, offset, length, java.nio.charset.StandardCharsets.ISO_8859_1);
  }
}
