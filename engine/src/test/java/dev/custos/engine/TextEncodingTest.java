package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Text in UTF-16 or UTF-32, and JSON string escapes, are scanned as the characters they encode. */
class TextEncodingTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String SSN = "078-05-1120";
  private static final String CARD = "4111111111111111";
  private static final Charset UTF_32LE = Charset.forName("UTF-32LE");
  private static final Charset UTF_32BE = Charset.forName("UTF-32BE");

  static List<Finding> scan(byte[] bytes, ContentType type, Charset declared, int chunk) {
    List<Finding> findings = new ArrayList<>();
    try (StreamScanner s = Samples.JAVA.newStream(type, declared)) {
      for (int i = 0; i < bytes.length; i += chunk) {
        findings.addAll(s.feed(bytes, i, Math.min(chunk, bytes.length - i)));
      }
      findings.addAll(s.finish());
    }
    return findings;
  }

  static byte[] redact(byte[] bytes, ContentType type, RedactionStyle style, int chunk) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (StreamScanner s = Samples.JAVA.newRedactingStream(type, null, RedactionChoice.always(style), out::write)) {
      for (int i = 0; i < bytes.length; i += chunk) {
        s.feed(bytes, i, Math.min(chunk, bytes.length - i));
      }
      s.finish();
    }
    return out.toByteArray();
  }

  static byte[] bom(byte[] bom, byte[] body) {
    byte[] all = new byte[bom.length + body.length];
    System.arraycopy(bom, 0, all, 0, bom.length);
    System.arraycopy(body, 0, all, bom.length, body.length);
    return all;
  }

  static List<String> categories(List<Finding> findings) {
    return findings.stream().map(Finding::category).toList();
  }

  @Test
  void ssnInUtf16LeJsonWithBomIsFoundAtItsOriginalOffsets() {
    String json = "{\"ssn\":\"" + SSN + "\"}";
    byte[] bytes = bom(new byte[] {(byte) 0xFF, (byte) 0xFE}, json.getBytes(StandardCharsets.UTF_16LE));
    for (int chunk : new int[] {1, 3, 7, bytes.length}) {
      List<Finding> findings = scan(bytes, ContentType.JSON, null, chunk);
      assertThat(categories(findings)).containsExactly("us_ssn");
      Finding f = findings.get(0);
      assertThat(f.start()).isEqualTo(2 + 2L * json.indexOf(SSN));
      assertThat(f.end()).isEqualTo(2 + 2L * (json.indexOf(SSN) + SSN.length()));
      assertThat(f.jsonPath()).isEqualTo("$.ssn");
      assertThat(f.confidence()).isEqualTo(Confidence.HIGH);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE", "UTF-8"})
  void cardIsFoundWithoutBomWhateverTheUnicodeEncoding(String charset) {
    String json = "{\"card\":\"" + CARD + "\",\"note\":\"x\"}";
    byte[] bytes = json.getBytes(Charset.forName(charset));
    List<Finding> plain = scan(json.getBytes(StandardCharsets.UTF_8), ContentType.JSON, null, 1 << 16);
    for (int chunk : new int[] {1, 2, 5, 64, bytes.length}) {
      List<Finding> findings = scan(bytes, ContentType.JSON, null, chunk);
      assertThat(categories(findings)).containsExactly("credit_card");
      assertThat(findings.get(0).evidence()).isEqualTo(plain.get(0).evidence());
      int width = bytes.length / json.length();
      assertThat(findings.get(0).start()).isEqualTo((long) width * json.indexOf(CARD));
    }
  }

  @Test
  void utf16TextIsScannedAsText() {
    String text = "Customer SSN " + SSN + " on file.";
    assertThat(categories(scan(text.getBytes(StandardCharsets.UTF_16BE), ContentType.TEXT, null, 4)))
        .containsExactly("us_ssn");
    assertThat(categories(scan(text.getBytes(StandardCharsets.UTF_16), ContentType.TEXT, null, 1)))
        .containsExactly("us_ssn");
  }

  @Test
  void aCharsetThatSaysUtf8DoesNotHideUtf16() {
    byte[] bytes = ("{\"ssn\":\"" + SSN + "\"}").getBytes(StandardCharsets.UTF_16LE);
    assertThat(categories(scan(bytes, ContentType.JSON, StandardCharsets.UTF_8, 5))).containsExactly("us_ssn");
  }

  @Test
  void aCharsetThatSaysUtf16DoesNotHideAscii() {
    byte[] bytes = ("{\"ssn\":\"" + SSN + "\"}").getBytes(StandardCharsets.US_ASCII);
    assertThat(categories(scan(bytes, ContentType.JSON, StandardCharsets.UTF_16, 5))).containsExactly("us_ssn");
  }

  @Test
  void aDeclaredUtf16CharsetDecodesTextWhoseFirstBytesHoldNoAscii() {
    // Sixty-four bytes of CJK first: no NUL pattern, so only the charset tells.
    String text = "日本".repeat(16) + " SSN " + SSN;
    byte[] bytes = text.getBytes(StandardCharsets.UTF_16LE);
    assertThat(categories(scan(bytes, ContentType.TEXT, null, 7))).isEmpty();
    assertThat(categories(scan(bytes, ContentType.TEXT, StandardCharsets.UTF_16LE, 7))).containsExactly("us_ssn");
    assertThat(categories(scan(bytes, ContentType.TEXT, UTF_32LE, 7))).isEmpty();
  }

  @Test
  void everyDigitEscapedIsFound() {
    StringBuilder escaped = new StringBuilder();
    for (char c : CARD.toCharArray()) {
      escaped.append(String.format("\\u%04x", (int) c));
    }
    String json = "{\"card\":\"" + escaped + "\"}";
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    for (int chunk : new int[] {1, 5, bytes.length}) {
      List<Finding> findings = scan(bytes, ContentType.JSON, null, chunk);
      assertThat(categories(findings)).containsExactly("credit_card");
      assertThat(findings.get(0).start()).isEqualTo(json.indexOf("\\u"));
      assertThat(findings.get(0).end()).isEqualTo(json.lastIndexOf('"'));
      assertThat(findings.get(0).jsonPath()).isEqualTo("$.card");
    }
  }

  @Test
  void aSingleEscapedDigitOrSlashNoLongerHidesAValue() {
    assertThat(categories(scan(utf8("{\"ssn\":\"\\u0030" + SSN.substring(1) + "\"}"), ContentType.JSON, null, 3)))
        .containsExactly("us_ssn");
    assertThat(categories(scan(utf8("{\"k\":\"ssn 078\\/05\\/1120 and " + CARD.substring(0, 15) + "\\u0031\"}"),
        ContentType.JSON, null, 2)))
        .contains("credit_card");
  }

  @Test
  void escapesOfStructureAreNotDecoded() {
    // \\u0034... is an escaped backslash and then text; \u0022 is a quote and stays one.
    assertThat(scan(utf8("{\"a\":\"\\\\u0034111111111111111\"}"), ContentType.JSON, null, 1)).isEmpty();
    List<Finding> f = scan(utf8("{\"a\":\"\\u0022" + CARD + "\\u0022\"}"), ContentType.JSON, null, 1);
    assertThat(categories(f)).containsExactly("credit_card");
    assertThat(f.get(0).jsonPath()).isEqualTo("$.a");
  }

  @Test
  void aShortEscapeBeforeAValueDoesNotGlueToIt() {
    List<Finding> f = scan(utf8("{\"a\":\"line\\n" + CARD + "\\t\"}"), ContentType.JSON, null, 1);
    assertThat(categories(f)).containsExactly("credit_card");
    byte[] out = redact(utf8("{\"a\":\"line\\n" + CARD + "\\t\"}"), ContentType.JSON, RedactionStyle.MASK, 2);
    assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo("{\"a\":\"line\\n****************\\t\"}");
  }

  @Test
  void aSurrogatePairOfEscapesIsOneCodePoint() {
    String json = "{\"note\":\"\\ud83d\\ude00 card " + CARD + "\"}";
    List<Finding> f = scan(utf8(json), ContentType.JSON, null, 1);
    assertThat(categories(f)).containsExactly("credit_card");
    assertThat(f.get(0).start()).isEqualTo(json.indexOf(CARD));
    byte[] redacted = redact(utf8(json), ContentType.JSON, RedactionStyle.MASK, 3);
    assertThat(new String(redacted, StandardCharsets.UTF_8))
        .isEqualTo("{\"note\":\"\\ud83d\\ude00 card ****************\"}");
  }

  @Test
  void redactingAnEscapedValueReplacesWholeEscapesAndKeepsJsonValid() throws Exception {
    String json = "{\"card\":\"\\u0034\\u00311111111111111\\u0031\",\"n\":1}";
    for (RedactionStyle style : RedactionStyle.values()) {
      for (int chunk : new int[] {1, 4, 100}) {
        byte[] out = redact(utf8(json), ContentType.JSON, style, chunk);
        JsonNode node = MAPPER.readTree(out);
        String card = node.get("card").asText();
        assertThat(card).doesNotContain(CARD);
        assertThat(new String(out, StandardCharsets.UTF_8)).doesNotContain("\\u0034");
        if (style != RedactionStyle.HASH) {
          assertThat(out).hasSize(json.length());
        }
        if (style == RedactionStyle.PARTIAL) {
          assertThat(card).endsWith("1111").startsWith("*");
        }
        assertThat(node.get("n").asInt()).isEqualTo(1);
      }
    }
  }

  @Test
  void aNumberWrittenWithEscapesOutsideAStringIsMaskedAsWrittenWithTheSameLength() {
    // Not JSON (escapes belong in strings), but the masking styles still keep every length.
    String body = "4\\u00311111111111111\\u0031 ,\"n\":1}";
    for (RedactionStyle style : new RedactionStyle[] {RedactionStyle.MASK, RedactionStyle.PARTIAL}) {
      for (int chunk : new int[] {1, 5, 100}) {
        byte[] out = redact(utf8(body), ContentType.JSON, style, chunk);
        assertThat(out).hasSize(body.length());
        // PARTIAL keeps the last four digits as they were written, escapes included.
        assertThat(new String(out, StandardCharsets.UTF_8)).startsWith("0000000").doesNotContain("4");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE", "UTF-16"})
  void redactionRewritesTheOriginalEncodingWithTheSameLength(String charset) throws Exception {
    Charset cs = Charset.forName(charset);
    String json = "{\"card\":\"" + CARD + "\",\"ssn\":\"" + SSN + "\",\"name\":\"Zoë 名\"}";
    byte[] bytes = json.getBytes(cs);
    for (int chunk : new int[] {1, 3, 1000}) {
      byte[] mask = redact(bytes, ContentType.JSON, RedactionStyle.MASK, chunk);
      assertThat(mask).hasSize(bytes.length);
      assertThat(new String(mask, cs))
          .isEqualTo("{\"card\":\"****************\",\"ssn\":\"***-**-****\",\"name\":\"Zoë 名\"}");
      byte[] partial = redact(bytes, ContentType.JSON, RedactionStyle.PARTIAL, chunk);
      assertThat(new String(partial, cs)).contains("\"************1111\"");
      byte[] hash = redact(bytes, ContentType.JSON, RedactionStyle.HASH, chunk);
      JsonNode node = MAPPER.readTree(new String(hash, cs));
      assertThat(node.get("card").asText()).startsWith("[credit_card:");
    }
  }

  @Test
  void unpairedSurrogatesAndCutUnitsDoNotStopTheScan() {
    byte[] text = ("x SSN " + SSN + " y").getBytes(StandardCharsets.UTF_16LE);
    byte[] bytes = new byte[text.length + 5];
    bytes[0] = (byte) 0xFF;
    bytes[1] = (byte) 0xFE;
    bytes[2] = 0x00;
    bytes[3] = (byte) 0xD8; // an unpaired high surrogate
    System.arraycopy(text, 0, bytes, 4, text.length);
    bytes[bytes.length - 1] = 0x41; // half a code unit at the end
    assertThat(categories(scan(bytes, ContentType.TEXT, null, 3))).containsExactly("us_ssn");
    byte[] out = redact(bytes, ContentType.TEXT, RedactionStyle.MASK, 3);
    assertThat(out).hasSize(bytes.length);
    assertThat(new String(out, 4, text.length, StandardCharsets.UTF_16LE)).contains("***-**-****");
  }

  @Test
  void nearMissesStayNearMisses() {
    // A wrong check digit, in UTF-16 and escaped.
    assertThat(scan("card 4111111111111112".getBytes(StandardCharsets.UTF_16LE), ContentType.TEXT, null, 1)).isEmpty();
    assertThat(scan(utf8("{\"c\":\"\\u00341111111111111112\"}"), ContentType.JSON, null, 1)).isEmpty();
    // Binary-looking zeros are not text.
    assertThat(scan(new byte[200], ContentType.TEXT, null, 7)).isEmpty();
  }

  @Test
  void htmlCharacterReferencesAndBase64AreNotDecoded() {
    // Decided and documented (docs/security.md): only the encodings of the text itself are decoded.
    String card = "&#52;&#49;&#49;&#49;" + "&#49;".repeat(12);
    assertThat(scan(utf8("<p>" + card + "</p>"), ContentType.TEXT, null, 5)).isEmpty();
    assertThat(scan(utf8("NDExMTExMTExMTExMTExMQ=="), ContentType.TEXT, null, 5)).isEmpty();
  }

  @Test
  void plainUtf8IsUnchanged() {
    String json = "{\"card\":\"" + CARD + "\",\"quote\":\"a \\\"b\\\" \\n\"}";
    byte[] out = redact(utf8(json), ContentType.JSON, RedactionStyle.MASK, 2);
    assertThat(new String(out, StandardCharsets.UTF_8))
        .isEqualTo("{\"card\":\"****************\",\"quote\":\"a \\\"b\\\" \\n\"}");
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void utf8JsonWithBomKeepsItsPathsAndOffsets() {
    byte[] bytes = "\uFEFF{\"user\":{\"ssn\":\"078-05-1120\"}}".getBytes(StandardCharsets.UTF_8);
    for (int chunk : new int[] {1, 2, 5, bytes.length}) {
      List<Finding> findings = scan(bytes, ContentType.JSON, null, chunk);
      assertThat(categories(findings)).containsExactly("us_ssn");
      assertThat(findings.get(0).jsonPath()).isEqualTo("$.user.ssn");
      assertThat(findings.get(0).start()).isEqualTo(19);
    }
  }
}
