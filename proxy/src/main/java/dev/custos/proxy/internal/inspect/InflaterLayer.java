package dev.custos.proxy.internal.inspect;

import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.jspecify.annotations.Nullable;

/**
 * Decodes a {@code gzip} (RFC 1952) or {@code deflate} (RFC 9110: a zlib stream, RFC 1950; a raw
 * DEFLATE stream, RFC 1951, is accepted too, told apart by the zlib header check) content coding as
 * its bytes arrive, with the JDK's {@link Inflater}. Decoded bytes go on in pieces of {@value
 * #OUT_CHUNK} bytes, so the limits of {@link BodyDecoder} are checked before more is produced.
 *
 * <p>A stream is accepted only when it reaches its proper end: for gzip, each member's final
 * DEFLATE block and its trailer, whose CRC-32 and ISIZE must match what was decoded (and the
 * header CRC when {@code FHCRC} is set); for zlib, the final block and the Adler-32 check; for raw
 * DEFLATE, the final block. A stream cut short, a check that does not match, or bytes after the end
 * is malformed. Several gzip members one after the other decode one after the other, as RFC 1952
 * (section 2.2) allows and as common decoders do; bytes after a member that do not start a member
 * are malformed. Not thread-safe.
 */
final class InflaterLayer extends BodyDecoder.Layer {
  private static final int OUT_CHUNK = 16 * 1024;
  private static final int FHCRC = 0x02;
  private static final int FEXTRA = 0x04;
  private static final int FNAME = 0x08;
  private static final int FCOMMENT = 0x10;
  private static final int RESERVED = 0xe0;

  /** Where a gzip member's parsing is. */
  private enum Step {
    FIXED, // the 10 fixed header bytes
    XLEN,
    EXTRA,
    NAME,
    COMMENT,
    HCRC,
    DATA,
    TRAILER,
    DONE // a member or stream ended exactly here
  }

  private final boolean gzip;
  private final byte[] out = new byte[OUT_CHUNK];
  private final CRC32 crc = new CRC32();
  private final CRC32 headerCrc = new CRC32();
  private @Nullable Inflater inflater;
  private Step step;
  private int flags;
  /** Bytes read in the current header field or trailer. */
  private int count;
  private int extraLeft;
  private final byte[] field = new byte[8];
  private long size;
  private boolean seenInput;
  /** For deflate: the first byte, held until the second tells zlib from raw DEFLATE. */
  private int pendingFirst = -1;

  private InflaterLayer(boolean gzip, long maxDecoded, int maxRatio) {
    super(maxDecoded, maxRatio);
    this.gzip = gzip;
    this.step = gzip ? Step.FIXED : Step.DATA;
  }

  /** A layer undoing the {@code gzip} coding. */
  static InflaterLayer gzip(long maxDecoded, int maxRatio) {
    return new InflaterLayer(true, maxDecoded, maxRatio);
  }

  /** A layer undoing the {@code deflate} coding. */
  static InflaterLayer deflate(long maxDecoded, int maxRatio) {
    return new InflaterLayer(false, maxDecoded, maxRatio);
  }

  @Override
  void write(byte[] in, int offset, int length, BodyDecoder.Sink next)
      throws UninspectableException {
    if (length == 0) {
      return;
    }
    seenInput = true;
    int pos = offset;
    int limit = offset + length;
    if (!gzip && inflater == null) {
      if (pendingFirst < 0 && length == 1) {
        pendingFirst = in[pos] & 0xff; // held until the second byte comes
        return;
      }
      if (pendingFirst >= 0) {
        byte[] joined = new byte[length + 1];
        joined[0] = (byte) pendingFirst;
        System.arraycopy(in, offset, joined, 1, length);
        in = joined;
        pos = 0;
        limit = joined.length;
      }
      startDeflate(in[pos] & 0xff, in[pos + 1] & 0xff);
    }
    while (pos < limit) {
      switch (step) {
        case DATA:
          pos = inflate(in, pos, limit, next);
          break;
        case TRAILER:
          pos = trailer(in, pos, limit);
          break;
        case DONE:
          if (!gzip) {
            throw malformed(); // bytes after the end of a zlib or DEFLATE stream
          }
          step = Step.FIXED;
          count = 0;
          headerCrc.reset();
          break;
        default:
          header(in[pos++] & 0xff);
          break;
      }
    }
  }

  /** Picks zlib or raw DEFLATE from the first two bytes (RFC 1950's header check). */
  private void startDeflate(int first, int second) {
    boolean zlib = (first & 0x0f) == 8 && ((first << 8) | second) % 31 == 0;
    inflater = new Inflater(!zlib);
  }

  private void header(int b) throws UninspectableException {
    if (step != Step.HCRC) {
      headerCrc.update(b);
    }
    switch (step) {
      case FIXED:
        if ((count == 0 && b != 0x1f) || (count == 1 && b != 0x8b) || (count == 2 && b != 8)) {
          throw malformed();
        }
        if (count == 3) {
          if ((b & RESERVED) != 0) {
            throw malformed();
          }
          flags = b;
        }
        if (++count == 10) {
          count = 0;
          afterField(Step.FIXED);
        }
        break;
      case XLEN:
        field[count] = (byte) b;
        if (++count == 2) {
          extraLeft = (field[0] & 0xff) | (field[1] & 0xff) << 8;
          count = 0;
          if (extraLeft == 0) {
            afterField(Step.EXTRA);
          } else {
            step = Step.EXTRA;
          }
        }
        break;
      case EXTRA:
        if (--extraLeft == 0) {
          afterField(Step.EXTRA);
        }
        break;
      case NAME:
        if (b == 0) {
          afterField(Step.NAME);
        }
        break;
      case COMMENT:
        if (b == 0) {
          afterField(Step.COMMENT);
        }
        break;
      case HCRC:
        field[count] = (byte) b;
        if (++count == 2) {
          count = 0;
          int expected = (field[0] & 0xff) | (field[1] & 0xff) << 8;
          if (expected != (int) (headerCrc.getValue() & 0xffff)) {
            throw malformed();
          }
          startData();
        }
        break;
      default:
        throw new IllegalStateException("step: " + step + " (expected: a header step)");
    }
  }

  /** Moves to the header field after {@code done}, or to the data when the header ends. */
  private void afterField(Step done) {
    int order = done.ordinal();
    if (order < Step.XLEN.ordinal() && (flags & FEXTRA) != 0) {
      step = Step.XLEN;
    } else if (order < Step.NAME.ordinal() && (flags & FNAME) != 0) {
      step = Step.NAME;
    } else if (order < Step.COMMENT.ordinal() && (flags & FCOMMENT) != 0) {
      step = Step.COMMENT;
    } else if (order < Step.HCRC.ordinal() && (flags & FHCRC) != 0) {
      step = Step.HCRC;
    } else {
      startData();
    }
  }

  private void startData() {
    step = Step.DATA;
    crc.reset();
    size = 0;
    if (inflater == null) {
      inflater = new Inflater(true);
    } else {
      inflater.reset();
    }
  }

  /** Inflates from {@code in[pos..limit)}; returns where the bytes this member left start. */
  private int inflate(byte[] in, int pos, int limit, BodyDecoder.Sink next)
      throws UninspectableException {
    Inflater inf = inflater;
    inf.setInput(in, pos, limit - pos);
    drain(next);
    if (!inf.finished()) {
      return limit; // all taken; it needs more
    }
    int left = inf.getRemaining();
    if (gzip) {
      step = Step.TRAILER;
      count = 0;
    } else {
      step = Step.DONE;
    }
    return limit - left;
  }

  /** Inflates what the inflater holds, handing it on. */
  private void drain(BodyDecoder.Sink next) throws UninspectableException {
    Inflater inf = inflater;
    try {
      while (!inf.finished()) {
        int before = inf.getRemaining();
        int n = inf.inflate(out, 0, out.length);
        if (n == 0) {
          if (inf.needsDictionary()) {
            throw malformed(); // a zlib preset dictionary, which HTTP gives no way to agree on
          }
          if (inf.needsInput()) {
            break;
          }
          if (!inf.finished() && inf.getRemaining() == before) {
            throw malformed(); // no progress on the input it holds
          }
          continue;
        }
        crc.update(out, 0, n);
        size += n;
        emit(out, 0, n, next);
      }
    } catch (DataFormatException e) {
      throw malformed();
    }
  }

  private int trailer(byte[] in, int pos, int limit) throws UninspectableException {
    while (pos < limit && count < 8) {
      field[count++] = in[pos++];
    }
    if (count == 8) {
      long expectedCrc = le32(0);
      long expectedSize = le32(4);
      if (expectedCrc != crc.getValue() || expectedSize != (size & 0xffffffffL)) {
        throw malformed();
      }
      step = Step.DONE;
      count = 0;
    }
    return pos;
  }

  private long le32(int at) {
    return (field[at] & 0xffL)
        | (field[at + 1] & 0xffL) << 8
        | (field[at + 2] & 0xffL) << 16
        | (field[at + 3] & 0xffL) << 24;
  }

  @Override
  void end(BodyDecoder.Sink next) throws UninspectableException {
    // An empty body has nothing to hide; anything else must have reached its proper end.
    if (seenInput && step != Step.DONE) {
      throw malformed();
    }
  }

  @Override
  void close() {
    if (inflater != null) {
      inflater.end();
      inflater = null;
    }
  }

  private static UninspectableException malformed() {
    return new UninspectableException(UninspectableException.MALFORMED_ENCODING);
  }
}
