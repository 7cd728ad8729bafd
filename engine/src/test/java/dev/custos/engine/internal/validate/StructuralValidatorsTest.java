package dev.custos.engine.internal.validate;

import static dev.custos.engine.internal.validate.ValidatorTesting.valid;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StructuralValidatorsTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "1985-04-12", "1985/04/12", "12/04/1985", "04/12/1985", "12.04.1985", "12-04-1985",
        "1985-4-2", "31/12/1999", "12/31/1999", "29.02.2000", "2099-12-31", "1900-01-01"
      })
  void dateAcceptsEachSupportedForm(String value) {
    assertThat(valid("date", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1985-13-12", // month 13
        "31/31/1999", // neither day/month nor month/day
        "29.02.1900", // 1900 is not a leap year
        "1899-12-31", // before 1900
        "2100-01-01", // after 2099
        "12.31.1999", // dotted form is day first only
        "12-31-1999", // dashed form is day first only
        "1985.04.12", // dotted form with the year first
        "1985-04/12", // mixed separators
        "19850412",
        "85-04-12",
        "1985-04-12T"
      })
  void dateOutsideTheFormsOrCalendarIsRejected(String value) {
    assertThat(valid("date", value)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"192.168.0.1", "1.2.3.4", "10.0.0.0", "8.8.8.8", "255.255.255.254"})
  void ipv4AcceptsDottedQuads(String value) {
    assertThat(valid("ipv4", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0.0.0.0", "255.255.255.255", "256.1.1.1", "192.168.01.1", "1.2.3", "1.2.3.4.5",
        "1..2.3", "1.2.3.", "a.b.c.d", "1.2.3.4 "
      })
  void ipv4WithBadOctetsOrReservedExtremesIsRejected(String value) {
    assertThat(valid("ipv4", value)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // RFC 7519 section 3.1 example.
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
            + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
            + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        // jwt.io default token.
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
            + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
            + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
      })
  void jwtAcceptsPublishedTokens(String value) {
    assertThat(valid("jwt", value)).isTrue();
  }

  @Test
  void unsecuredJwtWithEmptySignatureIsAccepted() {
    assertThat(valid("jwt", b64("{\"alg\":\"none\"}") + "." + b64("{\"sub\":\"a\"}") + "."))
        .isTrue();
  }

  @Test
  void jwtWhoseHeaderLacksAlgOrIsNotAnObjectIsRejected() {
    String payload = b64("{\"sub\":\"a\"}");
    assertThat(valid("jwt", b64("{\"typ\":\"JWT\"}") + "." + payload + ".c2ln")).isFalse();
    assertThat(valid("jwt", b64("[\"alg\"]") + "." + payload + ".c2ln")).isFalse();
  }

  @Test
  void jwtWhosePayloadIsNotAnObjectIsRejected() {
    assertThat(valid("jwt", b64("{\"alg\":\"HS256\"}") + "." + b64("hello") + ".c2ln")).isFalse();
  }

  @Test
  void jwtWithWrongSegmentCountOrAlphabetIsRejected() {
    String header = b64("{\"alg\":\"HS256\"}");
    String payload = b64("{\"sub\":\"a\"}");
    assertThat(valid("jwt", header + "." + payload)).isFalse();
    assertThat(valid("jwt", header + "." + payload + ".c2ln.c2ln")).isFalse();
    assertThat(valid("jwt", header + "." + payload + ".c2l+")).isFalse();
    assertThat(valid("jwt", header + "=." + payload + ".c2ln")).isFalse();
    assertThat(valid("jwt", header + "A." + payload + ".c2ln")).isFalse();
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void privateKeyAcceptsARealPkcs8Key() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    byte[] der = g.generateKeyPair().getPrivate().getEncoded();
    String pem =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der)
            + "\n-----END PRIVATE KEY-----\n";
    assertThat(valid("private_key", pem)).isTrue();
    assertThat(valid("private_key", pem.replace("\n", "\r\n"))).isTrue();
  }

  @Test
  void privateKeyWithEncryptionHeadersIsAccepted() {
    String pem =
        "-----BEGIN RSA PRIVATE KEY-----\n"
            + "Proc-Type: 4,ENCRYPTED\n"
            + "DEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n"
            + "\n"
            + body(96)
            + "\n-----END RSA PRIVATE KEY-----";
    assertThat(valid("private_key", pem)).isTrue();
  }

  @Test
  void privateKeyWithShortOrBrokenBodyIsRejected() {
    assertThat(valid("private_key", armor("PRIVATE KEY", body(32)))).isFalse();
    assertThat(valid("private_key", armor("PRIVATE KEY", body(96) + "*"))).isFalse();
    assertThat(valid("private_key", armor("PRIVATE KEY", body(96).substring(1)))).isFalse();
  }

  @Test
  void armoredTextThatIsNotAPrivateKeyIsRejected() {
    assertThat(valid("private_key", armor("PUBLIC KEY", body(96)))).isFalse();
    assertThat(valid("private_key", armor("CERTIFICATE", body(96)))).isFalse();
    assertThat(valid("private_key", "-----BEGIN PRIVATE KEY-----\n" + body(96))).isFalse();
  }

  private static String body(int bytes) {
    byte[] b = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      b[i] = (byte) (i * 37 + 11);
    }
    return Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(b);
  }

  private static String armor(String label, String body) {
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----";
  }

  @Test
  void gcpServiceAccountKeyNeedsServiceAccountTypeAndKeyId() {
    String both = "{\"type\": \"service_account\", \"project_id\": \"p\", \"private_key_id\": \"abc\"";
    assertThat(valid("gcp_service_account_key", both)).isTrue();
    assertThat(valid("gcp_service_account_key", "{\"private_key_id\": \"abc\"}")).isFalse();
    assertThat(valid("gcp_service_account_key", "{\"type\": \"service_account\"}")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e", "001A2B3C4D5E"})
  void macAddressAcceptsCommonNotations(String value) {
    assertThat(valid("mac_address", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "FF-FF-FF-FF-FF-FF", "00:1A:2B:3C:4D",
        "00:1A-2B:3C:4D:5E", "00:1G:2B:3C:4D:5E", "001a:2b3c:4d5e", "0:1A:2B:3C:4D:5E:"
      })
  void macAddressAllZeroBroadcastOrMalformedIsRejected(String value) {
    assertThat(valid("mac_address", value)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0000000000", "000-00-0000", "123456789", "1234567890", "987654321", "aaaaaaa", "7",
        "---", ""
      })
  void notRepeatedRejectsPlaceholders(String value) {
    assertThat(valid("not_repeated", value)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"078-05-1120", "12345", "123457", "4111111111111111", "ab", "135791"})
  void notRepeatedAcceptsOtherValues(String value) {
    assertThat(valid("not_repeated", value)).isTrue();
  }
}
