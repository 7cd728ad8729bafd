package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.ProtobufSchema.Field;
import dev.custos.engine.ProtobufSchema.Kind;
import dev.custos.engine.ProtobufSchema.Message;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Protobuf and gRPC read with a schema: field names in paths and as context, kinds decide. */
class ProtobufSchemaTest {
  private static final Scanner SCANNER = Samples.JAVA;
  private static final String CARD = "4111 1111 1111 1111";

  static final ProtobufSchema SCHEMA = ProtobufSchema.of(List.of(
      Message.of("shop.Order", List.of(
          Field.of(1, "user", Kind.MESSAGE, false, "shop.User"),
          Field.of(2, "notes", Kind.STRING, true, null),
          Field.of(3, "amounts", Kind.OTHER, false, null))),
      Message.of("shop.User", List.of(
          Field.of(1, "name", Kind.STRING, false, null),
          Field.of(2, "payment", Kind.MESSAGE, false, "shop.Payment"))),
      Message.of("shop.Payment", List.of(
          Field.of(1, "card_number", Kind.STRING, false, null),
          Field.of(2, "ssn", Kind.STRING, false, null)))));

  private static List<Finding> scan(byte[] body, ContentType type) {
    List<Finding> findings = new ArrayList<>();
    try (StreamScanner s = SCANNER.newStream(type, SCHEMA, "shop.Order")) {
      for (int i = 0; i < body.length; i += 7) {
        findings.addAll(s.feed(body, i, Math.min(7, body.length - i)));
      }
      findings.addAll(s.finish());
    }
    return findings;
  }

  private static byte[] order(String card, String ssn) {
    return Pb.message()
        .message(1, Pb.message().string(1, "Jane").message(2, Pb.message().string(1, card).string(2, ssn)))
        .string(2, "first note")
        .string(2, "second note " + CARD)
        .toBytes();
  }

  @Test
  void findingsCarryFieldNamesAndRepeatedFieldsTheirIndex() {
    List<Finding> findings = scan(order(CARD, "078-05-1120"), ContentType.PROTOBUF);
    assertThat(findings).extracting(Finding::jsonPath)
        .containsExactly("$.user.payment.card_number", "$.user.payment.ssn", "$.notes[1]");
  }

  @Test
  void theFieldNameIsContextAsAJsonKeyIs() {
    // The field name "ssn" confirms the number, as the key of {"ssn":"078-05-1120"} does.
    byte[] body = order("none", "078-05-1120");
    Finding withSchema = only(scan(body, ContentType.PROTOBUF), "us_ssn");
    Finding without = only(SCANNER.scan(body, ContentType.PROTOBUF).findings(), "us_ssn");
    Finding json = only(SCANNER.scan(Samples.utf8("{\"ssn\":\"078-05-1120\"}"), ContentType.JSON).findings(), "us_ssn");
    assertThat(withSchema.confidence()).isEqualTo(json.confidence()).isEqualTo(Confidence.HIGH);
    assertThat(without.confidence()).isLessThan(Confidence.HIGH);
  }

  private static Finding only(List<Finding> findings, String category) {
    return findings.stream().filter(f -> f.category().equals(category)).findFirst().orElseThrow();
  }

  @Test
  void aStringFieldThatParsesAsAMessageIsStillAString() {
    // Without a schema, these bytes would be walked as a message; the schema says string.
    byte[] inner = Pb.message().string(5, "card " + CARD).toBytes();
    byte[] body = Pb.message().bytes(2, inner).toBytes();
    assertThat(scan(body, ContentType.PROTOBUF)).extracting(Finding::jsonPath).containsExactly("$.notes[0]");
    assertThat(SCANNER.scan(body, ContentType.PROTOBUF).findings()).extracting(Finding::jsonPath)
        .containsExactly("$.2.5");
  }

  @Test
  void fieldsOfOtherKindsAreSkippedAndUnknownFieldsReadAsWithout() {
    byte[] body = Pb.message()
        .bytes(3, ("card " + CARD).getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .message(9, Pb.message().string(4, "card " + CARD))
        .toBytes();
    assertThat(scan(body, ContentType.PROTOBUF)).extracting(Finding::jsonPath).containsExactly("$.9.4");
  }

  @Test
  void grpcMessagesAreReadAsTheGivenType() {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] m : List.of(order("none", "none"), order(CARD, "none"))) {
      body.write(0);
      body.writeBytes(new byte[] {0, 0, (byte) (m.length >>> 8), (byte) m.length});
      body.writeBytes(m);
    }
    assertThat(scan(body.toByteArray(), ContentType.GRPC)).extracting(Finding::jsonPath)
        .containsExactly("$[0].notes[1]", "$[1].user.payment.card_number", "$[1].notes[1]");
  }

  @Test
  void redactionWithASchemaMasksInPlace() {
    byte[] body = order(CARD, "078-05-1120");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (StreamScanner s = SCANNER.newRedactingStream(ContentType.PROTOBUF, SCHEMA, "shop.Order",
        RedactionChoice.always(RedactionStyle.HASH), out::write)) {
      s.feed(body, 0, body.length);
      s.finish();
    }
    assertThat(out.toByteArray()).hasSameSizeAs(body);
    assertThat(scan(out.toByteArray(), ContentType.PROTOBUF)).isEmpty();
  }

  @Test
  void badSchemasAndTypesAreRefusedWithWhatWasExpected() {
    assertThatThrownBy(() -> ProtobufSchema.of(List.of(Message.of("a.B",
        List.of(Field.of(1, "c", Kind.MESSAGE, false, "a.Missing"))))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a.Missing");
    assertThatThrownBy(() -> Field.of(0, "x", Kind.STRING, false, null))
        .hasMessageContaining("expected: 1 to 536870911");
    assertThatThrownBy(() -> SCANNER.newStream(ContentType.PROTOBUF, SCHEMA, "shop.Nope"))
        .hasMessageContaining("messageType: shop.Nope");
    assertThatThrownBy(() -> SCANNER.newStream(ContentType.JSON, SCHEMA, "shop.Order"))
        .hasMessageContaining("expected: protobuf, grpc or grpc_web_text");
  }
}
