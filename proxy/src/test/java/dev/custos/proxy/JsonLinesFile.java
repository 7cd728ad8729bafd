package dev.custos.proxy;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads a JSON-lines file the proxy writes from a background thread (access log, findings). */
final class JsonLinesFile {
  private JsonLinesFile() {}

  /** Waits up to 10 seconds for at least {@code atLeast} lines, and returns them all. */
  static List<JsonNode> awaitLines(Path file, int atLeast) {
    await().atMost(Duration.ofSeconds(10)).until(() -> lines(file).size() >= atLeast);
    return lines(file);
  }

  /** Returns the file's lines; none while it is missing or a line is still being written. */
  static List<JsonNode> lines(Path file) {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    try {
      for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!l.isBlank()) {
          out.add(Upstream.JSON.readTree(l));
        }
      }
    } catch (IOException e) {
      return List.of();
    }
    return out;
  }
}
