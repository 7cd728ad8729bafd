package dev.custos.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * Findings already known, for {@code custos scan --baseline}: each is a file (as scan names it),
 * a detector id and an evidence hash, never a value. Written by {@code --write-baseline} as JSON:
 * {@code {"version": 1, "findings": [{"file": …, "detector": …, "hash": …}, …]}}, sorted.
 */
final class Baseline {
  static final int VERSION = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** A finding's key: file, detector, evidence hash. */
  record Key(String file, String detector, String hash) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      int c = file.compareTo(o.file);
      if (c == 0) {
        c = detector.compareTo(o.detector);
      }
      return c != 0 ? c : hash.compareTo(o.hash);
    }
  }

  private Baseline() {}

  /**
   * Reads a baseline file.
   *
   * @throws CliException naming the file and what was expected, when it cannot be read or parsed
   */
  static Set<Key> read(Path file) {
    JsonNode root;
    try {
      root = MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new CliException("--baseline: " + file + ": not JSON at line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
          + " (expected: a file written by --write-baseline)");
    } catch (IOException e) {
      throw new CliException("--baseline: " + file + ": " + Messages.of(e));
    }
    if (root == null || !root.isObject() || !root.path("version").isInt()
        || root.path("version").intValue() != VERSION || !root.path("findings").isArray()) {
      throw new CliException("--baseline: " + file
          + " (expected: {\"version\": 1, \"findings\": [...]}, as --write-baseline writes)");
    }
    Set<Key> keys = new TreeSet<>();
    int i = 0;
    for (JsonNode f : root.get("findings")) {
      if (!f.path("file").isTextual() || !f.path("detector").isTextual() || !f.path("hash").isTextual()) {
        throw new CliException("--baseline: " + file + ": findings[" + i + "]"
            + " (expected: an object with string fields file, detector and hash)");
      }
      keys.add(new Key(f.get("file").asText(), f.get("detector").asText(), f.get("hash").asText()));
      i++;
    }
    return keys;
  }

  /** Writes the keys, sorted, replacing the file. */
  static void write(Path file, Set<Key> keys) throws IOException {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("version", VERSION);
    ArrayNode findings = root.putArray("findings");
    for (Key k : new TreeSet<>(keys)) {
      findings.addObject().put("file", k.file()).put("detector", k.detector()).put("hash", k.hash());
    }
    Files.writeString(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n",
        StandardCharsets.UTF_8);
  }
}
