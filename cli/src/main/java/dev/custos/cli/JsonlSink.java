package dev.custos.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import dev.custos.engine.Finding;
import java.io.IOException;
import java.io.OutputStream;
import org.jspecify.annotations.Nullable;

/**
 * JSON Lines: one object per finding with exactly the keys {@code file, category, detector, start,
 * end, path, confidence, preview, hash}, in that order.
 */
final class JsonlSink implements FindingSink {
  private final JsonGenerator json;

  JsonlSink(OutputStream out) throws IOException {
    JsonFactory factory =
        new JsonFactoryBuilder()
            .rootValueSeparator((String) null)
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();
    this.json = factory.createGenerator(out);
  }

  @Override
  public boolean wantsPositions() {
    return false;
  }

  @Override
  public void begin() {}

  @Override
  public void finding(Source source, Finding f, LineIndex.@Nullable Position position)
      throws IOException {
    json.writeStartObject();
    json.writeStringField("file", source.name());
    json.writeStringField("category", f.category());
    json.writeStringField("detector", f.detector());
    json.writeNumberField("start", f.start());
    json.writeNumberField("end", f.end());
    json.writeStringField("path", f.jsonPath());
    json.writeStringField("confidence", f.confidence().id());
    json.writeStringField("preview", f.evidence().preview());
    json.writeStringField("hash", f.evidence().hash());
    json.writeEndObject();
    json.writeRaw('\n');
  }

  @Override
  public void flush() throws IOException {
    json.flush();
  }

  @Override
  public void end() throws IOException {
    json.close();
  }
}
