package dev.custos.engine.internal.validate;

import java.nio.charset.StandardCharsets;

/**
 * Implements Ethereum address checks: 0x and 40 hex digits, with the EIP-55 mixed-case checksum
 * (Keccak-256 of the lower-case hex) when the letters are mixed case.
 */
final class EthereumAddress implements Validator {
  @Override
  public String name() {
    return "ethereum_address";
  }

  @Override
  public boolean isValid(CharSequence value) {
    if (value.length() != 42 || value.charAt(0) != '0' || value.charAt(1) != 'x') {
      return false;
    }
    boolean lower = false;
    boolean upper = false;
    char[] hex = new char[40];
    for (int i = 0; i < 40; i++) {
      char c = value.charAt(i + 2);
      if (c >= 'a' && c <= 'f') {
        lower = true;
      } else if (c >= 'A' && c <= 'F') {
        upper = true;
        c = (char) (c - 'A' + 'a');
      } else if (!Chars.isDigit(c)) {
        return false;
      }
      hex[i] = c;
    }
    if (!lower || !upper) {
      return true;
    }
    byte[] hash = Keccak256.hash(new String(hex).getBytes(StandardCharsets.US_ASCII));
    for (int i = 0; i < 40; i++) {
      char c = value.charAt(i + 2);
      if (Chars.isDigit(c)) {
        continue;
      }
      int nibble = (i % 2 == 0) ? (hash[i / 2] >> 4) & 0xf : hash[i / 2] & 0xf;
      boolean shouldBeUpper = nibble >= 8;
      if (shouldBeUpper != Chars.isUpper(c)) {
        return false;
      }
    }
    return true;
  }
}
