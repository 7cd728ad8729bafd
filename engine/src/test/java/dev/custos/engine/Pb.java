package dev.custos.engine;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes protobuf wire format for tests, field by field (no schema, no protobuf-java). */
final class Pb {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  static Pb message() {
    return new Pb();
  }

  Pb string(int number, String value) {
    return bytes(number, value.getBytes(StandardCharsets.UTF_8));
  }

  Pb bytes(int number, byte[] value) {
    tag(number, 2);
    varint(value.length);
    out.writeBytes(value);
    return this;
  }

  Pb message(int number, Pb nested) {
    return bytes(number, nested.toBytes());
  }

  Pb varint(int number, long value) {
    tag(number, 0);
    varint(value);
    return this;
  }

  Pb fixed64(int number, long value) {
    tag(number, 1);
    for (int i = 0; i < 8; i++) {
      out.write((int) (value >>> (8 * i)));
    }
    return this;
  }

  Pb fixed32(int number, int value) {
    tag(number, 5);
    for (int i = 0; i < 4; i++) {
      out.write(value >>> (8 * i));
    }
    return this;
  }

  Pb raw(byte[] bytes) {
    out.writeBytes(bytes);
    return this;
  }

  private void tag(int number, int wireType) {
    varint(((long) number << 3) | wireType);
  }

  private void varint(long value) {
    while ((value & ~0x7fL) != 0) {
      out.write((int) ((value & 0x7f) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  byte[] toBytes() {
    return out.toByteArray();
  }
}
