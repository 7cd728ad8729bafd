package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.PluginDetector;
import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.PluginMatch;
import dev.custos.engine.RedactionChoice;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.StreamScanner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A stream with a plugin detector retains about one window, however long the stream. */
class PluginWindowMemoryTest {
  @Test
  void retainedBytesStayBoundedByTheWindowOverEightMebibytes() {
    PluginDetectorDefinition definition =
        PluginDetectorDefinition.builder("code.1", "code", Path.of("a.wasm")).build();
    // Reports every "code" in each window: many findings, each held until the next window runs.
    PluginDetector plugin = (bytes, offset, length) -> {
      List<PluginMatch> out = new ArrayList<>();
      for (int i = 0; i + 4 <= length; i++) {
        if (bytes[offset + i] == 'c' && bytes[offset + i + 1] == 'o') {
          out.add(PluginMatch.of(i, i + 4));
        }
      }
      return out;
    };
    byte[] chunk = "{\"k\": \"a code here\"}\n".repeat(3000).getBytes(StandardCharsets.UTF_8);
    try (ScanEngine engine = ScanEngine.compile(List.of(), List.of(definition), List.of(plugin),
        Backend.JAVA, EvidenceKey.of(new byte[32]), new ScanSettings(48, 256, 1 << 20))) {
      long bound = definition.maxWindow() + 2L * engine.maxLength() + 2L * 48 + 2L * chunk.length + 16;
      for (ContentType type : List.of(ContentType.TEXT, ContentType.JSON)) {
        long[] written = {0};
        StreamScanner stream = engine.newStream(
            type, RedactionChoice.always(RedactionStyle.MASK), (b, o, l) -> written[0] += l);
        long findings = 0;
        long maxRetained = 0;
        long fed = 0;
        while (fed < 8L << 20) {
          findings += stream.feed(chunk, 0, chunk.length).size();
          fed += chunk.length;
          maxRetained = Math.max(maxRetained, StreamScannerImpl.retainedBytesOf(stream));
        }
        findings += stream.finish().size();
        stream.close();
        assertThat(findings).as(type.toString()).isEqualTo(fed / chunk.length * 3000);
        assertThat(written[0]).isEqualTo(fed);
        // A redacting JSON stream also keeps the original bytes of its window (escapes rewrite them).
        long original = type == ContentType.JSON ? bound + 4096 : 0;
        assertThat(maxRetained).as(type + " retained").isLessThanOrEqualTo(bound + original);
      }
    }
  }
}
