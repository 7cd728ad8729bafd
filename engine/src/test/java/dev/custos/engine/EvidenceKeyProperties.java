package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link EvidenceKey#hmac} starts each message from SHA-256 states kept after the key's pad
 * blocks; evidence hashes (and so value lineage across versions) depend on it giving exactly
 * HMAC-SHA256, for keys shorter and longer than a block and messages of every length.
 */
class EvidenceKeyProperties {
  @Provide
  Arbitrary<byte[]> key() {
    // 16 bytes is the shortest key accepted; past 64 bytes HMAC hashes the key first.
    return Arbitraries.bytes().array(byte[].class).ofMinSize(16).ofMaxSize(200);
  }

  @Provide
  Arbitrary<byte[]> message() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
  }

  @Property(tries = 300, seed = "20261207")
  void hmacIsHmacSha256OfEveryKeyAndMessage(
      @ForAll("key") byte[] key, @ForAll("message") byte[] message, @ForAll("message") byte[] next)
      throws Exception {
    EvidenceKey evidenceKey = EvidenceKey.of(key);
    Mac reference = Mac.getInstance("HmacSHA256");
    reference.init(new SecretKeySpec(key, "HmacSHA256"));

    assertThat(evidenceKey.hmac(message)).isEqualTo(reference.doFinal(message));
    assertThat(evidenceKey.hmac(next)).as("a second message starts afresh").isEqualTo(reference.doFinal(next));
  }
}
