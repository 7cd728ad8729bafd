package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.ContentType;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.ProtobufSchema;
import dev.custos.engine.Scanner;
import dev.custos.engine.StreamScanner;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link GrpcDescriptors} reads a descriptor set that protoc wrote (payments.proto beside it). */
class GrpcDescriptorsTest {
  private static Path resource() throws URISyntaxException {
    return Path.of(GrpcDescriptorsTest.class.getResource("payments.pb").toURI());
  }

  @Test
  void methodsNameTheirTypesAndFieldsTheirKinds() throws Exception {
    GrpcDescriptors d = GrpcDescriptors.load(resource());
    assertThat(d.method("/custos.test.Payments/Pay"))
        .isEqualTo(new GrpcDescriptors.Method("custos.test.Payment", "custos.test.Payment"));
    assertThat(d.method("/custos.test.Payments/Chat")).isNotNull();
    assertThat(d.method("/custos.test.Payments/Nope")).isNull();
    ProtobufSchema.Message payment = d.schema().message("custos.test.Payment");
    assertThat(payment.field(2).kind()).isEqualTo(ProtobufSchema.Kind.MESSAGE);
    assertThat(payment.field(2).messageType()).isEqualTo("custos.test.Card");
    assertThat(payment.field(4).repeated()).isTrue();
    assertThat(payment.field(5).kind()).isEqualTo(ProtobufSchema.Kind.OTHER);
    assertThat(payment.field(6).messageType()).isEqualTo("custos.test.Payment.LabelsEntry");
    assertThat(d.schema().message("custos.test.Payment.Audit").field(1).kind()).isEqualTo(ProtobufSchema.Kind.BYTES);
  }

  @Test
  void aMessageReadWithTheProtocDescriptorsCarriesFieldNames() throws Exception {
    GrpcDescriptors d = GrpcDescriptors.load(resource());
    // Payment { card { number: "4111 1111 1111 1111" } labels { key: "k" value: "ssn 078-05-1120" } }
    byte[] card = concat(new byte[] {0x0a, 19}, "4111 1111 1111 1111".getBytes());
    byte[] entry = concat(new byte[] {0x0a, 1, 'k', 0x12, 15}, "ssn 078-05-1120".getBytes());
    byte[] body = concat(concat(new byte[] {0x12, (byte) card.length}, card),
        concat(new byte[] {0x32, (byte) entry.length}, entry));
    List<Finding> findings = new ArrayList<>();
    try (Scanner scanner = Scanner.builder(Policy.ofDefault()).build();
        StreamScanner s = scanner.newStream(ContentType.PROTOBUF, d.schema(), "custos.test.Payment")) {
      findings.addAll(s.feed(body, 0, body.length));
      findings.addAll(s.finish());
    }
    assertThat(findings).extracting(Finding::jsonPath).containsExactly("$.card.number", "$.labels[0].value");
  }

  @Test
  void aFileThatIsNotADescriptorSetIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.pb"), "not protobuf at all");
    assertThatThrownBy(() -> GrpcDescriptors.load(junk))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("junk.pb")
        .hasMessageContaining("expected:");
    assertThatThrownBy(() -> GrpcDescriptors.load(dir.resolve("missing.pb")))
        .hasMessageContaining("missing.pb: cannot be read");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
