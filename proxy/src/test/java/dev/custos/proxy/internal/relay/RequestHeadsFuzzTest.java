package dev.custos.proxy.internal.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing of the relay gate's head reader: whatever the bytes, {@link
 * RequestHeads#headEnd} and {@link RequestHeads#simple} throw nothing and stay in bounds, and a
 * head the gate would hand to the relay is one the relay's own decoder (Netty's, strict) reads as
 * a valid request that {@link RequestHeads#simple(HttpRequest)} accepts too (a differential
 * check: the gate never takes a connection the relay would then refuse).
 *
 * <p>The first input byte picks the head limit; the rest is the connection's first bytes. Without
 * {@code JAZZER_FUZZ} set, only the seeds in {@code RequestHeadsFuzzTestInputs/<target>/} run.
 */
class RequestHeadsFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void head(byte[] input) {
    if (input.length < 1) {
      return;
    }
    int limit = 16 + (input[0] & 0xff) * 4;
    byte[] bytes = Arrays.copyOfRange(input, 1, input.length);
    var buf = Unpooled.wrappedBuffer(bytes);
    int end = RequestHeads.headEnd(buf, limit);
    if (end == RequestHeads.INCOMPLETE) {
      assertThat(bytes.length).isLessThan(limit);
      return;
    }
    if (end == -1) {
      assertThat(bytes.length).isGreaterThanOrEqualTo(limit);
      return;
    }
    assertThat(end).isBetween(4, bytes.length);
    if (!RequestHeads.simple(buf, end)) {
      return;
    }
    EmbeddedChannel channel = new EmbeddedChannel(new RelayRequestDecoder(Math.max(limit, 8192)));
    try {
      channel.writeInbound(Unpooled.wrappedBuffer(bytes, 0, end));
      Object first = channel.readInbound();
      assertThat(first).isInstanceOf(HttpRequest.class);
      HttpRequest request = (HttpRequest) first;
      assertThat(request.decoderResult().isSuccess()).isTrue();
      assertThat(RequestHeads.simple(request)).isTrue();
      ReferenceCountUtil.release(first);
      Object next;
      while ((next = channel.readInbound()) != null) {
        ReferenceCountUtil.release(next);
      }
    } finally {
      channel.finishAndReleaseAll();
    }
  }
}
