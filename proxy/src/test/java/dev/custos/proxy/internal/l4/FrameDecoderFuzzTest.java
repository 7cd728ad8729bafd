package dev.custos.proxy.internal.l4;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/**
 * Coverage-guided fuzzing of the layer-4 frame decoders: whatever the bytes, no exception escapes
 * and the frames, oversized notes and passed-through bytes are the same fed whole and in chunks.
 * Lines never hold a line feed, syslog frames respect the limit, and every MessagePack frame is
 * exactly one value as msgpack-core reads it (a differential check).
 *
 * <p>The first input byte picks the chunk size, the second the frame limit and whether oversized
 * frames are forwarded; the rest is the stream. Without {@code JAZZER_FUZZ} set, only the seeds
 * in {@code FrameDecoderFuzzTestInputs/<target>/} run.
 */
class FrameDecoderFuzzTest {
  private record Setup(List<Integer> chunks, int max, boolean forward, byte[] stream) {
    static Setup of(byte[] input, int minMax) {
      int chunk = 1 + (input[0] & 0x3f);
      int max = minMax + (input[1] & 0x7f);
      return new Setup(List.of(chunk, 1 + chunk / 3), max, (input[1] & 0x80) != 0,
          Arrays.copyOfRange(input, 2, input.length));
    }
  }

  @FuzzTest(maxDuration = "30s")
  void lines(byte[] input) {
    if (input.length < 2) {
      return;
    }
    Setup s = Setup.of(input, 1);
    FrameRecorder whole = FrameRecorder.decode(new LineDecoder(s.max(), s.forward()), s.stream(),
        List.of());
    FrameRecorder split = FrameRecorder.decode(new LineDecoder(s.max(), s.forward()), s.stream(),
        s.chunks());
    assertThat(split.events()).isEqualTo(whole.events());
    for (byte[] f : whole.frames) {
      assertThat(f).doesNotContain((byte) '\n').hasSizeLessThanOrEqualTo(s.max());
    }
  }

  @FuzzTest(maxDuration = "30s")
  void syslog(byte[] input) {
    if (input.length < 2) {
      return;
    }
    Setup s = Setup.of(input, 1);
    FrameRecorder whole = FrameRecorder.decode(new SyslogDecoder(s.max(), s.forward()),
        s.stream(), List.of());
    FrameRecorder split = FrameRecorder.decode(new SyslogDecoder(s.max(), s.forward()),
        s.stream(), s.chunks());
    assertThat(split.events()).isEqualTo(whole.events());
    for (byte[] f : whole.frames) {
      // A frame cut short at the end keeps its count prefix: up to ten bytes more.
      assertThat(f.length).isLessThanOrEqualTo(s.max() + 10);
    }
  }

  private static final class Fluent {
    static final dev.custos.proxy.internal.inspect.RecordInspector INSPECTOR;

    static {
      dev.custos.proxy.internal.inspect.ProxyInspection inspection =
          new dev.custos.proxy.internal.inspect.ProxyInspection(
              new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
              dev.custos.proxy.FindingsSink.noop());
      inspection.prepare(dev.custos.engine.Policy.parse("""
          version: 1
          rules:
            - { name: cards, match: { direction: request }, categories: [credit_card], action: redact, redact: { style: hash } }
            - { name: ssn, match: { direction: request }, categories: [us_ssn], action: block }
          """, "policy.yaml"));
      INSPECTOR = inspection.records("fuzz", "fluent_forward");
    }
  }

  /**
   * Any bytes as one Fluentd forward frame: the codec never throws, and what it forwards (if
   * anything) is one MessagePack value, the same on a second run.
   */
  @FuzzTest(maxDuration = "30s")
  void fluentFrame(byte[] input) throws IOException {
    FluentCodec codec = new FluentCodec(Fluent.INSPECTOR, new TcpMetrics(
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), "fuzz"), true, 1 << 16);
    var source = Fluent.INSPECTOR.source(java.net.InetAddress.getLoopbackAddress());
    java.util.List<byte[]> replies = new java.util.ArrayList<>();
    byte[] out = codec.encode(input, FrameSink.Framing.MSGPACK, source, replies::add);
    byte[] again = codec.encode(input, FrameSink.Framing.MSGPACK, source, b -> { });
    assertThat(again).isEqualTo(out);
    if (out != null && out != input) {
      try (MessageUnpacker u = MessagePack.newDefaultUnpacker(out)) {
        u.skipValue();
        assertThat(u.hasNext()).as("one value forwarded").isFalse();
      }
    }
  }

  @FuzzTest(maxDuration = "30s")
  void msgpack(byte[] input) throws IOException {
    if (input.length < 2) {
      return;
    }
    Setup s = Setup.of(input, 8);
    FrameRecorder whole = FrameRecorder.decode(new MsgpackDecoder(s.max(), s.forward()),
        s.stream(), List.of());
    FrameRecorder split = FrameRecorder.decode(new MsgpackDecoder(s.max(), s.forward()),
        s.stream(), s.chunks());
    assertThat(split.events()).isEqualTo(whole.events());
    for (byte[] f : whole.frames) {
      assertThat(f.length).isLessThanOrEqualTo(s.max());
      try (MessageUnpacker u = MessagePack.newDefaultUnpacker(f)) {
        u.skipValue();
        assertThat(u.hasNext()).as("one value per frame").isFalse();
      }
    }
  }
}
