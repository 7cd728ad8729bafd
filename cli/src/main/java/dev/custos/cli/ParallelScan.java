package dev.custos.cli;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.ContentType;
import dev.custos.engine.Finding;
import dev.custos.engine.Scanner;
import dev.custos.engine.StreamScanner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;

/**
 * Scans one large text or JSON-lines file on several threads, giving the findings one stream over
 * the whole file gives, in the same order.
 *
 * <p>The file is cut into ranges of about {@link Settings#rangeBytes()} at <em>boundaries</em>:
 * the starts of lines (for JSON, of lines at nesting depth 0 outside strings, where a document
 * starts). Each range is scanned by its own stream on a worker thread, and that stream also sees
 * {@link Settings#reachBytes()} or more before the range (its lead-in, from an earlier boundary)
 * and after it (its lead-out, to a later boundary), more than any decision of the engine looks
 * around a match (twice the longest match of 64 KiB, the context window, a keyword). A range
 * keeps the findings that start inside it, so each finding comes from exactly one range, decided
 * on the same bytes around it as in one stream. Ranges are handed to the caller in file order,
 * on the calling thread; at most two per thread are in flight, so memory is bounded.
 *
 * <p>Where this could differ from one stream, the scan stops being parallel and says where one
 * stream must take over ({@link Outcome#streamStart()}, from a boundary before any doubt): when a
 * range's stream notes anything (malformed JSON makes one stream read the rest as text, which a
 * range starting later would not), when a NUL byte appears (the text may not be UTF-8), or when no
 * boundary comes for {@link Settings#maxRangeBytes()} (one long document: a range would not be
 * bounded). A stream started at a boundary is in the state one stream would be in there: at the
 * top level of JSON, which every range before it parsed without a note.
 */
final class ParallelScan implements AutoCloseable {
  /**
   * How ranges are cut.
   *
   * @param threads worker threads
   * @param minFileBytes files smaller than this are scanned by one stream
   * @param rangeBytes a range ends at the first boundary this far past its start
   * @param reachBytes the least lead-in and lead-out of a range's stream
   * @param maxRangeBytes a range (with its lead-in and lead-out) longer than this ends the
   *     parallel scan
   */
  record Settings(int threads, long minFileBytes, int rangeBytes, int reachBytes, int maxRangeBytes) {
    Settings {
      if (threads < 1 || minFileBytes < 0 || rangeBytes <= reachBytes || reachBytes < 1
          || maxRangeBytes < rangeBytes + 2 * reachBytes) {
        throw new IllegalArgumentException("parallel scan settings: " + threads + ", " + minFileBytes
            + ", " + rangeBytes + ", " + reachBytes + ", " + maxRangeBytes);
      }
    }

    /** The settings for {@code threads} threads: 8 MiB ranges, 256 KiB of reach, files from 32 MiB. */
    static Settings of(int threads) {
      return new Settings(threads, 32L << 20, 8 << 20, 256 << 10, 64 << 20);
    }
  }

  /**
   * A scanned range: the findings that start in {@code [from, to)} (offsets into the file), in
   * stream order, and the range's bytes, {@code bytes[offset, offset + to - from)}.
   */
  record Range(long from, long to, byte[] bytes, int offset, List<Finding> findings) {}

  /** Takes the ranges in file order; returns false to stop the scan (the output was closed). */
  interface Output {
    boolean range(Range range) throws IOException;
  }

  /**
   * How a scan ended: {@code complete}, or stopped by the output, or else one stream must scan on
   * from {@code streamStart} (a boundary) and report the findings from {@code keepFrom} on (what
   * the output has not had).
   */
  record Outcome(boolean complete, boolean stopped, long streamStart, long keepFrom) {
    static final Outcome COMPLETE = new Outcome(true, false, 0, 0);
    static final Outcome STOPPED = new Outcome(false, true, 0, 0);
  }

  /** What one range's stream produced. */
  private record Result(long streamStart, Range range, boolean noted) {}

  /** A range to scan: its stream reads {@code [streamStart, end)} and keeps {@code [from, to)}. */
  private record Job(long streamStart, long from, long to, long end) {}

  private static final int READ_BLOCK = 1 << 20;
  /** The buffers of ranges in flight take at most this fraction (1 / n) of the heap. */
  private static final int IN_FLIGHT_SHARE = 4;

  // Byte classes for the structural pass.
  private static final byte PLAIN = 0;
  private static final byte QUOTE = 1;
  private static final byte BACKSLASH = 2;
  private static final byte OPEN = 3;
  private static final byte CLOSE = 4;
  private static final byte NEWLINE = 5;
  private static final byte NUL = 6;
  private static final byte[] CLASSES = new byte[256];

  static {
    CLASSES['"'] = QUOTE;
    CLASSES['\\'] = BACKSLASH;
    CLASSES['{'] = OPEN;
    CLASSES['['] = OPEN;
    CLASSES['}'] = CLOSE;
    CLASSES[']'] = CLOSE;
    CLASSES['\n'] = NEWLINE;
    CLASSES[0] = NUL;
  }

  private final Settings settings;
  private final ExecutorService workers;
  /** Range buffers handed back by the output, for reuse. */
  private final ConcurrentLinkedQueue<byte[]> spare = new ConcurrentLinkedQueue<>();

  ParallelScan(Settings settings) {
    this.settings = requireNonNull(settings, "settings");
    this.workers = Executors.newFixedThreadPool(settings.threads(), r -> {
      Thread t = new Thread(r, "custos-scan");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Scans {@code file} (whose first bytes have been checked: not UTF-16 or UTF-32) as {@code type},
   * {@link ContentType#JSON} or {@link ContentType#TEXT}.
   */
  Outcome scan(Scanner scanner, ContentType type, Path file, Output output) throws IOException {
    if (type != ContentType.JSON && type != ContentType.TEXT) {
      throw new IllegalArgumentException("content type: " + type + " (expected: json or text)");
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return new Run(scanner, type == ContentType.JSON, channel, output).run();
    }
  }

  @Override
  public void close() {
    workers.shutdownNow();
  }

  /** One file's scan: cuts ranges as it reads, and hands results on in order. */
  private final class Run {
    private final Scanner scanner;
    private final boolean json;
    private final FileChannel channel;
    private final Output output;
    private final ArrayDeque<Future<Result>> inFlight = new ArrayDeque<>();
    /** The bytes each range in flight reads, in the same order as {@link #inFlight}. */
    private final ArrayDeque<Integer> inFlightLengths = new ArrayDeque<>();
    /** The sum of {@link #inFlightLengths}. */
    private long inFlightBytes;
    /** Ranges whose end (the lead-out's boundary) has not come yet, in order. */
    private final ArrayDeque<Job> waiting = new ArrayDeque<>();
    private long start;
    private long from;
    /** The last boundary far enough before the next cut to start the next range's stream. */
    private long leadIn;
    /** Set when the reader stops cutting ranges: one stream takes over where it says. */
    private @Nullable Outcome takeOver;
    /** Set when a range's result ends the scan: a note, or the output stopped. */
    private @Nullable Outcome stop;

    // The structure of the bytes read so far.
    private int depth;
    private boolean inString;
    private boolean escaped;
    private boolean atLineStart;

    Run(Scanner scanner, boolean json, FileChannel channel, Output output) {
      this.scanner = scanner;
      this.json = json;
      this.channel = channel;
      this.output = output;
    }

    Outcome run() throws IOException {
      try {
        ByteBuffer block = ByteBuffer.allocate(READ_BLOCK);
        long pos = 0;
        while (reading()) {
          block.clear();
          int n = channel.read(block);
          if (n < 0) {
            break;
          }
          pos = structure(block.array(), n, pos);
          if (reading() && (pos - start > settings.maxRangeBytes()
              || (!waiting.isEmpty() && pos - waiting.peekFirst().streamStart() > settings.maxRangeBytes()))) {
            takeOver = takeOverAtFirstNotSubmitted();
          }
        }
        if (reading()) {
          while (!waiting.isEmpty() && stop == null) {
            Job j = waiting.pollFirst();
            submit(new Job(j.streamStart(), j.from(), j.to(), pos));
          }
          if (stop == null && (from < pos || inFlight.isEmpty())) {
            submit(new Job(start, from, pos, pos));
          }
        }
        if (stop == null) {
          stop = drain(0);
        }
        return stop != null ? stop : takeOver != null ? takeOver : Outcome.COMPLETE;
      } finally {
        for (Future<Result> f : inFlight) {
          f.cancel(true);
        }
      }
    }

    private boolean reading() {
      return takeOver == null && stop == null;
    }

    /** Where one stream takes over when the reader stops: the first range not yet submitted. */
    private Outcome takeOverAtFirstNotSubmitted() {
      Job first = waiting.peekFirst();
      return first != null
          ? new Outcome(false, false, first.streamStart(), first.from())
          : new Outcome(false, false, start, from);
    }

    /**
     * Follows the structure of {@code bytes[0, n)} at file offset {@code pos}; returns the offset
     * after (where it stopped, when it stopped reading). The state lives in locals while a block
     * is followed: this pass runs over every byte on the reading thread.
     */
    private long structure(byte[] bytes, int n, long pos) throws IOException {
      int depth = this.depth;
      boolean inString = this.inString;
      boolean escaped = this.escaped;
      boolean lineStart = this.atLineStart;
      int i = 0;
      try {
        while (i < n) {
          byte b = bytes[i];
          if (lineStart) {
            lineStart = false;
            // A byte-order mark here would make a stream starting here decode it as one.
            if (b != (byte) 0xEF && b != (byte) 0xFE && b != (byte) 0xFF) {
              boundary(pos + i);
              if (!reading()) {
                return pos + i;
              }
            }
          }
          i++;
          if (escaped) {
            escaped = false;
            if (b != 0) {
              continue;
            }
          }
          int c = CLASSES[b & 0xFF];
          if (c == PLAIN) {
            continue;
          }
          if (c == NUL) {
            takeOver = takeOverAtFirstNotSubmitted();
            return pos + i - 1;
          }
          if (!json) {
            lineStart = c == NEWLINE;
          } else if (inString) {
            if (c == BACKSLASH) {
              escaped = true;
            } else if (c == QUOTE) {
              inString = false;
            }
          } else if (c == QUOTE) {
            inString = true;
          } else if (c == OPEN) {
            depth++;
          } else if (c == CLOSE) {
            // Below 0 the JSON is malformed: no boundary follows (the range's stream will note it).
            depth = depth > 0 ? depth - 1 : Integer.MIN_VALUE / 2;
          } else if (c == NEWLINE) {
            lineStart = depth == 0;
          }
        }
        return pos + n;
      } finally {
        this.depth = depth;
        this.inString = inString;
        this.escaped = escaped;
        this.atLineStart = lineStart;
      }
    }

    /** A stream may start at {@code pos}: ends ranges waiting for it, and cuts the current one. */
    private void boundary(long pos) throws IOException {
      while (!waiting.isEmpty() && pos >= waiting.peekFirst().to() + settings.reachBytes()) {
        Job j = waiting.pollFirst();
        submit(new Job(j.streamStart(), j.from(), j.to(), pos));
        if (stop != null) {
          return;
        }
      }
      if (pos <= from + settings.rangeBytes() - settings.reachBytes()) {
        leadIn = pos;
      }
      if (pos >= from + settings.rangeBytes()) {
        waiting.addLast(new Job(start, from, pos, -1));
        start = leadIn;
        from = pos;
      }
    }

    private void submit(Job job) throws IOException {
      int length = Math.toIntExact(job.end() - job.streamStart());
      inFlight.addLast(workers.submit(() -> scanRange(job)));
      inFlightLengths.addLast(length);
      inFlightBytes += length;
      stop = drain(2 * settings.threads());
    }

    /**
     * Hands finished ranges to the output in order, waiting while more than {@code max} are in
     * flight or their buffers take more than {@link #IN_FLIGHT_SHARE} of the heap (ranges of long
     * lines are larger, and many cores mean many ranges); returns how the scan ends, or null to go
     * on.
     */
    private @Nullable Outcome drain(int max) throws IOException {
      long budget = Runtime.getRuntime().maxMemory() / IN_FLIGHT_SHARE;
      while (!inFlight.isEmpty() && (inFlight.size() > max || inFlight.peekFirst().isDone()
          || (inFlight.size() > 1 && inFlightBytes > budget))) {
        inFlightBytes -= inFlightLengths.pollFirst();
        Result r = await(inFlight.pollFirst());
        if (r.noted()) {
          return new Outcome(false, false, r.streamStart(), r.range().from());
        }
        boolean more = output.range(r.range());
        spare.offer(r.range().bytes());
        if (!more) {
          return Outcome.STOPPED;
        }
      }
      return null;
    }

    private Result await(Future<Result> f) throws IOException {
      try {
        return f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      } catch (CancellationException e) {
        throw new IllegalStateException("a range was cancelled", e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof UncheckedIOException u) {
          throw u.getCause();
        }
        if (cause instanceof RuntimeException r) {
          throw r;
        }
        if (cause instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException(cause);
      }
    }

    /** Runs on a worker: reads and scans one range. */
    private Result scanRange(Job job) {
      int length = Math.toIntExact(job.end() - job.streamStart());
      byte[] bytes = buffer(length);
      try {
        ByteBuffer into = ByteBuffer.wrap(bytes, 0, length);
        long at = job.streamStart();
        while (into.hasRemaining()) {
          int n = channel.read(into, at);
          if (n < 0) {
            throw new IOException("file shrank while scanned");
          }
          at += n;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      List<Finding> kept = new ArrayList<>();
      boolean noted;
      try (StreamScanner stream = scanner.newStream(json ? ContentType.JSON : ContentType.TEXT)) {
        for (int off = 0; off < length; off += ScanCommand.CHUNK_SIZE) {
          keep(stream.feed(bytes, off, Math.min(ScanCommand.CHUNK_SIZE, length - off)), job, kept);
        }
        keep(stream.finish(), job, kept);
        noted = !stream.notes().isEmpty();
      }
      int offset = (int) (job.from() - job.streamStart());
      return new Result(job.streamStart(), new Range(job.from(), job.to(), bytes, offset, kept), noted);
    }

    private byte[] buffer(int length) {
      for (int tries = 0; tries < 4; tries++) {
        byte[] b = spare.poll();
        if (b == null) {
          break;
        }
        if (b.length >= length) {
          return b;
        }
      }
      return new byte[Math.max(length, settings.rangeBytes() + 2 * settings.reachBytes() + (64 << 10))];
    }
  }

  /** Keeps, with file offsets, the findings of a range's stream that start inside the range. */
  private static void keep(List<Finding> findings, Job job, List<Finding> kept) {
    for (Finding f : findings) {
      long start = f.start() + job.streamStart();
      if (start >= job.from() && start < job.to()) {
        kept.add(shift(f, job.streamStart()));
      }
    }
  }

  /** Returns the finding with its offsets moved by {@code by}. */
  static Finding shift(Finding f, long by) {
    if (by == 0) {
      return f;
    }
    return Finding.of(f.category(), f.detector(), f.start() + by, f.end() + by, f.jsonPath(),
        f.confidence(), f.evidence(), f.allowedByRules(), f.qualifier());
  }
}
