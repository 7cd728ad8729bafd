package dev.custos.wasm.internal.proxywasm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BodyBufferTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void chunksAccumulateUntilTaken() {
    var buffer = new BodyBuffer();
    buffer.append(bytes("the sec"));
    buffer.append(new byte[0]);
    buffer.append(bytes("ret"));
    assertThat(buffer.size()).isEqualTo(10);
    assertThat(buffer.take()).isEqualTo(bytes("the secret"));
    assertThat(buffer.size()).isZero();
    assertThat(buffer.take()).isEmpty();
  }

  @Test
  void bufferDoesNotAliasTheCallersChunk() {
    var buffer = new BodyBuffer();
    byte[] chunk = bytes("one");
    buffer.append(chunk);
    chunk[0] = 'X';
    byte[] taken = buffer.take();
    assertThat(taken).isEqualTo(bytes("one"));
    buffer.append(bytes("two"));
    assertThat(taken).isEqualTo(bytes("one"));
    assertThat(buffer.take()).isEqualTo(bytes("two"));
  }

  @Test
  void replaceEditsRangesAndLaterChunksAppend() {
    var buffer = new BodyBuffer();
    buffer.append(bytes("a secret here"));
    buffer.replace(2, 6, bytes("******"));
    buffer.replace(0, 0, bytes(">"));
    buffer.append(bytes("!"));
    assertThat(buffer.slice(1, 8)).isEqualTo(bytes("a ******"));
    assertThat(buffer.take()).isEqualTo(bytes(">a ****** here!"));
  }
}
