package dev.custos.proxy.internal.telemetry.commandplane;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A first-in first-out queue of batches on disk: append-only segment files {@code
 * <sequence>.seg} of {@link SpoolCodec} records in one folder, read from the oldest.
 *
 * <p>Durability: each appended record is forced to disk ({@code fsync} of its data) before
 * {@link #append} returns, so a batch the proxy spooled survives a crash of the process or the
 * machine. The read position is kept in the file {@code cursor}, replaced atomically after each
 * {@link #ack} but not forced: after a machine crash up to the batches sent since the last
 * write-back are sent again, and the plane drops them as duplicates by their batch id.
 *
 * <p>Start-up: every segment is read through; a record cut short by a crash, or one whose length
 * or CRC is wrong, ends its segment there: the file is truncated to the last whole record and the
 * cut bytes are reported to {@link Listener#truncated}. A file that does not start with the
 * magic bytes is deleted. Nothing in a spool folder makes opening it throw but an I/O error.
 *
 * <p>Bound: the segments' total size stays at most {@code maxBytes}: before an append that would
 * pass it, the oldest segments are deleted and their unsent events reported to {@link
 * Listener#dropped}.
 *
 * <p>The folder is locked ({@code lock}) while open: a second spool on it fails to open. Not
 * thread-safe: one thread (the sender's) uses it.
 */
final class Spool implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(Spool.class);
  private static final String SUFFIX = ".seg";

  /** What the spool reports. */
  interface Listener {
    /** Unsent events deleted to keep the bound. */
    void dropped(long events);

    /** Bytes cut from a segment at start-up (a torn or corrupt tail). */
    void truncated(long bytes);
  }

  private static final class Segment {
    final long seq;
    final Path path;
    long size;
    int records;
    long events;

    Segment(long seq, Path path) {
      this.seq = seq;
      this.path = path;
    }
  }

  private final Path dir;
  private final long maxBytes;
  private final long segmentBytes;
  private final Listener listener;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Deque<Segment> segments = new ArrayDeque<>();
  private @Nullable FileChannel head;
  private @Nullable FileChannel reader;
  /** Position, records and events already read (and acknowledged) in the oldest segment. */
  private long readOffset;
  private int readRecords;
  private long readEvents;
  private SpoolCodec.@Nullable Read peeked;
  private long nextSeq;

  /**
   * Opens (creating) the spool folder, locks it, and recovers its segments.
   *
   * @throws IOException if the folder cannot be created, read or locked
   */
  Spool(Path dir, long maxBytes, Listener listener) throws IOException {
    this.dir = dir;
    this.maxBytes = maxBytes;
    // Several segments per bound, so that the bound drops a fraction of the spool at a time.
    this.segmentBytes = Math.max(SpoolCodec.MAGIC.length + 1, Math.min(16L << 20, maxBytes / 8));
    this.listener = listener;
    Files.createDirectories(dir);
    this.lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null;
    }
    if (l == null) {
      lockChannel.close();
      throw new IOException("spool folder " + dir + " is locked by another process or sender"
          + " (expected: one proxy per spool_dir)");
    }
    this.lock = l;
    try {
      recover();
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private void recover() throws IOException {
    List<Segment> found = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        if (name.endsWith(SUFFIX) && Files.isRegularFile(p)) {
          String digits = name.substring(0, name.length() - SUFFIX.length());
          if (!digits.isEmpty() && digits.length() <= 18 && digits.chars().allMatch(
              c -> c >= '0' && c <= '9')) {
            found.add(new Segment(Long.parseLong(digits), p));
          }
        }
      }
    }
    found.sort((a, b) -> Long.compare(a.seq, b.seq));
    for (Segment s : found) {
      nextSeq = Math.max(nextSeq, s.seq + 1);
      if (scan(s)) {
        segments.add(s);
      }
    }
    Cursor c = readCursor();
    Segment first = segments.peekFirst();
    if (c != null && first != null && c.seq == first.seq && c.offset <= first.size) {
      // Only a record boundary is accepted: walk the records to it.
      try (FileChannel ch = FileChannel.open(first.path, StandardOpenOption.READ)) {
        long at = SpoolCodec.MAGIC.length;
        int records = 0;
        long events = 0;
        while (at < c.offset) {
          SpoolCodec.Read r = read(ch, at, first.size);
          if (r.status() != SpoolCodec.Status.OK) {
            break;
          }
          at += r.size();
          records++;
          events += r.batch().events();
        }
        if (at == c.offset) {
          readOffset = at;
          readRecords = records;
          readEvents = events;
        }
      }
    }
    if (first != null && readOffset == 0) {
      readOffset = SpoolCodec.MAGIC.length;
    }
    dropDrained();
  }

  /** Reads a segment through, truncating a bad tail; returns false if it was deleted. */
  private boolean scan(Segment s) throws IOException {
    try (FileChannel ch = FileChannel.open(s.path, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      long size = ch.size();
      ByteBuffer magic = ByteBuffer.allocate(SpoolCodec.MAGIC.length);
      readFully(ch, magic, 0);
      if (magic.position() < SpoolCodec.MAGIC.length
          || !java.util.Arrays.equals(magic.array(), SpoolCodec.MAGIC)) {
        logger.warn("command spool: {} is not a spool segment; deleted", s.path.getFileName());
        listener.truncated(size);
        ch.close();
        Files.delete(s.path);
        return false;
      }
      long at = SpoolCodec.MAGIC.length;
      while (at < size) {
        SpoolCodec.Read r = read(ch, at, size);
        if (r.status() != SpoolCodec.Status.OK) {
          logger.warn("command spool: {} has a {} record at byte {}; {} bytes cut",
              s.path.getFileName(), r.status().name().toLowerCase(java.util.Locale.ROOT), at,
              size - at);
          listener.truncated(size - at);
          ch.truncate(at);
          ch.force(true);
          break;
        }
        at += r.size();
        s.records++;
        s.events += r.batch().events();
      }
      s.size = at;
    }
    if (s.records == 0) {
      Files.delete(s.path);
      return false;
    }
    return true;
  }

  /** Reads the record at {@code at} of a file of {@code size} bytes. */
  private static SpoolCodec.Read read(FileChannel ch, long at, long size) throws IOException {
    long left = size - at;
    if (left < SpoolCodec.HEADER) {
      return new SpoolCodec.Read(left == 0 ? SpoolCodec.Status.END : SpoolCodec.Status.TRUNCATED,
          null, 0);
    }
    ByteBuffer header = ByteBuffer.allocate(SpoolCodec.HEADER);
    readFully(ch, header, at);
    int length = header.getInt(0);
    if (length < SpoolCodec.MIN_PAYLOAD || length > SpoolCodec.MAX_PAYLOAD) {
      return new SpoolCodec.Read(SpoolCodec.Status.CORRUPT, null, 0);
    }
    if (left - SpoolCodec.HEADER < length) {
      return new SpoolCodec.Read(SpoolCodec.Status.TRUNCATED, null, 0);
    }
    ByteBuffer record = ByteBuffer.allocate(SpoolCodec.HEADER + length);
    readFully(ch, record, at);
    record.flip();
    return SpoolCodec.decode(record);
  }

  private static void readFully(FileChannel ch, ByteBuffer into, long at) throws IOException {
    while (into.hasRemaining()) {
      int n = ch.read(into, at + into.position());
      if (n < 0) {
        return;
      }
    }
  }

  /** Returns whether no batch waits. */
  boolean isEmpty() {
    return segments.isEmpty();
  }

  /** Returns the bytes of the segment files. */
  long bytes() {
    long n = 0;
    for (Segment s : segments) {
      n += s.size;
    }
    return n;
  }

  /** Returns how many batches wait to be sent. */
  long batches() {
    long n = -readRecords;
    for (Segment s : segments) {
      n += s.records;
    }
    return Math.max(0, n);
  }

  /** Returns how many events wait to be sent. */
  long events() {
    long n = -readEvents;
    for (Segment s : segments) {
      n += s.events;
    }
    return Math.max(0, n);
  }

  /**
   * Appends a batch and forces it to disk; deletes the oldest segments first when the bound
   * would be passed. A batch larger than the bound on its own is dropped (and reported).
   */
  void append(Batch batch) throws IOException {
    byte[] record = SpoolCodec.encode(batch);
    if (record.length + SpoolCodec.MAGIC.length > maxBytes) {
      listener.dropped(batch.events());
      return;
    }
    while (!segments.isEmpty() && bytes() + record.length
        + (needsNewSegment(record.length) ? SpoolCodec.MAGIC.length : 0) > maxBytes) {
      dropOldest();
    }
    if (needsNewSegment(record.length)) {
      closeHead();
      Segment s = new Segment(nextSeq++, dir.resolve(String.format("%018d%s", nextSeq - 1,
          SUFFIX)));
      FileChannel ch = FileChannel.open(s.path, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      writeFully(ch, ByteBuffer.wrap(SpoolCodec.MAGIC));
      s.size = SpoolCodec.MAGIC.length;
      if (segments.isEmpty()) {
        readOffset = SpoolCodec.MAGIC.length;
        readRecords = 0;
        readEvents = 0;
      }
      segments.addLast(s);
      head = ch;
    }
    FileChannel ch = head;
    Segment s = segments.getLast();
    ch.position(s.size);
    writeFully(ch, ByteBuffer.wrap(record));
    ch.force(false);
    s.size += record.length;
    s.records++;
    s.events += batch.events();
  }

  private boolean needsNewSegment(int recordLength) {
    Segment last = segments.peekLast();
    return head == null || last == null || last.size + recordLength > segmentBytes
        && last.records > 0;
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /** Returns the oldest unsent batch, or null when the spool is empty. */
  @Nullable Batch peek() throws IOException {
    if (peeked != null) {
      return peeked.batch();
    }
    Segment s = segments.peekFirst();
    if (s == null) {
      return null;
    }
    if (reader == null) {
      reader = FileChannel.open(s.path, StandardOpenOption.READ);
    }
    SpoolCodec.Read r = read(reader, readOffset, s.size);
    if (r.status() != SpoolCodec.Status.OK) {
      // Changed under us since start-up: give the rest of this segment up.
      logger.warn("command spool: {} changed on disk at byte {}; rest of the segment dropped",
          s.path.getFileName(), readOffset);
      dropOldest();
      return peek();
    }
    peeked = r;
    return r.batch();
  }

  /**
   * Marks the batch {@link #peek} returned as sent; a batch whose segment the bound deleted
   * meanwhile (another id at the head) is ignored.
   */
  void ack(UUID id) throws IOException {
    SpoolCodec.Read r = peeked;
    if (r == null || !r.batch().id().equals(id)) {
      return;
    }
    peeked = null;
    readOffset += r.size();
    readRecords++;
    readEvents += r.batch().events();
    dropDrained();
    writeCursor();
  }

  /** Deletes the oldest segments that were read through. */
  private void dropDrained() throws IOException {
    Segment s = segments.peekFirst();
    while (s != null && readRecords >= s.records && readOffset >= s.size) {
      removeFirst();
      s = segments.peekFirst();
    }
  }

  private void dropOldest() throws IOException {
    Segment s = segments.peekFirst();
    if (s == null) {
      return;
    }
    long unsent = s.events - readEvents;
    if (unsent > 0) {
      listener.dropped(unsent);
    }
    removeFirst();
  }

  private void removeFirst() throws IOException {
    Segment s = segments.removeFirst();
    if (reader != null) {
      reader.close();
      reader = null;
    }
    peeked = null;
    if (segments.isEmpty()) {
      closeHead();
    }
    Files.deleteIfExists(s.path);
    readOffset = SpoolCodec.MAGIC.length;
    readRecords = 0;
    readEvents = 0;
    writeCursor();
  }

  private void closeHead() throws IOException {
    if (head != null) {
      head.close();
      head = null;
    }
  }

  private record Cursor(long seq, long offset) {}

  private @Nullable Cursor readCursor() {
    Path f = dir.resolve("cursor");
    try {
      String[] parts = Files.readString(f, StandardCharsets.US_ASCII).trim().split(" ");
      return parts.length == 2 ? new Cursor(Long.parseLong(parts[0]), Long.parseLong(parts[1]))
          : null;
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }

  private void writeCursor() throws IOException {
    Path f = dir.resolve("cursor");
    Segment s = segments.peekFirst();
    if (s == null) {
      Files.deleteIfExists(f);
      return;
    }
    Path tmp = dir.resolve("cursor.tmp");
    Files.writeString(tmp, s.seq + " " + readOffset + "\n", StandardCharsets.US_ASCII);
    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Closes the files and releases the folder's lock. */
  @Override
  public void close() throws IOException {
    try {
      closeHead();
      if (reader != null) {
        reader.close();
        reader = null;
      }
    } finally {
      if (lock.isValid()) {
        lock.release();
      }
      lockChannel.close();
    }
  }
}
