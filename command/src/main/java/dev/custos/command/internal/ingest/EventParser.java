package dev.custos.command.internal.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custos.proxy.FindingsEvent;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads a batch body: JSON lines, each one findings event as the proxy's JSON-lines findings sink
 * writes it (unknown fields are ignored). Checks every field it keeps, so that only names,
 * hashes, masked previews and counts reach the database; a line that fails refuses the whole
 * batch. Messages name the line and the field, never the value. Thread-safe (stateless).
 *
 * <p>Time and memory are linear in the body, which the caller bounds ({@link #MAX_BYTES}).
 */
public final class EventParser {
  /** The most lines a batch may hold. */
  public static final int MAX_LINES = 1000;
  /** The most bytes a batch may hold, uncompressed. */
  public static final int MAX_BYTES = 4 << 20;

  private static final int MAX_NAME = 256;
  private static final int MAX_CATEGORIES = 256;
  private static final int MAX_EVIDENCE = 1024;
  private static final Pattern CATEGORY = Pattern.compile("[a-z0-9_.-]{1,64}");
  private static final Pattern IDENTITY = Pattern.compile("[A-Za-z0-9:_.-]{1,128}");
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{16,64}");
  private static final Pattern PROTOCOL = Pattern.compile("[a-z0-9_-]{1,32}");
  private static final List<String> ACTIONS = List.of("block", "redact", "alert", "observe");

  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16)
          .maxStringLength(1 << 16).maxNumberLength(32).build())
      .build());

  private EventParser() {}

  /**
   * Parses a batch body.
   *
   * @throws MalformedBatchException for a malformed line (naming it) or too many lines or bytes
   */
  public static List<IngestEvent> parse(byte[] body) throws MalformedBatchException {
    if (body.length > MAX_BYTES) {
      throw new MalformedBatchException("batch larger than " + MAX_BYTES
          + " bytes uncompressed (expected: at most " + MAX_BYTES + ")", true);
    }
    List<IngestEvent> events = new ArrayList<>();
    int line = 0;
    int start = 0;
    while (start < body.length) {
      int end = start;
      while (end < body.length && body[end] != '\n') {
        end++;
      }
      line++;
      int stop = end > start && body[end - 1] == '\r' ? end - 1 : end;
      if (!blank(body, start, stop)) {
        if (events.size() == MAX_LINES) {
          throw new MalformedBatchException("batch of more than " + MAX_LINES
              + " lines (expected: at most " + MAX_LINES + ")", true);
        }
        events.add(event(body, start, stop - start, line));
      }
      start = end + 1;
    }
    return events;
  }

  private static boolean blank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != ' ' && b[i] != '\t') {
        return false;
      }
    }
    return true;
  }

  private static IngestEvent event(byte[] body, int offset, int length, int line)
      throws MalformedBatchException {
    JsonNode n;
    try {
      n = JSON.readTree(body, offset, length);
    } catch (JsonProcessingException e) {
      throw bad(line, "not a JSON object (expected: one findings event per line)");
    } catch (java.io.IOException e) {
      throw bad(line, "unreadable (expected: one findings event per line)");
    }
    if (n == null || !n.isObject()) {
      throw bad(line, "not a JSON object (expected: one findings event per line)");
    }
    long time = time(n, line);
    String route = name(n, "route", line, true);
    String cluster = name(n, "cluster", line, false);
    String service = name(n, "service", line, false);
    if (!service.isEmpty() && !FindingsEvent.isSafeService(service)) {
      throw bad(line, "service: not a service name (expected: at most 4 parts such as ns/sa,"
          + " each of words of letters, digits, _ and -, with at most 4 digits a word)");
    }
    String protocol = matching(n, "protocol", PROTOCOL, line, "http");
    JsonNode dir = n.get("direction");
    if (dir == null || !dir.isTextual()
        || !(dir.asText().equals("request") || dir.asText().equals("response"))) {
      throw bad(line, "direction: missing or not request/response (expected: request or "
          + "response)");
    }
    String identity = matching(n, "identity_hash", IDENTITY, line, null);
    Map<String, Integer> categories = categories(n, line);
    String action = action(n, line);
    String blockedBy = nullableName(n, "blocked_by", line);
    String uninspectable = nullableName(n, "uninspectable", line);
    boolean shadow = bool(n, "shadow", line);
    boolean alert = bool(n, "alert", line);
    JsonNode bytes = n.get("inspected_bytes");
    long inspected = 0;
    if (bytes != null) {
      if (!bytes.canConvertToLong() || !bytes.isIntegralNumber() || bytes.asLong() < 0) {
        throw bad(line, "inspected_bytes: not a whole number of at least 0");
      }
      inspected = bytes.asLong();
    }
    return new IngestEvent(time, route, cluster, service, protocol, dir.asText(), identity,
        categories, action, blockedBy, shadow, alert, uninspectable, inspected,
        evidence(n, line, categories));
  }

  private static long time(JsonNode n, int line) throws MalformedBatchException {
    JsonNode t = n.get("time");
    if (t == null || !t.isTextual()) {
      throw bad(line, "time: missing (expected: an ISO-8601 instant such as "
          + "2026-12-07T13:00:00Z)");
    }
    try {
      return Instant.parse(t.asText()).toEpochMilli();
    } catch (DateTimeParseException | ArithmeticException e) {
      throw bad(line, "time: not an instant (expected: an ISO-8601 instant such as "
          + "2026-12-07T13:00:00Z)");
    }
  }

  private static String name(JsonNode n, String field, int line, boolean required)
      throws MalformedBatchException {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw bad(line, field + ": missing (expected: a name)");
      }
      return "";
    }
    if (!v.isTextual() || v.asText().isEmpty() || v.asText().length() > MAX_NAME
        || hasControl(v.asText())) {
      throw bad(line, field + ": not a name (expected: text of 1 to " + MAX_NAME
          + " characters without control characters)");
    }
    return v.asText();
  }

  private static @Nullable String nullableName(JsonNode n, String field, int line)
      throws MalformedBatchException {
    String s = name(n, field, line, false);
    return s.isEmpty() ? null : s;
  }

  private static String matching(JsonNode n, String field, Pattern p, int line,
      @Nullable String dflt) throws MalformedBatchException {
    JsonNode v = n.get(field);
    if (v == null && dflt != null) {
      return dflt;
    }
    if (v == null || !v.isTextual() || !p.matcher(v.asText()).matches()) {
      throw bad(line, field + ": missing or malformed (expected: matching " + p.pattern() + ")");
    }
    return v.asText();
  }

  private static boolean bool(JsonNode n, String field, int line) throws MalformedBatchException {
    JsonNode v = n.get(field);
    if (v == null) {
      return false;
    }
    if (!v.isBoolean()) {
      throw bad(line, field + ": not true or false");
    }
    return v.asBoolean();
  }

  private static Map<String, Integer> categories(JsonNode n, int line)
      throws MalformedBatchException {
    JsonNode c = n.get("categories");
    if (c == null) {
      return Map.of();
    }
    if (!c.isObject() || c.size() > MAX_CATEGORIES) {
      throw bad(line, "categories: not an object of at most " + MAX_CATEGORIES
          + " category ids to counts");
    }
    Map<String, Integer> out = new HashMap<>();
    for (Map.Entry<String, JsonNode> e : c.properties()) {
      if (!CATEGORY.matcher(e.getKey()).matches()) {
        throw bad(line, "categories: a key is not a category id (expected: matching "
            + CATEGORY.pattern() + ")");
      }
      JsonNode v = e.getValue();
      if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
        throw bad(line, "categories." + e.getKey() + ": not a count (expected: a whole number"
            + " of at least 0)");
      }
      if (v.asInt() > 0) {
        out.put(e.getKey(), v.asInt());
      }
    }
    return out;
  }

  private static String action(JsonNode n, int line) throws MalformedBatchException {
    JsonNode a = n.get("actions");
    if (a == null) {
      return "none";
    }
    if (!a.isArray()) {
      throw bad(line, "actions: not a list (expected: a list such as [\"observe\"])");
    }
    int best = ACTIONS.size();
    for (JsonNode x : a) {
      if (!x.isTextual()) {
        throw bad(line, "actions: an item is not text");
      }
      int i = ACTIONS.indexOf(x.asText());
      if (i >= 0 && i < best) {
        best = i;
      }
    }
    return best == ACTIONS.size() ? "none" : ACTIONS.get(best);
  }

  private static List<IngestEvent.Evidence> evidence(JsonNode n, int line,
      Map<String, Integer> categories) throws MalformedBatchException {
    JsonNode list = n.get("evidence");
    if (list == null) {
      return List.of();
    }
    if (!list.isArray() || list.size() > MAX_EVIDENCE) {
      throw bad(line, "evidence: not a list of at most " + MAX_EVIDENCE + " items");
    }
    List<IngestEvent.Evidence> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      JsonNode e = list.get(i);
      String at = "evidence[" + i + "]";
      if (!e.isObject()) {
        throw bad(line, at + ": not an object (expected: category, hash, preview)");
      }
      JsonNode c = e.get("category");
      if (c == null || !c.isTextual() || !CATEGORY.matcher(c.asText()).matches()) {
        throw bad(line, at + ".category: missing or not a category id");
      }
      JsonNode h = e.get("hash");
      if (h == null || !h.isTextual() || !HASH.matcher(h.asText()).matches()) {
        throw bad(line, at + ".hash: missing or malformed (expected: 16 to 64 lower-case hex "
            + "digits of the keyed hash)");
      }
      JsonNode p = e.get("preview");
      String preview = "";
      if (p != null && !p.isNull()) {
        if (!p.isTextual() || !masked(p.asText())) {
          throw bad(line, at + ".preview: not a masked preview (expected: stars and at most 4"
              + " other characters)");
        }
        preview = p.asText();
      }
      out.add(new IngestEvent.Evidence(c.asText(), h.asText(), preview));
    }
    return out;
  }

  /** Returns whether a preview is masked: at least one star, at most 4 other characters. */
  static boolean masked(String preview) {
    if (preview.length() > 32) {
      return false;
    }
    int stars = 0;
    int shown = 0;
    for (int i = 0; i < preview.length(); i++) {
      char ch = preview.charAt(i);
      if (ch == '*') {
        stars++;
      } else if (Character.isISOControl(ch)) {
        return false;
      } else {
        shown++;
      }
    }
    return stars > 0 && shown <= 4;
  }

  private static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static MalformedBatchException bad(int line, String text) {
    return new MalformedBatchException("line " + line + ": " + text, false);
  }
}
