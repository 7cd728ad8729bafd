package dev.custos.proxy.internal.l4;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Chunk boundaries never change what a frame decoder reports: for every framing, any split of the
 * byte stream gives the same frames, the same oversized notes and the same passed-through bytes as
 * the stream fed whole. Well-formed streams also decode to the records they were made of.
 */
class FrameDecoderProperties {
  private static final String SEED = "20261207";

  @Provide
  Arbitrary<byte[]> textish() {
    // Few symbols, so that line feeds, digits, spaces and '<' come often.
    return Arbitraries.of((byte) 'a', (byte) '1', (byte) '9', (byte) '0', (byte) ' ', (byte) '\n',
        (byte) '\r', (byte) '<', (byte) '>', (byte) 0xc3).array(byte[].class).ofMaxSize(600);
  }

  @Provide
  Arbitrary<List<Integer>> chunks() {
    return Arbitraries.integers().between(1, 40).list().ofMinSize(1).ofMaxSize(12);
  }

  @Property(tries = 400, seed = SEED)
  void linesAreTheSameWhateverTheChunking(@ForAll("textish") byte[] stream,
      @ForAll("chunks") List<Integer> chunks, @ForAll @IntRange(min = 1, max = 80) int max,
      @ForAll boolean forward) {
    FrameRecorder whole = FrameRecorder.decode(new LineDecoder(max, forward), stream, List.of());
    FrameRecorder split = FrameRecorder.decode(new LineDecoder(max, forward), stream, chunks);
    assertThat(split.events()).isEqualTo(whole.events());
  }

  @Property(tries = 400, seed = SEED)
  void syslogIsTheSameWhateverTheChunking(@ForAll("textish") byte[] stream,
      @ForAll("chunks") List<Integer> chunks, @ForAll @IntRange(min = 1, max = 80) int max,
      @ForAll boolean forward) {
    FrameRecorder whole = FrameRecorder.decode(new SyslogDecoder(max, forward), stream, List.of());
    FrameRecorder split = FrameRecorder.decode(new SyslogDecoder(max, forward), stream, chunks);
    assertThat(split.events()).isEqualTo(whole.events());
  }

  @Property(tries = 300, seed = SEED)
  void syslogFramesAreTheMessagesSentWhateverTheFraming(
      @ForAll @Size(max = 12) List<@Size(max = 60) List<@IntRange(min = 0x20, max = 0x7e) Integer>> messages,
      @ForAll @Size(min = 12, max = 12) List<Boolean> counted,
      @ForAll("chunks") List<Integer> chunks) {
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      StringBuilder sb = new StringBuilder("<13>");
      messages.get(i).forEach(c -> sb.append((char) c.intValue()));
      byte[] m = sb.toString().getBytes(StandardCharsets.US_ASCII);
      if (counted.get(i)) {
        stream.writeBytes((m.length + " ").getBytes(StandardCharsets.US_ASCII));
        stream.writeBytes(m);
        expected.add("OCTET_COUNTED:" + sb);
      } else {
        stream.writeBytes(m);
        stream.write('\n');
        expected.add("LINE_FEED:" + sb);
      }
    }
    FrameRecorder r = FrameRecorder.decode(new SyslogDecoder(1024, true), stream.toByteArray(),
        chunks);
    List<String> got = new ArrayList<>();
    for (int i = 0; i < r.frames.size(); i++) {
      String event = r.events.get(i);
      got.add(event.substring(0, event.indexOf(':') + 1)
          + new String(r.frames.get(i), StandardCharsets.US_ASCII));
    }
    assertThat(got).isEqualTo(expected);
  }

  @Provide
  Arbitrary<Object> values() {
    Arbitrary<Object> leaf = Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(40).map(s -> (Object) s),
        Arbitraries.longs().map(l -> (Object) l),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(300).map(b -> (Object) b),
        Arbitraries.of(true, false).map(b -> (Object) b),
        Arbitraries.doubles().map(d -> (Object) d));
    return Arbitraries.recursive(() -> leaf,
        v -> Arbitraries.oneOf(v.list().ofMaxSize(5).map(l -> (Object) l),
            Arbitraries.maps(Arbitraries.strings().ofMaxLength(8), v).ofMaxSize(4)
                .map(m -> (Object) m)), 0, 4);
  }

  @Provide
  Arbitrary<List<Object>> valueLists() {
    return values().list().ofMaxSize(6);
  }

  static void pack(MessageBufferPacker p, Object v) throws java.io.IOException {
    if (v instanceof String s) {
      p.packString(s);
    } else if (v instanceof Long l) {
      p.packLong(l);
    } else if (v instanceof byte[] b) {
      p.packBinaryHeader(b.length);
      p.writePayload(b);
    } else if (v instanceof Boolean b) {
      p.packBoolean(b);
    } else if (v instanceof Double d) {
      p.packDouble(d);
    } else if (v instanceof List<?> list) {
      p.packArrayHeader(list.size());
      for (Object o : list) {
        pack(p, o);
      }
    } else if (v instanceof java.util.Map<?, ?> map) {
      p.packMapHeader(map.size());
      for (var e : map.entrySet()) {
        pack(p, e.getKey());
        pack(p, e.getValue());
      }
    }
  }

  @Property(tries = 300, seed = SEED)
  void msgpackValuesAreFramedOneByOneWhateverTheChunking(
      @ForAll("valueLists") List<Object> values,
      @ForAll("chunks") List<Integer> chunks,
      @ForAll @IntRange(min = 0, max = 20) int cut,
      @ForAll @IntRange(min = 16, max = 2000) int max,
      @ForAll boolean forward) throws Exception {
    List<String> expected = new ArrayList<>();
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (Object v : values) {
      try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
        pack(p, v);
        byte[] b = p.toByteArray();
        stream.writeBytes(b);
        expected.add(b.length > max ? "oversized"
            : "MSGPACK:" + java.util.HexFormat.of().formatHex(b));
      }
    }
    byte[] all = stream.toByteArray();
    byte[] in = java.util.Arrays.copyOf(all, Math.max(0, all.length - cut));
    FrameRecorder whole = FrameRecorder.decode(new MsgpackDecoder(max, forward), in, List.of());
    FrameRecorder split = FrameRecorder.decode(new MsgpackDecoder(max, forward), in, chunks);
    assertThat(split.events()).isEqualTo(whole.events());
    if (cut == 0) {
      List<String> got = new ArrayList<>(whole.events());
      got.removeIf(e -> e.startsWith("passthrough:"));
      expected.add("finished");
      assertThat(got).isEqualTo(expected);
    }
  }

  @Property(tries = 300, seed = SEED)
  void msgpackOfAnyBytesIsTheSameWhateverTheChunking(@ForAll @Size(max = 400) byte[] stream,
      @ForAll("chunks") List<Integer> chunks, @ForAll @IntRange(min = 16, max = 200) int max,
      @ForAll boolean forward) {
    FrameRecorder whole = FrameRecorder.decode(new MsgpackDecoder(max, forward), stream, List.of());
    FrameRecorder split = FrameRecorder.decode(new MsgpackDecoder(max, forward), stream, chunks);
    assertThat(split.events()).isEqualTo(whole.events());
  }
}
