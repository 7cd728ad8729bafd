package dev.custos.proxy.internal.telemetry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends items as JSON lines from one background thread. {@link #offer} only offers the item to a
 * bounded queue and never blocks, so event loops may call it; an item that finds the queue full
 * (or the writer closed) is dropped and reported to the drop counter. Items are formatted on the
 * writer thread. Memory is bounded by the queue's capacity. Thread-safe.
 *
 * <p>The writer wakes every {@value #FLUSH_INTERVAL_MILLIS} ms, or sooner when the queue is a
 * quarter full, and writes what has gathered with one flush. Callers therefore never wake it per
 * item: under load a wake-up and a write system call per request cost the proxy more than
 * formatting the line.
 *
 * <p>A line is formatted straight to UTF-8 bytes in a buffer the writer thread reuses (no
 * string, no second encoding pass); the bytes are those of formatting it to characters and
 * encoding them as UTF-8, which is what a line that cannot be formatted as bytes (a lone
 * surrogate in one of its strings) falls back to.
 *
 * @param <T> the items written
 */
public final class JsonLinesWriter<T> implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(JsonLinesWriter.class);
  private static final JsonFactory JSON = new JsonFactory();
  /** Writes a character outside the BMP as its four UTF-8 bytes, as encoding the text does. */
  private static final JsonFactory JSON_UTF8 =
      JsonFactory.builder().enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();
  static final long FLUSH_INTERVAL_MILLIS = 50;
  private static final int BUFFER = 64 * 1024;

  /** Writes one item as a JSON object; the writer adds the line break. */
  @FunctionalInterface
  public interface Format<T> {
    /** Writes {@code item} to {@code g} as one JSON value. */
    void write(T item, JsonGenerator g) throws IOException;
  }

  private final String name;
  private final BlockingQueue<T> queue;
  private final int wakeAt;
  private final OutputStream out;
  /** The line being formatted; used by the writer thread only. */
  private final LineBuffer line = new LineBuffer();
  private final boolean closeTarget;
  private final Format<T> format;
  private final LongConsumer onDrop;
  private final Thread thread;
  private volatile boolean closing;

  private JsonLinesWriter(String name, OutputStream out, boolean closeTarget, int capacity,
      Format<T> format, LongConsumer onDrop) {
    this.name = name;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.wakeAt = Math.max(1, capacity / 4);
    this.out = out;
    this.closeTarget = closeTarget;
    this.format = format;
    this.onDrop = onDrop;
    this.thread = new Thread(this::run, "custos-" + name + "-writer");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Opens {@code file} for appending (creating it) and starts the writer thread.
   *
   * @throws IOException if the file cannot be opened
   */
  public static <T> JsonLinesWriter<T> toFile(String name, Path file, int capacity,
      Format<T> format, LongConsumer onDrop) throws IOException {
    OutputStream w = new BufferedOutputStream(Files.newOutputStream(file,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE), BUFFER);
    return new JsonLinesWriter<>(name, w, true, capacity, format, onDrop);
  }

  /** Starts a writer thread that writes to {@code out}, which closing the writer leaves open. */
  public static <T> JsonLinesWriter<T> toStream(String name, OutputStream out, int capacity,
      Format<T> format, LongConsumer onDrop) {
    return new JsonLinesWriter<>(name, new BufferedOutputStream(out, BUFFER), false, capacity,
        format, onDrop);
  }

  /** Queues {@code item} for writing; returns false (and counts a drop) when the queue is full. */
  public boolean offer(T item) {
    if (closing || !queue.offer(item)) {
      onDrop.accept(1);
      return false;
    }
    if (queue.size() >= wakeAt) {
      LockSupport.unpark(thread);
    }
    return true;
  }

  private void run() {
    List<T> batch = new ArrayList<>();
    try {
      while (true) {
        // Read before draining: whatever was offered before close() set the flag is written.
        boolean last = closing;
        queue.drainTo(batch);
        if (!batch.isEmpty()) {
          for (T item : batch) {
            if (format(item)) {
              line.write('\n');
              line.writeTo(out);
            }
          }
          batch.clear();
          out.flush();
        }
        if (last || Thread.currentThread().isInterrupted()) {
          return;
        }
        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(FLUSH_INTERVAL_MILLIS));
      }
    } catch (IOException e) {
      logger.warn("{} write failed: {}", name, e.getClass().getName());
    }
  }

  /**
   * Formats {@code item} into {@link #line} as UTF-8; returns false (and counts a drop) when it
   * cannot be formatted.
   */
  private boolean format(T item) {
    line.reset();
    try (JsonGenerator g = JSON_UTF8.createGenerator(line, JsonEncoding.UTF8)) {
      format.write(item, g);
    } catch (IOException | RuntimeException e) {
      return formatAsText(item);
    }
    // The byte generator escapes a lone surrogate, which encoding the text replaces with '?'.
    return !line.mayHoldSurrogateEscape() || formatAsText(item);
  }

  /**
   * Formats {@code item} to characters and encodes them as UTF-8, as lines were written before
   * they were formatted as bytes: a lone surrogate, which the byte generator refuses, becomes
   * {@code ?}.
   */
  private boolean formatAsText(T item) {
    StringWriter sw = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(sw)) {
      format.write(item, g);
    } catch (IOException | RuntimeException e) {
      logger.warn("{} line dropped: {}", name, e.getClass().getName());
      onDrop.accept(1);
      return false;
    }
    line.reset();
    line.writeBytes(sw.toString().getBytes(StandardCharsets.UTF_8));
    return true;
  }

  /** The bytes of one line; reset, not reallocated, from one line to the next. */
  private static final class LineBuffer extends ByteArrayOutputStream {
    LineBuffer() {
      super(1024);
    }

    /**
     * Returns whether the bytes hold a backslash, {@code u} and {@code D} or {@code d}: the start
     * of a surrogate's escape (or of such text in a string, which costs only a second format).
     */
    boolean mayHoldSurrogateEscape() {
      for (int i = 0; i + 2 < count; i++) {
        if (buf[i] == '\\' && buf[i + 1] == 'u' && (buf[i + 2] == 'D' || buf[i + 2] == 'd')) {
          return true;
        }
      }
      return false;
    }
  }

  /** Writes what is queued (waiting up to 5 seconds), then releases the target. */
  @Override
  public void close() {
    closing = true;
    LockSupport.unpark(thread);
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
      if (closeTarget) {
        out.close();
      } else {
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      logger.warn("{} close failed: {}", name, e.getClass().getName());
    }
  }
}
