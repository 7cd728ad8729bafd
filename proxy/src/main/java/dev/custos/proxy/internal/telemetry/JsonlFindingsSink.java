package dev.custos.proxy.internal.telemetry;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.FindingsSink;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Appends findings events as JSON lines from one background thread ({@link JsonLinesWriter}).
 * {@link #accept} only offers the event to a bounded queue (it never blocks an event loop); events
 * past the queue's capacity are dropped and counted. Thread-safe.
 */
public final class JsonlFindingsSink implements FindingsSink.Closeable {
  private final AtomicLong dropped = new AtomicLong();
  private final JsonLinesWriter<FindingsEvent> writer;

  /** Opens {@code file} for appending; the writer thread starts at once. */
  public JsonlFindingsSink(Path file, int capacity) throws IOException {
    this.writer = JsonLinesWriter.toFile(
        "findings", file, capacity, JsonlFindingsSink::write, dropped::addAndGet);
  }

  @Override
  public void accept(FindingsEvent event) {
    writer.offer(event);
  }

  @Override
  public long dropped() {
    return dropped.get();
  }

  /**
   * Writes one event as a JSON object: the findings file's line, also the command plane's
   * ingestion format.
   */
  public static void write(FindingsEvent e, JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeStringField("time", e.time().toString());
    g.writeStringField("route", e.route());
    if (!e.cluster().isEmpty()) {
      g.writeStringField("cluster", e.cluster());
    }
    if (!e.service().isEmpty()) {
      g.writeStringField("service", e.service());
    }
    if (!e.protocol().equals("http")) {
      g.writeStringField("protocol", e.protocol());
    }
    g.writeStringField("direction", e.direction().id());
    g.writeStringField("identity_hash", e.identityHash());
    g.writeObjectFieldStart("categories");
    for (Map.Entry<String, Integer> c : new TreeMap<>(e.categories()).entrySet()) {
      g.writeNumberField(c.getKey(), c.getValue());
    }
    g.writeEndObject();
    g.writeArrayFieldStart("locations");
    for (String l : new TreeSet<>(e.locations())) {
      g.writeString(l);
    }
    g.writeEndArray();
    if (!e.paths().isEmpty()) {
      g.writeArrayFieldStart("paths");
      for (String p : e.paths()) {
        g.writeString(p);
      }
      g.writeEndArray();
    }
    if (!e.values().isEmpty()) {
      g.writeArrayFieldStart("evidence");
      for (FindingsEvent.Value v : e.values()) {
        g.writeStartObject();
        g.writeStringField("category", v.category());
        g.writeStringField("hash", v.hash());
        if (!v.preview().isEmpty()) {
          g.writeStringField("preview", v.preview());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    g.writeArrayFieldStart("actions");
    for (String a : e.actions()) {
      g.writeString(a);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("rules");
    for (String r : e.rules()) {
      g.writeString(r);
    }
    g.writeEndArray();
    if (e.blockedBy() != null) {
      g.writeStringField("blocked_by", e.blockedBy());
      g.writeStringField("stage", e.stage());
    }
    g.writeBooleanField("alert", e.alert());
    g.writeBooleanField("shadow", e.shadow());
    if (e.uninspectable() != null) {
      g.writeStringField("uninspectable", e.uninspectable());
    }
    g.writeNumberField("inspected_bytes", e.inspectedBytes());
    g.writeEndObject();
  }

  @Override
  public void close() {
    writer.close();
  }
}
