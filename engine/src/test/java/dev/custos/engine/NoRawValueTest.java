package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Plants known sensitive values and checks that none of them appears in findings, evidence,
 * results, notes, {@code toString()}, exception messages or log output.
 */
class NoRawValueTest {
  private static final List<String> CANARIES =
      List.of(
          "4111111111111111",
          "4111 1111 1111 1111",
          "078-05-1120",
          "078051120",
          "jane.canary@example.com",
          "AKIAIOSFODNN7EXAMPLE",
          "GB82WEST12345698765432");

  private static final String TEXT =
      "card 4111 1111 1111 1111 and 4111111111111111, ssn 078-05-1120, mail jane.canary@example.com,"
          + " key AKIAIOSFODNN7EXAMPLE, iban GB82WEST12345698765432\n";
  private static final String JSON =
      "{\"card\":4111111111111111,\"ssn\":\"078-05-1120\",\"email\":\"jane.canary@example.com\","
          + "\"aws\":\"AKIAIOSFODNN7EXAMPLE\",\"iban\":\"GB82 WEST 1234 5698 7654 32\"}";
  private static final String FORM =
      "card=4111+1111+1111+1111&pan=4111111111111111&ssn=%30%37%38-05-1120&email=jane.canary%40example.com"
          + "&aws=AKIAIOSFODNN7EXAMPLE&iban=GB82WEST12345698765432&bad=%zz%4";

  @Test
  void plantedValuesAppearInNoOutputOfTheEngine() {
    PrintStream originalErr = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<String> outputs = new ArrayList<>();
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try (Scanner scanner = Scanner.builder(Policy.ofDefault()).evidenceKey(EvidenceKey.random()).build()) {
      outputs.add(scanner.toString());
      for (ContentType type : ContentType.values()) {
        for (String input : List.of(TEXT, JSON, JSON.substring(0, JSON.length() - 5), FORM)) {
          if (input == FORM && type != ContentType.FORM) {
            continue; // as text, a form hides its encoded values
          }
          byte[] bytes = input.getBytes(StandardCharsets.UTF_8);
          ScanResult result = scanner.scan(bytes, type);
          assertThat(result.findings()).as(type.id()).hasSizeGreaterThanOrEqualTo(4);
          outputs.add(result.toString());
          outputs.add(result.notes().toString());
          for (Finding f : result.findings()) {
            outputs.add(f.toString());
            outputs.add(f.evidence().preview());
            outputs.add(f.evidence().hash());
            outputs.add(f.evidence().toString());
            outputs.add(String.valueOf(f.jsonPath()));
          }
          StreamScanner stream = scanner.newStream(type);
          stream.feed(bytes, 0, bytes.length);
          outputs.add(stream.toString());
          stream.finish();
          Throwable afterFinish =
              org.junit.jupiter.api.Assertions.assertThrows(
                  IllegalStateException.class, () -> stream.feed(bytes, 0, bytes.length));
          outputs.add(String.valueOf(afterFinish.getMessage()));
          stream.close();
        }
      }
    } finally {
      System.setErr(originalErr);
    }
    outputs.add(log.toString(StandardCharsets.UTF_8));
    outputs.add(EvidenceKey.of(Samples.utf8("4111111111111111-key-bytes")).toString());
    for (String output : outputs) {
      for (String canary : CANARIES) {
        assertThat(output).as("an engine output").doesNotContain(canary);
      }
    }
  }

  @Test
  void policyErrorsDoNotEchoExcludedValues() {
    String yaml =
        "version: 1\n"
            + "categories:\n"
            + "  employee_id:\n"
            + "    detectors:\n"
            + "      - regex: 'EMP-[0-9]{6}'\n"
            + "        exclude: [078-05-1120, {bad: 4111111111111111}]\n";
    assertThatThrownBy(() -> Policy.parse(yaml, "canary.yaml"))
        .isInstanceOf(PolicyException.class)
        .satisfies(
            e -> {
              for (String canary : CANARIES) {
                assertThat(e.getMessage()).doesNotContain(canary);
              }
            });
  }

  @Test
  void maskedOutputHoldsNoPlantedValue() {
    try (Scanner scanner = Scanner.builder(Policy.ofDefault()).evidenceKey(EvidenceKey.random()).build()) {
      for (RedactionStyle style : RedactionStyle.values()) {
        for (ContentType type : List.of(ContentType.TEXT, ContentType.FORM)) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          try (StreamScanner stream = scanner.newRedactingStream(type, style, out::write)) {
            byte[] bytes = (type == ContentType.FORM ? FORM : TEXT).getBytes(StandardCharsets.UTF_8);
            stream.feed(bytes, 0, bytes.length);
            stream.finish();
          }
          String redacted = out.toString(StandardCharsets.UTF_8);
          // A form is checked decoded too: an encoded value (jane.canary%40example.com) is still the value.
          List<String> views = new ArrayList<>(List.of(redacted));
          if (type == ContentType.FORM) {
            for (byte[][] field : Samples.decodeForm(out.toByteArray())) {
              views.add(new String(field[0], StandardCharsets.UTF_8));
              views.add(field[1] == null ? "" : new String(field[1], StandardCharsets.UTF_8));
            }
          }
          for (String view : views) {
            for (String canary : CANARIES) {
              assertThat(view).as("%s %s", style.id(), type.id()).doesNotContain(canary);
            }
          }
        }
      }
    }
  }
}
