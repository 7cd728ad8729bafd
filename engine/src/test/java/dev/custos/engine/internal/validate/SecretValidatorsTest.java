package dev.custos.engine.internal.validate;

import static dev.custos.engine.internal.validate.ValidatorTesting.valid;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.CRC32;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.NumericChars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretValidatorsTest {

  // --- crc32_base62 ---------------------------------------------------------------------------

  /** Vectors computed independently (Python: zlib.crc32, then base62 over 0-9A-Za-z). */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "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",
        "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",
        "ghs_EXAMPLE0example1EXAMPLE0exampl0XlIwP",
        "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"
      })
  void crc32Base62AcceptsComputedVectors(String token) {
    assertThat(valid("crc32_base62", token)).isTrue();
  }

  @Test
  void crc32Base62ChecksumIsTheBase62OfTheCrc32OfTheRandomPart() {
    CRC32 crc = new CRC32();
    crc.update("EXAMPLE0example1EXAMPLE0exampl".getBytes(StandardCharsets.US_ASCII));
    assertThat(crc.getValue()).isEqualTo(toLong("0XlIwP"));
    assertThat(Crc32Base62.checksum("EXAMPLE0example1EXAMPLE0exampl")).isEqualTo("0XlIwP");
    assertThat(Crc32Base62.checksum("")).isEqualTo("000000");
  }

  private static long toLong(String base62) {
    String alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    long n = 0;
    for (char c : base62.toCharArray()) {
      n = n * 62 + alphabet.indexOf(c);
    }
    return n;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ghp_EXAMPLE0example1EXAMPLE0exampl0XlIwQ", // last checksum character off by one
        "ghp_EXAMPLE0example1EXAMPLE0exampL0XlIwP", // one random character's case flipped
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // placeholder
        "ghp_EXAMPLE0example1EXAMPLE0example1EXAM", // the old, unchecked sample
        "ghp_0XlIwP", // too short for a random part
        "ghp_EXAMPLE0example1EXAMPLE0exa-pl0XlIwP" // not base62
      })
  void crc32Base62RejectsNearMisses(String token) {
    assertThat(valid("crc32_base62", token)).isFalse();
  }

  @Property(tries = 300)
  void crc32Base62AcceptsEveryTokenBuiltWithItsChecksum(
      @ForAll @StringLength(30) @CharRange(from = 'a', to = 'z') @CharRange(from = 'A', to = 'Z')
              @NumericChars
              String random) {
    String token = "ghp_" + random + Crc32Base62.checksum(random);
    assertThat(valid("crc32_base62", token)).isTrue();
    char last = token.charAt(token.length() - 1);
    String broken = token.substring(0, token.length() - 1) + (last == '0' ? '1' : '0');
    assertThat(valid("crc32_base62", broken)).isFalse();
  }

  // --- random_token ---------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "glpat-EXAMPLE-fake_EXAMPLE",
        "AKIAIOSFODNN7EXAMPLE",
        "xoxb-263594206564-2343493520373-EXAMPLEfakeEXAMPLEfakeEX",
        "dp.pt.Vh3Qm9tXk2LpR7wZs4NcYe8UjA1bGf6HdK0oTi5q"
      })
  void randomTokenAcceptsRandomLookingValues(String token) {
    assertThat(valid("random_token", token)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "AKIAXXXXXXXXXXXXXXXX",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "sk_live_000000000000000000000000",
        "sk_live_123456789012345678901234",
        "sk_test_abcdefghijklmnopqrstuvwx",
        "sk_live_abababababababababababab",
        "sk_live_ab12cd34ab12cd34ab12cd34",
        "glpat-your_token_goes_here_1234",
        "npm_PLACEHOLDER_TOKEN_VALUE_0Q9w",
        "sk_test_REDACTEDvalue7Kq2mZ8xP4wN",
        "pplx-changeme7Kq2mZ8xP4wNt5Rv9bLc3",
        "xoxb-123456789012-1234567890123-EXAMPLEfakeEXAMPLEfakeEX"
      })
  void randomTokenRejectsPlaceholders(String token) {
    assertThat(valid("random_token", token)).isFalse();
  }

  @Test
  void randomTokenDoesNotConfirm() {
    assertThat(ValidatorTesting.validator("random_token").confirms()).isFalse();
    assertThat(ValidatorTesting.validator("crc32_base62").confirms()).isTrue();
  }

  // --- private_key: PGP armor and escaped line breaks ----------------------------------------

  @Test
  void pgpPrivateKeyWithHeadersAndCrc24LineIsAccepted() {
    String armor =
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
            + "Version: EXAMPLE 1.0\n"
            + "Comment: FAKE key for tests\n"
            + "\n"
            + body(120)
            + "\n=Xq3Z\n"
            + "-----END PGP PRIVATE KEY BLOCK-----\n";
    assertThat(valid("private_key", armor)).isTrue();
    assertThat(valid("private_key", armor.replace("\n", "\r\n"))).isTrue();
  }

  @Test
  void pemWithJsonEscapedLineBreaksIsAccepted() {
    String pem = "-----BEGIN EC PRIVATE KEY-----\n" + body(96) + "\n-----END EC PRIVATE KEY-----\n";
    assertThat(valid("private_key", pem.replace("\n", "\\n"))).isTrue();
    assertThat(valid("private_key", pem.replace("\n", "\\r\\n"))).isTrue();
  }

  @Test
  void base64AfterTheChecksumLineOrTwoChecksumLinesAreRejected() {
    String head = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n";
    String tail = "-----END PGP PRIVATE KEY BLOCK-----";
    assertThat(valid("private_key", head + body(120) + "\n=Xq3Z\n" + body(3) + "\n" + tail))
        .isFalse();
    assertThat(valid("private_key", head + body(120) + "\n=Xq3Z\n=Xq3Z\n" + tail)).isFalse();
    assertThat(valid("private_key", head + body(30) + "\n=Xq3Z\n" + tail)).isFalse();
  }

  private static String body(int bytes) {
    byte[] b = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      b[i] = (byte) (i * 53 + 7);
    }
    return Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(b);
  }
}
