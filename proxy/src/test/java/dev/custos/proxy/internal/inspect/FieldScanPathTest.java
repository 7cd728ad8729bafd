package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The path is scanned as a server reads it: each percent-escape decoded once, as UTF-8. */
class FieldScanPathTest {
  @Test
  void percentEscapesAreDecodedAndPlusStaysAPlus() {
    assertThat(FieldScan.decodedPath("/users/078%2D05%2D1120")).isEqualTo("/users/078-05-1120");
    assertThat(FieldScan.decodedPath("/u/%30%37%38-05-1120/x")).isEqualTo("/u/078-05-1120/x");
    assertThat(FieldScan.decodedPath("/a+b/%C3%A9")).isEqualTo("/a+b/\u00e9");
  }

  @Test
  void aMalformedEscapeIsKeptAsItIs() {
    assertThat(FieldScan.decodedPath("/100%")).isEqualTo("/100%");
    assertThat(FieldScan.decodedPath("/x%zz/%4")).isEqualTo("/x%zz/%4");
  }

  @Test
  void anEscapeIsDecodedOnlyOnce() {
    assertThat(FieldScan.decodedPath("/a%252D")).isEqualTo("/a%2D");
  }
}
