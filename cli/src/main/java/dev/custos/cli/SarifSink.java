package dev.custos.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import dev.custos.engine.Confidence;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Finding;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A SARIF 2.1.0 log with one run. Results are streamed as they are found; the tool object, whose
 * rules are the detectors that fired, is written after them (JSON members are unordered), so
 * memory does not grow with the number of findings.
 */
final class SarifSink implements FindingSink {
  private final JsonGenerator json;
  private final Map<String, DetectorDefinition> detectors;
  private final String version;
  private final Map<String, DetectorDefinition> fired = new TreeMap<>();

  SarifSink(OutputStream out, Map<String, DetectorDefinition> detectors, String version)
      throws IOException {
    this.json =
        JsonFactory.builder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build()
            .createGenerator(out)
            .useDefaultPrettyPrinter();
    this.detectors = detectors;
    this.version = version;
  }

  @Override
  public boolean wantsPositions() {
    return true;
  }

  @Override
  public void begin() throws IOException {
    json.writeStartObject();
    json.writeStringField("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    json.writeStringField("version", "2.1.0");
    json.writeArrayFieldStart("runs");
    json.writeStartObject();
    json.writeStringField("columnKind", "unicodeCodePoints");
    json.writeArrayFieldStart("results");
  }

  @Override
  public void finding(Source source, Finding f, LineIndex.@Nullable Position position)
      throws IOException {
    DetectorDefinition definition = detectors.get(f.detector());
    if (definition != null) {
      fired.putIfAbsent(f.detector(), definition);
    }
    json.writeStartObject();
    json.writeStringField("ruleId", f.detector());
    json.writeStringField("level", level(f.confidence()));
    json.writeObjectFieldStart("message");
    json.writeStringField("text", f.category() + " found (" + f.evidence().preview() + ")");
    json.writeEndObject();
    json.writeArrayFieldStart("locations");
    json.writeStartObject();
    json.writeObjectFieldStart("physicalLocation");
    json.writeObjectFieldStart("artifactLocation");
    json.writeStringField("uri", source.uri());
    json.writeEndObject();
    json.writeObjectFieldStart("region");
    if (position != null) {
      json.writeNumberField("startLine", position.line());
      json.writeNumberField("startColumn", position.column());
    }
    json.writeNumberField("byteOffset", f.start());
    json.writeNumberField("byteLength", f.end() - f.start());
    json.writeEndObject();
    json.writeEndObject();
    if (f.jsonPath() != null) {
      json.writeArrayFieldStart("logicalLocations");
      json.writeStartObject();
      json.writeStringField("fullyQualifiedName", f.jsonPath());
      json.writeStringField("kind", "member");
      json.writeEndObject();
      json.writeEndArray();
    }
    json.writeEndObject();
    json.writeEndArray();
    json.writeObjectFieldStart("partialFingerprints");
    json.writeStringField("evidenceHash/v1", f.evidence().hash());
    json.writeEndObject();
    json.writeObjectFieldStart("properties");
    json.writeStringField("category", f.category());
    json.writeStringField("confidence", f.confidence().id());
    json.writeEndObject();
    json.writeEndObject();
  }

  @Override
  public void flush() throws IOException {
    json.flush();
  }

  @Override
  public void end() throws IOException {
    json.writeEndArray(); // results
    json.writeObjectFieldStart("tool");
    json.writeObjectFieldStart("driver");
    json.writeStringField("name", "custos");
    json.writeStringField("version", version);
    json.writeArrayFieldStart("rules");
    for (DetectorDefinition d : fired.values()) {
      json.writeStartObject();
      json.writeStringField("id", d.id());
      json.writeObjectFieldStart("shortDescription");
      json.writeStringField("text", d.description().isEmpty() ? d.id() : d.description());
      json.writeEndObject();
      json.writeObjectFieldStart("properties");
      json.writeStringField("category", d.category());
      json.writeEndObject();
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeEndObject(); // driver
    json.writeEndObject(); // tool
    json.writeEndObject(); // run
    json.writeEndArray(); // runs
    json.writeEndObject();
    json.writeRaw('\n');
    json.close();
  }

  private static String level(Confidence confidence) {
    switch (confidence) {
      case HIGH:
        return "error";
      case MEDIUM:
        return "warning";
      default:
        return "note";
    }
  }
}
