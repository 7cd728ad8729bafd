package dev.custos.wasm.internal.proxywasm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Encodes and decodes the ABI's header map format: a little-endian u32 count, then per pair the
 * u32 sizes of name and value, then per pair the name and value bytes each followed by a NUL.
 */
final class HeaderPairs {
  private HeaderPairs() {}

  static byte[] encode(List<Map.Entry<String, String>> pairs) {
    List<byte[]> parts = new ArrayList<>(pairs.size() * 2);
    int size = 4;
    for (Map.Entry<String, String> e : pairs) {
      byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
      byte[] v = e.getValue().getBytes(StandardCharsets.UTF_8);
      parts.add(k);
      parts.add(v);
      size += 8 + k.length + 1 + v.length + 1;
    }
    ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(pairs.size());
    for (byte[] part : parts) {
      out.putInt(part.length);
    }
    for (byte[] part : parts) {
      out.put(part).put((byte) 0);
    }
    return out.array();
  }

  /** Decodes pairs; throws {@link IllegalArgumentException} if the bytes are not well formed. */
  static List<Map.Entry<String, String>> decode(byte[] bytes) {
    if (bytes.length == 0) {
      return List.of();
    }
    try {
      ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      int count = in.getInt();
      if (count < 0 || count > (bytes.length - 4) / 8) {
        throw new IllegalArgumentException("header map count: " + count);
      }
      int[] sizes = new int[count * 2];
      for (int i = 0; i < sizes.length; i++) {
        sizes[i] = in.getInt();
      }
      List<Map.Entry<String, String>> pairs = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        String k = string(in, sizes[2 * i]);
        String v = string(in, sizes[2 * i + 1]);
        pairs.add(Map.entry(k, v));
      }
      return pairs;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed header map", e);
    }
  }

  private static String string(ByteBuffer in, int size) {
    if (size < 0 || size > in.remaining() - 1) {
      throw new IllegalArgumentException("header size: " + size);
    }
    String s = new String(in.array(), in.position(), size, StandardCharsets.UTF_8);
    in.position(in.position() + size + 1);
    return s;
  }
}
