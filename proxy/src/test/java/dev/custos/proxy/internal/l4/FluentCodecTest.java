package dev.custos.proxy.internal.l4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.engine.Policy;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.internal.inspect.ProxyInspection;
import dev.custos.proxy.internal.inspect.RecordInspector;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ImmutableValue;
import org.msgpack.value.MapValue;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/** The Fluentd forward codec on frames built byte by byte, with a real scanner behind it. */
class FluentCodecTest {
  private static final String CARD = "4111 1111 1111 1111";
  private static RecordInspector inspector;
  private static final List<FindingsEvent> events = new ArrayList<>();

  @BeforeAll
  static void compile() {
    ProxyInspection inspection = new ProxyInspection(new SimpleMeterRegistry(),
        (FindingsSink) events::add);
    inspection.prepare(Policy.parse("""
        version: 1
        rules:
          - { name: cards, match: { direction: request }, categories: [credit_card], action: redact, redact: { style: hash } }
        """, "policy.yaml"));
    inspector = inspection.records("fluent", "fluent_forward");
  }

  private static FluentCodec codec() {
    return new FluentCodec(inspector, new TcpMetrics(new SimpleMeterRegistry(), "fluent"), true,
        1 << 20);
  }

  private static byte[] encode(byte[] frame, List<byte[]> replies) {
    return codec().encode(frame, FrameSink.Framing.MSGPACK,
        inspector.source(InetAddress.getLoopbackAddress()), replies::add);
  }

  private interface Body {
    void pack(MessageBufferPacker p) throws IOException;
  }

  private static byte[] pack(Body b) throws IOException {
    try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
      b.pack(p);
      return p.toByteArray();
    }
  }

  private static ImmutableValue unpack(byte[] b) throws IOException {
    try (MessageUnpacker u = MessagePack.newDefaultUnpacker(b)) {
      ImmutableValue v = u.unpackValue();
      assertThat(u.hasNext()).isFalse();
      return v;
    }
  }

  @Test
  void aRedactedRecordKeepsItsOtherValuesTypesAndKeyOrder() throws IOException {
    byte[] frame = pack(p -> {
      p.packArrayHeader(3);
      p.packString("t");
      p.packExtensionTypeHeader((byte) 0, 8);
      p.writePayload(new byte[] {0x65, 0x70, 0, 0, 0, 0, 0, 1});
      p.packMapHeader(6);
      p.packString("z");
      p.packInt(1);
      p.packString("msg");
      p.packString("paid " + CARD);
      p.packInt(7);
      p.packString("numeric key " + CARD);
      p.packString("bin");
      p.packBinaryHeader(3);
      p.writePayload(new byte[] {1, 2, 3});
      p.packString("nested");
      p.packArrayHeader(2);
      p.packNil();
      p.packMapHeader(1);
      p.packString("card");
      p.packString(CARD);
      p.packString("msg");
      p.packString("again " + CARD);
    });
    byte[] out = encode(frame, new ArrayList<>());
    Value v = unpack(out);
    assertThat(v.asArrayValue().get(1)).isEqualTo(unpack(frame).asArrayValue().get(1));
    Value[] kv = v.asArrayValue().get(2).asMapValue().getKeyValueArray();
    assertThat(kv).hasSize(12);
    assertThat(kv[0].toString()).isEqualTo("z");
    assertThat(kv[1].asIntegerValue().asInt()).isEqualTo(1);
    assertThat(kv[4].asIntegerValue().asInt()).isEqualTo(7);
    assertThat(kv[7].asBinaryValue().asByteArray()).containsExactly(1, 2, 3);
    assertThat(new String(out, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain(CARD)
        .contains("credit_card");
    // Both values of the repeated key "msg" are redacted, each in its own place.
    assertThat(kv[3].toString()).startsWith("paid ");
    assertThat(kv[11].toString()).startsWith("again ");
    MapValue nested = kv[9].asArrayValue().get(1).asMapValue();
    assertThat(nested.map().get(ValueFactory.newString("card")).toString()).doesNotContain(CARD);
  }

  @Test
  void handshakeAndUnknownFramesAreForwardedUnscanned() throws IOException {
    byte[] ping = pack(p -> {
      p.packArrayHeader(6);
      p.packString("PING");
      p.packString("client.example");
      p.packString("salt");
      p.packString("digest " + CARD);
      p.packString("");
      p.packString("");
    });
    assertThat(encode(ping, new ArrayList<>())).isSameAs(ping);
    byte[] scalar = pack(p -> p.packString(CARD));
    assertThat(encode(scalar, new ArrayList<>())).isSameAs(scalar);
  }

  @Test
  void aFrameWithoutFindingsIsForwardedAsItCame() throws IOException {
    byte[] frame = pack(p -> {
      p.packArrayHeader(2);
      p.packString("t");
      p.packArrayHeader(1);
      p.packArrayHeader(2);
      p.packLong(1);
      p.packMapHeader(1);
      p.packString("log");
      p.packString("nothing here");
    });
    assertThat(encode(frame, new ArrayList<>())).isSameAs(frame);
  }

  @Test
  void packedEntriesClaimingBillionsOfElementsAreRefusedWithoutAllocatingThem() throws IOException {
    // Found by the fuzzer: msgpack-core sizes arrays and binaries by their headers.
    byte[] blob = {(byte) 0xdd, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xc6, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    byte[] frame = pack(p -> {
      p.packArrayHeader(2);
      p.packString("t");
      p.packBinaryHeader(blob.length);
      p.writePayload(blob);
    });
    assertThat(encode(frame, new ArrayList<>())).isSameAs(frame);
  }

  @Test
  void packedEntriesThatDoNotDecodeAreHandledAsOversized() throws IOException {
    byte[] frame = pack(p -> {
      p.packArrayHeader(3);
      p.packString("t");
      p.packBinaryHeader(4);
      p.writePayload(new byte[] {1, 2, 3, 4});
      p.packMapHeader(1);
      p.packString("compressed");
      p.packString("gzip");
    });
    assertThat(encode(frame, new ArrayList<>())).isSameAs(frame);
  }
}
