package dev.custos.proxy.internal.telemetry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.io.Writer;
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
import org.jspecify.annotations.Nullable;
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
 * @param <T> the items written
 */
public final class JsonLinesWriter<T> implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(JsonLinesWriter.class);
  private static final JsonFactory JSON = new JsonFactory();
  static final long FLUSH_INTERVAL_MILLIS = 50;

  /** Writes one item as a JSON object; the writer adds the line break. */
  @FunctionalInterface
  public interface Format<T> {
    /** Writes {@code item} to {@code g} as one JSON value. */
    void write(T item, JsonGenerator g) throws IOException;
  }

  private final String name;
  private final BlockingQueue<T> queue;
  private final int wakeAt;
  private final Writer writer;
  private final boolean closeTarget;
  private final Format<T> format;
  private final LongConsumer onDrop;
  private final Thread thread;
  private volatile boolean closing;

  private JsonLinesWriter(String name, Writer writer, boolean closeTarget, int capacity,
      Format<T> format, LongConsumer onDrop) {
    this.name = name;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.wakeAt = Math.max(1, capacity / 4);
    this.writer = writer;
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
    Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    return new JsonLinesWriter<>(name, w, true, capacity, format, onDrop);
  }

  /** Starts a writer thread that writes to {@code out}, which closing the writer leaves open. */
  public static <T> JsonLinesWriter<T> toStream(String name, OutputStream out, int capacity,
      Format<T> format, LongConsumer onDrop) {
    Writer w = new java.io.BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
    return new JsonLinesWriter<>(name, w, false, capacity, format, onDrop);
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
            String line = line(item);
            if (line != null) {
              writer.write(line);
              writer.write('\n');
            }
          }
          batch.clear();
          writer.flush();
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

  private @Nullable String line(T item) {
    StringWriter sw = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(sw)) {
      format.write(item, g);
    } catch (IOException | RuntimeException e) {
      logger.warn("{} line dropped: {}", name, e.getClass().getName());
      onDrop.accept(1);
      return null;
    }
    return sw.toString();
  }

  /** Writes what is queued (waiting up to 5 seconds), then releases the target. */
  @Override
  public void close() {
    closing = true;
    LockSupport.unpark(thread);
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
      if (closeTarget) {
        writer.close();
      } else {
        writer.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      logger.warn("{} close failed: {}", name, e.getClass().getName());
    }
  }
}
