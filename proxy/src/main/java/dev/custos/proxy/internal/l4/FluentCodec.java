package dev.custos.proxy.internal.l4;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custos.engine.ContentType;
import dev.custos.proxy.internal.inspect.RecordInspector;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.jspecify.annotations.Nullable;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ArrayValue;
import org.msgpack.value.MapValue;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/**
 * Fluentd's Forward protocol v1: a frame is one MessagePack array, {@code [tag, time, record,
 * option?]} (Message), {@code [tag, [[time, record], ...], option?]} (Forward) or {@code [tag,
 * entries, option?]} whose entries are the concatenated encodings of {@code [time, record]} as
 * bin or str (PackedForward), gzip-compressed when the option says {@code compressed: gzip}
 * (CompressedPackedForward). Any other frame (such as a {@code PING} of the handshake) is
 * forwarded unscanned.
 *
 * <p>A record is a map: its string values are scanned as the JSON document {@code {"record":
 * {...}}} (only strings, maps and arrays of the record are put in it), so that a finding's path
 * is {@code $.record.log} and the key is context, as a JSON key is. A redacted record is encoded
 * again with the rewritten strings and everything else as it was (time, numbers, binaries, key
 * order); a dropped entry is left out of its frame, and {@code size} in the option is corrected.
 * When every entry of a frame is dropped nothing is forwarded, and a requested ack ({@code chunk}
 * in the option) is answered by the proxy, so that the client does not send the chunk again.
 * Compressed entries are decompressed up to {@code maxDecoded} bytes; past that, or when the
 * entries do not decode, the frame is unscannable and forwarded or dropped as oversized frames
 * are.
 */
final class FluentCodec implements RecordCodec {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Value COMPRESSED = ValueFactory.newString("compressed");
  private static final Value CHUNK = ValueFactory.newString("chunk");
  private static final Value SIZE = ValueFactory.newString("size");
  private static final Value ACK = ValueFactory.newString("ack");

  private final RecordInspector inspector;
  private final TcpMetrics metrics;
  private final boolean forwardUnscannable;
  private final long maxDecoded;

  FluentCodec(RecordInspector inspector, TcpMetrics metrics, boolean forwardUnscannable,
      long maxDecoded) {
    this.inspector = inspector;
    this.metrics = metrics;
    this.forwardUnscannable = forwardUnscannable;
    this.maxDecoded = maxDecoded;
  }

  /** Thrown when a frame cannot be scanned: its entries do not decode or decode too large. */
  private static final class Unscannable extends Exception {
    final String reason;

    Unscannable(String reason) {
      super(reason, null, false, false);
      this.reason = reason;
    }
  }

  @Override
  public byte @Nullable [] encode(byte[] content, FrameSink.Framing framing,
      RecordInspector.Source source, Consumer<byte[]> reply) {
    try {
      return encode(content, source, reply);
    } catch (Unscannable e) {
      String decision = forwardUnscannable ? "forward" : "drop";
      inspector.uninspectable(e.reason, decision);
      metrics.record(forwardUnscannable ? "oversized_forwarded" : "oversized_dropped");
      return forwardUnscannable ? content : null;
    }
  }

  private byte @Nullable [] encode(byte[] content, RecordInspector.Source source,
      Consumer<byte[]> reply) throws Unscannable {
    Value frame;
    if (!MsgpackDecoder.wholeValues(content)) {
      throw new Unscannable("malformed_frame");
    }
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(content)) {
      frame = u.unpackValue();
    } catch (IOException | RuntimeException e) {
      throw new Unscannable("malformed_frame");
    }
    if (!frame.isArrayValue()) {
      metrics.record("unscanned");
      return content;
    }
    ArrayValue a = frame.asArrayValue();
    int n = a.size();
    if (n < 2 || !a.get(0).isStringValue()) {
      metrics.record("unscanned");
      return content;
    }
    Value second = a.get(1);
    if ((second.isIntegerValue() || second.isExtensionValue()) && (n == 3 || n == 4)
        && a.get(2).isMapValue() && (n == 3 || a.get(3).isMapValue())) {
      MapValue option = n == 4 ? a.get(3).asMapValue() : null;
      Value entry = ValueFactory.newArray(second, a.get(2));
      Value kept = entry(entry, source);
      if (kept == null) {
        ack(option, reply);
        return null;
      }
      if (kept == entry) {
        return content;
      }
      List<Value> out = new ArrayList<>(List.of(a.get(0), second, kept.asArrayValue().get(1)));
      if (option != null) {
        out.add(option);
      }
      return pack(ValueFactory.newArray(out));
    }
    if ((n == 2 || n == 3) && (n == 2 || a.get(2).isMapValue())) {
      MapValue option = n == 3 ? a.get(2).asMapValue() : null;
      if (second.isArrayValue()) {
        List<Value> entries = second.asArrayValue().list();
        List<Value> kept = entries(entries, source);
        if (kept == entries) {
          return content;
        }
        if (kept.isEmpty()) {
          ack(option, reply);
          return null;
        }
        return pack(frame(a.get(0), ValueFactory.newArray(kept), option, kept.size()));
      }
      if (second.isStringValue() || second.isBinaryValue()) {
        boolean gzip = option != null && isGzip(option);
        byte[] packed = second.asRawValue().asByteArray();
        List<Value> entries = unpackAll(gzip ? gunzip(packed) : packed);
        List<Value> kept = entries(entries, source);
        if (kept == entries) {
          return content;
        }
        if (kept.isEmpty()) {
          ack(option, reply);
          return null;
        }
        byte[] blob = packAll(kept);
        if (gzip) {
          blob = gzip(blob);
        }
        Value entriesValue = second.isBinaryValue() ? ValueFactory.newBinary(blob)
            : ValueFactory.newString(blob);
        return pack(frame(a.get(0), entriesValue, option, kept.size()));
      }
    }
    metrics.record("unscanned");
    return content;
  }

  /** Returns the entries kept, rewritten where redacted; the same list when nothing changed. */
  private List<Value> entries(List<Value> entries, RecordInspector.Source source) {
    List<Value> kept = new ArrayList<>(entries.size());
    boolean changed = false;
    for (Value e : entries) {
      Value k = entry(e, source);
      changed |= k != e;
      if (k != null) {
        kept.add(k);
      }
    }
    return changed ? kept : entries;
  }

  /**
   * Inspects one {@code [time, record]} entry; returns it, its redacted copy, or null when it is
   * dropped. An entry of another shape is kept unscanned.
   */
  private @Nullable Value entry(Value entry, RecordInspector.Source source) {
    if (!entry.isArrayValue() || entry.asArrayValue().size() != 2
        || !entry.asArrayValue().get(1).isMapValue()) {
      metrics.record("unscanned");
      return entry;
    }
    MapValue record = entry.asArrayValue().get(1).asMapValue();
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.set("record", json(record));
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(doc);
    } catch (IOException e) {
      throw new IllegalStateException("a JSON tree did not serialize", e);
    }
    RecordInspector.Outcome o = inspector.inspect(bytes, ContentType.JSON, "$.record", source);
    switch (o.verdict()) {
      case DROP -> {
        metrics.record("dropped");
        return null;
      }
      case REDACT -> {
        metrics.record("redacted");
        JsonNode redacted;
        try {
          redacted = JSON.readTree(o.redacted()).get("record");
        } catch (IOException e) {
          throw new IllegalStateException("redacted JSON did not parse", e);
        }
        return ValueFactory.newArray(entry.asArrayValue().get(0), rewrite(record, redacted));
      }
      default -> {
        metrics.record("forwarded");
        return entry;
      }
    }
  }

  /** Returns the JSON form of a value: strings, maps and arrays; null for anything else. */
  private static @Nullable JsonNode json(Value v) {
    if (v.isStringValue()) {
      return JsonNodeFactory.instance.textNode(text(v));
    }
    if (v.isMapValue()) {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      Value[] kv = v.asMapValue().getKeyValueArray();
      for (int i = 0; i < kv.length; i += 2) {
        JsonNode child = json(kv[i + 1]);
        String name = name(o, kv[i]);
        o.set(name, child == null ? JsonNodeFactory.instance.nullNode() : child);
      }
      return o;
    }
    if (v.isArrayValue()) {
      ArrayNode a = JsonNodeFactory.instance.arrayNode();
      for (Value e : v.asArrayValue()) {
        JsonNode child = json(e);
        a.add(child == null ? JsonNodeFactory.instance.nullNode() : child);
      }
      return a;
    }
    return null;
  }

  /**
   * Returns the name of a map key in the JSON form: its text, with {@code #2}, {@code #3}... added
   * when the map repeats it, so that every value has a place of its own.
   */
  private static String name(ObjectNode o, Value key) {
    String base = key.isStringValue() ? text(key) : key.toJson();
    String name = base;
    for (int k = 2; o.has(name); k++) {
      name = base + "#" + k;
    }
    return name;
  }

  /** Returns {@code v} with its strings replaced by those of {@code redacted} that differ. */
  private static Value rewrite(Value v, @Nullable JsonNode redacted) {
    if (redacted == null) {
      return v;
    }
    if (v.isStringValue()) {
      return redacted.isTextual() && !redacted.textValue().equals(text(v))
          ? ValueFactory.newString(redacted.textValue()) : v;
    }
    if (v.isMapValue()) {
      Value[] kv = v.asMapValue().getKeyValueArray();
      Value[] out = new Value[kv.length];
      ObjectNode names = JsonNodeFactory.instance.objectNode();
      for (int i = 0; i < kv.length; i += 2) {
        String name = name(names, kv[i]);
        names.putNull(name);
        out[i] = kv[i];
        out[i + 1] = rewrite(kv[i + 1], redacted.get(name));
      }
      return ValueFactory.newMap(out);
    }
    if (v.isArrayValue()) {
      List<Value> out = new ArrayList<>();
      int i = 0;
      for (Value e : v.asArrayValue()) {
        out.add(rewrite(e, redacted.get(i++)));
      }
      return ValueFactory.newArray(out);
    }
    return v;
  }

  private static String text(Value v) {
    return new String(v.asStringValue().asByteArray(), StandardCharsets.UTF_8);
  }

  private static Value frame(Value tag, Value entries, @Nullable MapValue option, int size) {
    if (option == null) {
      return ValueFactory.newArray(tag, entries);
    }
    Value[] kv = option.getKeyValueArray().clone();
    for (int i = 0; i < kv.length; i += 2) {
      if (kv[i].equals(SIZE)) {
        kv[i + 1] = ValueFactory.newInteger(size);
      }
    }
    return ValueFactory.newArray(tag, entries, ValueFactory.newMap(kv));
  }

  private static boolean isGzip(MapValue option) {
    Value c = option.map().get(COMPRESSED);
    return c != null && c.isStringValue() && text(c).equals("gzip");
  }

  /** Answers the ack a client asked for with {@code chunk}, for a frame nothing of went on. */
  private static void ack(@Nullable MapValue option, Consumer<byte[]> reply) {
    Value chunk = option == null ? null : option.map().get(CHUNK);
    if (chunk != null) {
      reply.accept(pack(ValueFactory.newMap(ACK, chunk)));
    }
  }

  private List<Value> unpackAll(byte[] bytes) throws Unscannable {
    // Checked first: a header alone may claim 2^32 elements, which msgpack-core would allocate.
    if (!MsgpackDecoder.wholeValues(bytes)) {
      throw new Unscannable("malformed_frame");
    }
    List<Value> out = new ArrayList<>();
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
      while (u.hasNext()) {
        out.add(u.unpackValue());
      }
    } catch (IOException | RuntimeException e) {
      throw new Unscannable("malformed_frame");
    }
    return out;
  }

  private byte[] gunzip(byte[] bytes) throws Unscannable {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
      int r;
      while ((r = in.read(buffer)) >= 0) {
        if (out.size() + (long) r > maxDecoded) {
          throw new Unscannable("frame_too_large");
        }
        out.write(buffer, 0, r);
      }
    } catch (IOException e) {
      throw new Unscannable("malformed_encoding");
    }
    return out.toByteArray();
  }

  private static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 2 + 64);
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(bytes);
    } catch (IOException e) {
      throw new IllegalStateException("gzip to memory failed", e);
    }
    return out.toByteArray();
  }

  private static byte[] pack(Value v) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      p.packValue(v);
      return p.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("packing to memory failed", e);
    }
  }

  private static byte[] packAll(List<Value> values) {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      for (Value v : values) {
        p.packValue(v);
      }
      return p.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("packing to memory failed", e);
    }
  }
}
