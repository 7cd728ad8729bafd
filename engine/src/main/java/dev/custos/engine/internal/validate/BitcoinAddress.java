package dev.custos.engine.internal.validate;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Implements Bitcoin mainnet address checks: Base58Check P2PKH/P2SH (version 0 or 5, double
 * SHA-256 checksum) and segwit addresses per BIP-173 (bech32, version 0) and BIP-350 (bech32m,
 * versions 1-16).
 */
final class BitcoinAddress implements Validator {
  private static final String BASE58 =
      "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  private static final String BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  private static final int BECH32_CONST = 1;
  private static final int BECH32M_CONST = 0x2bc830a3;
  private static final int[] GENERATOR = {
    0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3
  };

  @Override
  public String name() {
    return "bitcoin_address";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int len = value.length();
    if (len >= 3 && (value.charAt(0) == 'b' || value.charAt(0) == 'B')) {
      return isSegwit(value);
    }
    return isBase58Check(value);
  }

  private static boolean isBase58Check(CharSequence value) {
    int len = value.length();
    if (len < 26 || len > 35 || (value.charAt(0) != '1' && value.charAt(0) != '3')) {
      return false;
    }
    byte[] bytes = new byte[25];
    int leadingOnes = 0;
    boolean inLeadingOnes = true;
    for (int i = 0; i < len; i++) {
      char c = value.charAt(i);
      int v = c < 128 ? BASE58.indexOf(c) : -1;
      if (v < 0) {
        return false;
      }
      if (inLeadingOnes && v == 0) {
        leadingOnes++;
      } else {
        inLeadingOnes = false;
      }
      int carry = v;
      for (int j = 24; j >= 0; j--) {
        carry += 58 * (bytes[j] & 0xff);
        bytes[j] = (byte) carry;
        carry >>>= 8;
      }
      if (carry != 0) {
        return false;
      }
    }
    int leadingZeros = 0;
    while (leadingZeros < 25 && bytes[leadingZeros] == 0) {
      leadingZeros++;
    }
    if (leadingZeros != leadingOnes || (bytes[0] != 0 && bytes[0] != 5)) {
      return false;
    }
    byte[] hash = sha256(sha256(Arrays.copyOf(bytes, 21)));
    if (hash.length < 4) {
      return false;
    }
    for (int i = 0; i < 4; i++) {
      if (hash[i] != bytes[21 + i]) {
        return false;
      }
    }
    return true;
  }

  private static byte[] sha256(byte[] in) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(in);
    } catch (NoSuchAlgorithmException e) {
      return new byte[0];
    }
  }

  private static boolean isSegwit(CharSequence value) {
    int len = value.length();
    if (len < 14 || len > 90) {
      return false;
    }
    boolean lower = false;
    boolean upper = false;
    int sep = -1;
    for (int i = 0; i < len; i++) {
      char c = value.charAt(i);
      if (c >= 'a' && c <= 'z') {
        lower = true;
      } else if (c >= 'A' && c <= 'Z') {
        upper = true;
      }
      if (c == '1') {
        sep = i;
      }
    }
    if (lower && upper || sep != 2) {
      return false;
    }
    char h0 = Character.toLowerCase(value.charAt(0));
    char h1 = Character.toLowerCase(value.charAt(1));
    if (h0 != 'b' || h1 != 'c') {
      return false;
    }
    int dataLen = len - 3;
    if (dataLen < 7) {
      return false;
    }
    int[] data = new int[dataLen];
    for (int i = 0; i < dataLen; i++) {
      int v = BECH32.indexOf(Character.toLowerCase(value.charAt(3 + i)));
      if (v < 0) {
        return false;
      }
      data[i] = v;
    }
    int chk = 1;
    chk = polymodStep(chk, h0 >> 5);
    chk = polymodStep(chk, h1 >> 5);
    chk = polymodStep(chk, 0);
    chk = polymodStep(chk, h0 & 31);
    chk = polymodStep(chk, h1 & 31);
    for (int v : data) {
      chk = polymodStep(chk, v);
    }
    int version = data[0];
    if (version > 16) {
      return false;
    }
    int expected = version == 0 ? BECH32_CONST : BECH32M_CONST;
    if (chk != expected) {
      return false;
    }
    // Regroup the program from 5-bit to 8-bit groups; at most 4 zero padding bits.
    int acc = 0;
    int bits = 0;
    int programLen = 0;
    for (int i = 1; i < dataLen - 6; i++) {
      acc = (acc << 5) | data[i];
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        programLen++;
      }
      acc &= (1 << bits) - 1;
    }
    if (bits > 4 || acc != 0) {
      return false;
    }
    if (programLen < 2 || programLen > 40) {
      return false;
    }
    return version != 0 || programLen == 20 || programLen == 32;
  }

  private static int polymodStep(int chk, int value) {
    int top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ value;
    for (int i = 0; i < 5; i++) {
      if (((top >>> i) & 1) != 0) {
        chk ^= GENERATOR[i];
      }
    }
    return chk;
  }
}
