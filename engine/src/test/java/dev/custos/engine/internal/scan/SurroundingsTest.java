package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.DetectorDefinition.Normalization;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SurroundingsTest {

  /** Whether the rules drop {@code candidate}, the first occurrence of it in {@code text}. */
  private static boolean rejects(String category, Normalization n, String text, String candidate) {
    byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
    int start = text.indexOf(candidate);
    return Surroundings.rejects(category, n, b, b.length, start, start + candidate.length());
  }

  private static boolean ipRejects(String text, String candidate) {
    return rejects("ip_address", Normalization.EXACT, text, candidate);
  }

  @Test
  void dottedQuadsInVersionContextAreVersions() {
    assertThat(ipRejects("update V8 to 10.9.194.9", "10.9.194.9")).isTrue();
    assertThat(ipRejects("pkg (1.13.11.1)", "1.13.11.1")).isTrue();
    assertThat(ipRejects("socat:amd64 1.7.4.4-2 2026", "1.7.4.4")).isTrue();
    assertThat(ipRejects("1.2.3.4.5", "1.2.3.4")).isTrue();
    assertThat(ipRejects("range 10.0.0.0/8", "10.0.0.0")).isTrue();
    assertThat(ipRejects("client ip 203.0.113.42", "203.0.113.42")).isFalse();
    assertThat(ipRejects("upgraded server 203.0.113.9", "203.0.113.9")).isFalse();
    assertThat(ipRejects("db.example.com (192.0.2.10)", "192.0.2.10")).isFalse();
    assertThat(ipRejects("10.0.0.1-10.0.0.9", "10.0.0.1")).isFalse();
  }

  @Test
  void ipv6MustBeWellFormedAndNotPartOfAColonList() {
    assertThat(ipRejects("peer 2001:db8::8a2e:370:7334", "2001:db8::8a2e:370:7334")).isFalse();
    assertThat(ipRejects("fe80::1", "fe80::1")).isFalse();
    assertThat(ipRejects("2001:db8::1::2", "2001:db8::1::2")).isTrue();
    assertThat(ipRejects("AB:CD:EF:01:23:45:67:89", "AB:CD:EF:01:23:45:67:89")).isTrue();
    assertThat(ipRejects("x 1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8")).isTrue();
    assertThat(ipRejects("B::C module", "B::C")).isTrue();
    assertThat(rejects("mac_address", Normalization.ALPHANUMERIC, "AB:CD:EF:01:23:45:67:89",
        "AB:CD:EF:01:23:45")).isTrue();
    assertThat(rejects("mac_address", Normalization.ALPHANUMERIC, "mac 00:1a:2b:3c:4d:5e up",
        "00:1a:2b:3c:4d:5e")).isFalse();
  }

  @Test
  void sshLocationsAndUrlUserInfoAreNotEmails() {
    assertThat(rejects("email", Normalization.LOWERCASE, "git@github.com:owner/repo", "git@github.com")).isTrue();
    assertThat(rejects("email", Normalization.LOWERCASE, "ssh://git@example.com/x", "git@example.com")).isTrue();
    assertThat(rejects("email", Normalization.LOWERCASE, "to jane@example.com: hi", "jane@example.com")).isFalse();
  }

  @Test
  void digitsInsideLongerNumbersAreNotIds() {
    assertThat(rejects("au_abn", Normalization.DIGITS, "5.51824753556e10", "51824753556")).isTrue();
    assertThat(rejects("au_abn", Normalization.DIGITS, "51824753556e10", "51824753556")).isTrue();
    assertThat(rejects("au_abn", Normalization.DIGITS, "0.51824753556", "51824753556")).isTrue();
    assertThat(rejects("phone_number", Normalization.DIGITS, "1.2e+51824753556", "+51824753556")).isTrue();
    assertThat(rejects("phone_number", Normalization.DIGITS, "libkmod 30+20221128-1", "+20221128")).isTrue();
    assertThat(rejects("phone_number", Normalization.DIGITS, "call +14155552671 now", "+14155552671")).isFalse();
    assertThat(rejects("au_abn", Normalization.DIGITS, "ABN 51824753556.", "51824753556")).isFalse();
  }
}
