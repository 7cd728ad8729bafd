package dev.custos.proxy.internal.telemetry.commandplane;

import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/**
 * The spool's record format. A segment file starts with the 8 bytes {@code CSPOOL01}; then
 * records, each:
 *
 * <pre>
 * length   u32 big-endian: bytes of the payload, {@value #MIN_PAYLOAD} to {@value #MAX_PAYLOAD}
 * crc      u32 big-endian: CRC-32 of the length's 4 bytes and the payload
 * payload  version (1 byte, 1) | batch id (16 bytes) | events (u32, 1 to 1000) | gzip body
 * </pre>
 *
 * <p>A torn write (a crash while appending) leaves a record shorter than its length or with a
 * wrong CRC: {@link #decode} reports it and never reads past the bytes it was given. Stateless.
 */
final class SpoolCodec {
  static final byte[] MAGIC = {'C', 'S', 'P', 'O', 'O', 'L', '0', '1'};
  static final int HEADER = 8;
  static final int MIN_PAYLOAD = 1 + 16 + 4;
  /** A gzip body is at most a little more than the plane's 4 MiB uncompressed bound. */
  static final int MAX_PAYLOAD = MIN_PAYLOAD + Batch.MAX_UNCOMPRESSED + (64 << 10);
  private static final byte VERSION = 1;

  /** What {@link #decode} found at a position. */
  enum Status {
    /** A whole, valid record. */
    OK,
    /** No byte left: a clean end. */
    END,
    /** Fewer bytes than the record's header or length announce: a torn tail. */
    TRUNCATED,
    /** A length out of range, a CRC mismatch or a payload that is not a batch. */
    CORRUPT
  }

  /**
   * The result of reading one record.
   *
   * @param status what was found
   * @param batch the batch, for {@link Status#OK}
   * @param size the record's bytes, header included, for {@link Status#OK}
   */
  record Read(Status status, @Nullable Batch batch, int size) {}

  private SpoolCodec() {}

  /** Returns the record of {@code batch}. */
  static byte[] encode(Batch batch) {
    int payload = MIN_PAYLOAD + batch.body().length;
    if (payload > MAX_PAYLOAD) {
      throw new IllegalArgumentException("batch body: " + batch.body().length
          + " bytes (expected: at most " + (MAX_PAYLOAD - MIN_PAYLOAD) + ")");
    }
    ByteBuffer b = ByteBuffer.allocate(HEADER + payload);
    b.putInt(payload).putInt(0).put(VERSION)
        .putLong(batch.id().getMostSignificantBits())
        .putLong(batch.id().getLeastSignificantBits())
        .putInt(batch.events()).put(batch.body());
    byte[] a = b.array();
    b.putInt(4, crc(a, 0, payload));
    return a;
  }

  /**
   * Reads the record at {@code in}'s position; on {@link Status#OK} the position moves past it,
   * otherwise it stays. Never reads beyond {@code in}'s limit.
   */
  static Read decode(ByteBuffer in) {
    int at = in.position();
    int left = in.remaining();
    if (left == 0) {
      return new Read(Status.END, null, 0);
    }
    if (left < HEADER) {
      return new Read(Status.TRUNCATED, null, 0);
    }
    int length = in.getInt(at);
    if (length < MIN_PAYLOAD || length > MAX_PAYLOAD) {
      return new Read(Status.CORRUPT, null, 0);
    }
    if (left - HEADER < length) {
      return new Read(Status.TRUNCATED, null, 0);
    }
    int stored = in.getInt(at + 4);
    CRC32 crc = new CRC32();
    crc.update(in.duplicate().position(at).limit(at + 4));
    crc.update(in.duplicate().position(at + HEADER).limit(at + HEADER + length));
    if ((int) crc.getValue() != stored) {
      return new Read(Status.CORRUPT, null, 0);
    }
    int p = at + HEADER;
    int events = in.getInt(p + 17);
    if (in.get(p) != VERSION || events < 1
        || events > dev.custos.proxy.ProxyConfig.Command.MAX_BATCH_EVENTS) {
      return new Read(Status.CORRUPT, null, 0);
    }
    UUID id = new UUID(in.getLong(p + 1), in.getLong(p + 9));
    byte[] body = new byte[length - MIN_PAYLOAD];
    in.get(p + MIN_PAYLOAD, body);
    in.position(at + HEADER + length);
    return new Read(Status.OK, new Batch(id, events, body), HEADER + length);
  }

  private static int crc(byte[] record, int at, int payload) {
    CRC32 crc = new CRC32();
    crc.update(record, at, 4);
    crc.update(record, at + HEADER, payload);
    return (int) crc.getValue();
  }
}
