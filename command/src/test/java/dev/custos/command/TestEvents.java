package dev.custos.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/** Findings events as a proxy's JSON-lines sink writes them, for tests and the bench. */
public final class TestEvents {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TestEvents() {}

  /** One value found: category, keyed hash, masked preview. */
  public record Value(String category, String hash, String preview) {}

  /**
   * Returns one event line (no line break) with the proxy sink's fields, plus {@code cluster}
   * and {@code evidence}.
   */
  public static String line(Instant time, String route, String cluster, String direction,
      String identity, Map<String, Integer> categories, List<String> actions,
      List<Value> evidence) {
    ObjectNode o = JSON.createObjectNode();
    o.put("time", time.toString());
    o.put("route", route);
    if (!cluster.isEmpty()) {
      o.put("cluster", cluster);
    }
    o.put("direction", direction);
    o.put("identity_hash", identity);
    ObjectNode c = o.putObject("categories");
    new TreeMap<>(categories).forEach(c::put);
    o.putArray("locations").add("body");
    ArrayNode a = o.putArray("actions");
    actions.forEach(a::add);
    o.putArray("rules").add("cards");
    o.put("alert", false);
    o.put("shadow", false);
    o.put("inspected_bytes", 512);
    if (!evidence.isEmpty()) {
      ArrayNode ev = o.putArray("evidence");
      for (Value v : evidence) {
        ev.addObject().put("category", v.category()).put("hash", v.hash())
            .put("preview", v.preview());
      }
    }
    return o.toString();
  }

  /** Returns a card value's evidence, its hash made from {@code n}. */
  public static Value card(int n) {
    return new Value("credit_card", String.format("%032x", n), "************" + (1000 + n % 9000));
  }

  /** Joins lines into a body, one per line. */
  public static byte[] body(List<String> lines) {
    return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** Returns {@code bytes} gzipped. */
  public static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
