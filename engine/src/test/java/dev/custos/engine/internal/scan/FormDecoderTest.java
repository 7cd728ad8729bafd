package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The form decoder's decoded stream, offset map and fields, fed whole or byte by byte. */
class FormDecoderTest {

  private static String decode(FormDecoder decoder, String form, boolean byteByByte) {
    byte[] bytes = form.getBytes(StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (byteByByte) {
      for (int i = 0; i < bytes.length; i++) {
        int length = decoder.decode(bytes, i, 1);
        out.write(decoder.decoded(), 0, length);
      }
    } else {
      // decode first: it may replace the array decoded() returns.
      int length = decoder.decode(bytes, 0, bytes.length);
      out.write(decoder.decoded(), 0, length);
    }
    int length = decoder.finish();
    out.write(decoder.decoded(), 0, length);
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void plusIsASpaceAndEscapesAreBytesWhileSeparatorsStay() {
    for (boolean byteByByte : new boolean[] {false, true}) {
      FormDecoder d = new FormDecoder(false);
      assertThat(decode(d, "a+b=x%40y.example&c%3Dd=%26%3d+", byteByByte)).isEqualTo("a b=x@y.example&c=d=&= ");
      assertThat(d.fed()).isEqualTo(31);
    }
  }

  @Test
  void malformedEscapesAreLiteral() {
    for (boolean byteByByte : new boolean[] {false, true}) {
      assertThat(decode(new FormDecoder(false), "a=%zz&b=%4&c=%%41&d=%4", byteByByte)).isEqualTo("a=%zz&b=%4&c=%A&d=%4");
      assertThat(decode(new FormDecoder(false), "x=%", byteByByte)).isEqualTo("x=%");
      assertThat(decode(new FormDecoder(false), "x=%e", byteByByte)).isEqualTo("x=%e");
    }
  }

  @Test
  void decodedPositionsMapToTheirEncodedBytes() {
    FormDecoder d = new FormDecoder(false);
    // decoded: "e=a@b&c=%" ; encoded: "e=a%40b&c=%"
    assertThat(decode(d, "e=a%40b&c=%", true)).isEqualTo("e=a@b&c=%");
    assertThat(d.originalOffset(2)).isEqualTo(2);
    assertThat(d.originalOffset(3)).isEqualTo(3);
    assertThat(d.originalOffset(4)).isEqualTo(6);
    assertThat(d.originalOffset(5)).isEqualTo(7);
    assertThat(d.originalOffset(9)).isEqualTo(11);
  }

  @Test
  void fieldsGiveStartPathAndKey() {
    FormDecoder d = new FormDecoder(false);
    decode(d, "ssn=1&first+name=2&flag&=3", false);
    assertThat(d.tokenAt(0).path()).isEqualTo("$");
    assertThat(d.tokenAt(0).key).isNull();
    assertThat(d.tokenAt(3)).isNull();
    assertThat(d.tokenAt(4).path()).isEqualTo("$.ssn");
    assertThat(d.tokenAt(4).key).isEqualTo("ssn");
    assertThat(d.fieldStart(4)).isEqualTo(4);
    assertThat(d.tokenAt(17).path()).isEqualTo("$['first name']");
    assertThat(d.tokenAt(20).path()).isEqualTo("$");
    assertThat(d.tokenAt(25).path()).isEqualTo("$['']");
    assertThat(d.nameTruncated()).isFalse();
  }

  @Test
  void forgottenSeparatorsStillBoundTheOpenField() {
    FormDecoder d = new FormDecoder(false);
    decode(d, "a=1&key=" + "v".repeat(100), false);
    d.forgetBefore(50, 50);
    assertThat(d.tokenAt(60).path()).isEqualTo("$.key");
    assertThat(d.fieldStart(60)).isEqualTo(8);
  }

  @Test
  void fieldStartsAreTheSameWhateverOrderTheyAreAskedIn() {
    StringBuilder form = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      form.append(i % 7 == 0 ? "k%26" : "key").append(i).append('=').append("v%3D".repeat(i % 4)).append(i).append('&');
    }
    FormDecoder d = new FormDecoder(false);
    String decoded = decode(d, form.toString(), false);
    long[] expected = new long[decoded.length()];
    long lastSeparator = -1;
    for (int p = 0; p < decoded.length(); p++) {
      boolean separator = d.tokenAt(p) == null;
      expected[p] = separator ? -1 : lastSeparator + 1;
      if (separator) {
        lastSeparator = p;
      }
    }
    java.util.List<Integer> order = new java.util.ArrayList<>();
    for (int p = 0; p < decoded.length(); p++) {
      order.add(p);
    }
    // Rising (the scanner's order), falling, and shuffled with a fixed seed.
    java.util.List<java.util.List<Integer>> orders = new java.util.ArrayList<>();
    orders.add(new java.util.ArrayList<>(order));
    java.util.List<Integer> falling = new java.util.ArrayList<>(order);
    java.util.Collections.reverse(falling);
    orders.add(falling);
    java.util.List<Integer> shuffled = new java.util.ArrayList<>(order);
    java.util.Collections.shuffle(shuffled, new java.util.Random(8505));
    orders.add(shuffled);
    for (java.util.List<Integer> o : orders) {
      for (int p : o) {
        assertThat(d.fieldStart(p)).as("position %d", p).isEqualTo(expected[p]);
      }
    }
  }
}
