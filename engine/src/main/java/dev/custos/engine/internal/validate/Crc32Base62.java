package dev.custos.engine.internal.validate;

import java.util.zip.CRC32;

/**
 * Checks the checksum of GitHub-style tokens (GitHub's ghp_, gho_, ghu_, ghs_, ghr_ and npm's
 * npm_): after the prefix's last underscore come 30 random base62 characters and 6 more that are
 * the CRC32 of those 30, written in base62 (digits, upper case, lower case) and left-padded with
 * zeros. Runs in time linear in the value.
 */
final class Crc32Base62 implements Validator {
  private static final String ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final int CHECK_LENGTH = 6;
  private static final int MIN_RANDOM = 20;

  @Override
  public String name() {
    return "crc32_base62";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int start = 0;
    for (int i = value.length() - 1; i >= 0; i--) {
      if (value.charAt(i) == '_') {
        start = i + 1;
        break;
      }
    }
    int checkStart = value.length() - CHECK_LENGTH;
    if (checkStart - start < MIN_RANDOM) {
      return false;
    }
    CRC32 crc = new CRC32();
    for (int i = start; i < checkStart; i++) {
      char c = value.charAt(i);
      if (ALPHABET.indexOf(c) < 0) {
        return false;
      }
      crc.update(c);
    }
    long sum = crc.getValue();
    for (int i = value.length() - 1; i >= checkStart; i--) {
      if (value.charAt(i) != ALPHABET.charAt((int) (sum % 62))) {
        return false;
      }
      sum /= 62;
    }
    return sum == 0;
  }

  /** Returns the six checksum characters for {@code random} (for tests and examples). */
  static String checksum(CharSequence random) {
    CRC32 crc = new CRC32();
    for (int i = 0; i < random.length(); i++) {
      crc.update(random.charAt(i));
    }
    long sum = crc.getValue();
    char[] out = new char[CHECK_LENGTH];
    for (int i = CHECK_LENGTH - 1; i >= 0; i--) {
      out[i] = ALPHABET.charAt((int) (sum % 62));
      sum /= 62;
    }
    return new String(out);
  }
}
