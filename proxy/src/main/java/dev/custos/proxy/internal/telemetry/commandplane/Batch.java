package dev.custos.proxy.internal.telemetry.commandplane;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.internal.telemetry.JsonlFindingsSink;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * One batch for the command plane: its id (the {@code Custos-Batch-Id}, kept across retries), how
 * many events it holds, and its body, the events' JSON lines gzipped. Immutable (the body array
 * is never changed after construction).
 *
 * @param id the batch id
 * @param events the number of JSON lines in the body, 1 or more
 * @param body the gzipped JSON lines, each ending with a line feed
 */
record Batch(UUID id, int events, byte[] body) {
  /** The plane's bound on a batch's uncompressed body. */
  static final int MAX_UNCOMPRESSED = 4 << 20;
  private static final JsonFactory JSON = new JsonFactory();

  Batch {
    requireNonNull(id, "id");
    requireNonNull(body, "body");
    if (events < 1) {
      throw new IllegalArgumentException("events: " + events + " (expected: > 0)");
    }
  }

  /** Returns the JSON line of one event, without the line feed. */
  static byte[] line(FindingsEvent event) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      JsonlFindingsSink.write(event, g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Returns a batch of {@code lines} (each without its line feed) under a new random id. */
  static Batch of(List<byte[]> lines) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes, 8192)) {
      for (byte[] l : lines) {
        gz.write(l);
        gz.write('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Batch(UUID.randomUUID(), lines.size(), bytes.toByteArray());
  }

  /**
   * Returns the body's lines, without line feeds.
   *
   * @throws IOException if the body is not gzip
   */
  List<byte[]> lines() throws IOException {
    byte[] plain;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      plain = in.readNBytes(MAX_UNCOMPRESSED + 1);
    }
    List<byte[]> out = new ArrayList<>(events);
    int start = 0;
    for (int i = 0; i < plain.length; i++) {
      if (plain[i] == '\n') {
        out.add(java.util.Arrays.copyOfRange(plain, start, i));
        start = i + 1;
      }
    }
    if (start < plain.length) {
      out.add(java.util.Arrays.copyOfRange(plain, start, plain.length));
    }
    return out;
  }

  /**
   * Returns the batch cut in two halves by lines, each under a new id, for a plane that answered
   * 413; a batch of one event cannot be split and returns an empty list.
   */
  List<Batch> halves() throws IOException {
    List<byte[]> lines = lines();
    if (lines.size() < 2) {
      return List.of();
    }
    int mid = lines.size() / 2;
    return List.of(of(lines.subList(0, mid)), of(lines.subList(mid, lines.size())));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Batch b && id.equals(b.id) && events == b.events
        && java.util.Arrays.equals(body, b.body);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return "Batch{" + id + ", " + events + " events, " + body.length + " bytes}";
  }
}
