package dev.custos.command.internal.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing of the ingest decoding (gzip, then JSON lines): whatever the bytes, the
 * body is a list of checked events or a refusal naming a line (or the body); nothing else
 * escapes, and a refusal's message never holds a run of the input's bytes longer than a field
 * name. The first input byte says whether the rest is gzipped first. Without {@code JAZZER_FUZZ}
 * set, only the seeds in {@code EventParserFuzzTestInputs/decode/} run.
 */
class EventParserFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void decode(byte[] input) {
    if (input.length < 1) {
      return;
    }
    byte[] body = Arrays.copyOfRange(input, 1, input.length);
    boolean gzip = (input[0] & 1) != 0;
    try {
      byte[] plain = IngestService.body(gzip ? dev.custos.command.TestEvents.gzip(body) : body,
          (input[0] & 2) != 0 || gzip);
      for (IngestEvent e : EventParser.parse(plain)) {
        assertThat(e.route()).isNotEmpty();
        assertThat(e.findings()).isNotNegative();
        for (IngestEvent.Evidence v : e.evidence()) {
          assertThat(EventParser.masked(v.preview()) || v.preview().isEmpty()).isTrue();
        }
      }
    } catch (MalformedBatchException e) {
      assertThat(e.getMessage()).matches("(line [0-9]+: |body: |batch ).*");
    }
  }
}
