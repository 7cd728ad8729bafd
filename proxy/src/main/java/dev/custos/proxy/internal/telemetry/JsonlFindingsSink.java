package dev.custos.proxy.internal.telemetry;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
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
  // Field names as their quoted bytes, made once rather than per event.
  private static final SerializedString TIME = new SerializedString("time");
  private static final SerializedString ROUTE = new SerializedString("route");
  private static final SerializedString CLUSTER = new SerializedString("cluster");
  private static final SerializedString SERVICE = new SerializedString("service");
  private static final SerializedString PROTOCOL = new SerializedString("protocol");
  private static final SerializedString DIRECTION = new SerializedString("direction");
  private static final SerializedString IDENTITY_HASH = new SerializedString("identity_hash");
  private static final SerializedString CATEGORY = new SerializedString("category");
  private static final SerializedString HASH = new SerializedString("hash");
  private static final SerializedString PREVIEW = new SerializedString("preview");
  private static final SerializedString BLOCKED_BY = new SerializedString("blocked_by");
  private static final SerializedString STAGE = new SerializedString("stage");
  private static final SerializedString ALERT = new SerializedString("alert");
  private static final SerializedString SHADOW = new SerializedString("shadow");
  private static final SerializedString UNINSPECTABLE = new SerializedString("uninspectable");
  private static final SerializedString INSPECTED_BYTES = new SerializedString("inspected_bytes");
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
    g.writeFieldName(TIME);
    g.writeString(e.time().toString());
    g.writeFieldName(ROUTE);
    g.writeString(e.route());
    if (!e.cluster().isEmpty()) {
      g.writeFieldName(CLUSTER);
      g.writeString(e.cluster());
    }
    if (!e.service().isEmpty()) {
      g.writeFieldName(SERVICE);
      g.writeString(e.service());
    }
    if (!e.protocol().equals("http")) {
      g.writeFieldName(PROTOCOL);
      g.writeString(e.protocol());
    }
    g.writeFieldName(DIRECTION);
    g.writeString(e.direction().id());
    g.writeFieldName(IDENTITY_HASH);
    g.writeString(e.identityHash());
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
        g.writeFieldName(CATEGORY);
        g.writeString(v.category());
        g.writeFieldName(HASH);
        g.writeString(v.hash());
        if (!v.preview().isEmpty()) {
          g.writeFieldName(PREVIEW);
          g.writeString(v.preview());
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
      g.writeFieldName(BLOCKED_BY);
      g.writeString(e.blockedBy());
      g.writeFieldName(STAGE);
      g.writeString(e.stage());
    }
    g.writeFieldName(ALERT);
    g.writeBoolean(e.alert());
    g.writeFieldName(SHADOW);
    g.writeBoolean(e.shadow());
    if (e.uninspectable() != null) {
      g.writeFieldName(UNINSPECTABLE);
      g.writeString(e.uninspectable());
    }
    g.writeFieldName(INSPECTED_BYTES);
    g.writeNumber(e.inspectedBytes());
    g.writeEndObject();
  }

  @Override
  public void close() {
    writer.close();
  }
}
