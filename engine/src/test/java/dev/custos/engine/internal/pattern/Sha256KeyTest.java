package dev.custos.engine.internal.pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Sha256KeyTest {
  @Test
  void keysOfTheSameContentAreEqualAndOfOtherContentAreNot() {
    Sha256Key a = Sha256Key.of("catalog".getBytes(StandardCharsets.UTF_8));
    Sha256Key b = Sha256Key.ofDigest(a.bytes());
    Sha256Key c = Sha256Key.of("catalogue".getBytes(StandardCharsets.UTF_8));

    assertThat(b).isEqualTo(a).hasSameHashCodeAs(a);
    assertThat(c).isNotEqualTo(a);
  }

  @Test
  void aDigestIsCopiedInAndOut() {
    byte[] digest = Sha256Key.of(new byte[0]).bytes();
    Sha256Key key = Sha256Key.ofDigest(digest);
    digest[0] ^= 1;
    key.bytes()[1] ^= 1;

    assertThat(key).isEqualTo(Sha256Key.of(new byte[0]));
  }

  @Test
  void aDigestOfAnotherLengthIsRefusedWithItsLength() {
    assertThatThrownBy(() -> Sha256Key.ofDigest(new byte[20]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("digest: 20 bytes (expected: 32, a SHA-256)");
  }
}
