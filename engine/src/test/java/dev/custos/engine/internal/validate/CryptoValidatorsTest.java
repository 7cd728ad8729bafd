package dev.custos.engine.internal.validate;

import static dev.custos.engine.internal.validate.ValidatorTesting.valid;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CryptoValidatorsTest {
  @Test
  void keccak256OfEmptyInputMatchesTheKnownDigest() {
    assertThat(HexFormat.of().formatHex(Keccak256.hash(new byte[0])))
        .isEqualTo("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  }

  @Test
  void keccak256HandlesInputsSpanningSeveralBlocks() {
    byte[] a = new byte[136];
    byte[] b = new byte[137];
    byte[] c = "x".repeat(1000).getBytes(StandardCharsets.US_ASCII);
    assertThat(Keccak256.hash(a)).hasSize(32).isNotEqualTo(Keccak256.hash(b));
    assertThat(Keccak256.hash(c)).isEqualTo(Keccak256.hash(c.clone()));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // EIP-55 test vectors: all caps, all lower, normal.
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"
      })
  void ethereumAddressAcceptsEip55Vectors(String value) {
    assertThat(valid("ethereum_address", value)).isTrue();
  }

  @Test
  void ethereumAddressWithOneLetterCaseFlippedIsRejected() {
    assertThat(valid("ethereum_address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")).isFalse();
    assertThat(valid("ethereum_address", "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")).isFalse();
  }

  @Test
  void ethereumAddressWithWrongLengthPrefixOrNonHexIsRejected() {
    assertThat(valid("ethereum_address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe")).isFalse();
    assertThat(valid("ethereum_address", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00")).isFalse();
    assertThat(valid("ethereum_address", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", // P2PKH
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", // genesis block
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy" // P2SH
      })
  void bitcoinAddressAcceptsBase58CheckExamples(String value) {
    assertThat(valid("bitcoin_address", value)).isTrue();
  }

  @Test
  void bitcoinBase58AddressWithOneCharacterChangedIsRejected() {
    assertThat(valid("bitcoin_address", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3")).isFalse();
    assertThat(valid("bitcoin_address", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN")).isFalse();
    assertThat(valid("bitcoin_address", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN0")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // BIP-173 / BIP-350 valid mainnet segwit addresses.
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "BC1SW50QGDZ25J",
        "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
      })
  void bitcoinAddressAcceptsSegwitVectors(String value) {
    assertThat(valid("bitcoin_address", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // BIP-350 invalid segwit addresses (mainnet ones), with the reason.
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", // bech32 for v1
        "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", // bech32 for v16
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", // bech32m for v0
        "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", // bad checksum char
        "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", // version 17
        "bc1pw5dgrnzv", // 1-byte program
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav", // 41 bytes
        "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", // v0 program of 16 bytes
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", // padding > 4 bits
        "bc1gmk9yu", // empty data
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", // testnet
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", // one character changed
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7Kv8f3t4" // mixed case
      })
  void bitcoinAddressRejectsInvalidSegwitVectors(String value) {
    assertThat(valid("bitcoin_address", value)).isFalse();
  }
}
