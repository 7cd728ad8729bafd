package dev.custos.engine.internal.detect;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.internal.pattern.Sha256Key;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The built-in catalog files' YAML trees (the maps, lists, strings, numbers, booleans and nulls the
 * YAML loader gives), parsed at build time into a class-path resource, so that a process does not
 * parse 200 KiB of YAML as it starts. Each tree is keyed by a SHA-256 of the file's text: {@link
 * #tree} gives a file's tree only when the text is byte for byte the one parsed, so an edited file
 * (or a custom catalog) is parsed as before. A file whose checksum does not match its content, or
 * of another layout, is not used at all. Immutable and thread-safe; {@link #tree} returns a new,
 * mutable tree on each call.
 */
public final class CatalogTrees {
  /** The class-path resource holding the built-in catalog's trees. */
  static final String RESOURCE = "/dev/custos/engine/builtin/catalog-trees.bin";

  private static final byte[] MAGIC = "CUSTOS-YAML".getBytes(StandardCharsets.US_ASCII);
  /** Version of the file layout; bump on any change to it. */
  static final int FORMAT = 1;

  private static final int NULL = 0;
  private static final int STRING = 1;
  private static final int INTEGER = 2;
  private static final int LONG = 3;
  private static final int BIG_INTEGER = 4;
  private static final int DOUBLE = 5;
  private static final int BOOLEAN = 6;
  private static final int MAP = 7;
  private static final int LIST = 8;

  private static final CatalogTrees NONE = new CatalogTrees(Map.of(), "no catalog trees");

  /** Each file's encoded tree, by the SHA-256 of its text. */
  private final Map<Sha256Key, byte[]> trees;
  private final String status;

  private CatalogTrees(Map<Sha256Key, byte[]> trees, String status) {
    this.trees = trees;
    this.status = status;
  }

  /** Returns the trees generated at build time (none when missing, stale or corrupted). */
  static CatalogTrees builtin() {
    return Holder.BUILTIN;
  }

  private static final class Holder {
    static final CatalogTrees BUILTIN = load();

    private static CatalogTrees load() {
      if (Boolean.getBoolean("custos.noCompiledDetectors")) {
        return new CatalogTrees(Map.of(), "catalog trees: off (-Dcustos.noCompiledDetectors)");
      }
      try (InputStream in = CatalogTrees.class.getResourceAsStream(RESOURCE)) {
        CatalogTrees trees = read(in);
        if (in != null && trees.size() == 0) {
          org.slf4j.LoggerFactory.getLogger(CatalogTrees.class).warn(
              "{} ({}): not used; the catalog's YAML is parsed at start instead",
              trees.status(), RESOURCE);
        }
        return trees;
      } catch (IOException e) {
        return new CatalogTrees(Map.of(), "catalog trees: unreadable (" + e.getMessage() + ")");
      }
    }
  }

  /**
   * Returns the YAML tree of {@code text} if this holds it, else null (the caller parses it).
   * Never throws for bad content: the trees are only an optimization.
   */
  @Nullable Object tree(String text) {
    if (trees.isEmpty()) {
      return null;
    }
    byte[] encoded = trees.get(Sha256Key.of(text.getBytes(StandardCharsets.UTF_8)));
    if (encoded == null) {
      return null;
    }
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded));
      Object tree = readNode(in, 0);
      return in.available() == 0 ? tree : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Returns the number of files held. */
  int size() {
    return trees.size();
  }

  /** Returns what was loaded, or why nothing was. */
  String status() {
    return status;
  }

  /**
   * Reads trees written by {@link #write}; missing, foreign, corrupted or truncated content gives
   * none, with {@link #status()} saying why.
   */
  static CatalogTrees read(@Nullable InputStream stream) {
    if (stream == null) {
      return new CatalogTrees(Map.of(), "no catalog trees on the class path");
    }
    try {
      DataInputStream data = new DataInputStream(stream);
      byte[] magic = new byte[MAGIC.length];
      data.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        return new CatalogTrees(Map.of(), "catalog trees: not a catalog-trees file");
      }
      int format = data.readInt();
      if (format != FORMAT) {
        return new CatalogTrees(Map.of(),
            "catalog trees: layout " + format + " (expected: " + FORMAT + ")");
      }
      byte[] checksum = new byte[Sha256Key.LENGTH];
      data.readFully(checksum);
      byte[] payload = data.readAllBytes();
      if (!MessageDigest.isEqual(checksum, Sha256Key.newDigest().digest(payload))) {
        return new CatalogTrees(Map.of(), "catalog trees: checksum mismatch (corrupted file)");
      }
      DataInputStream entries = new DataInputStream(new ByteArrayInputStream(payload));
      int count = entries.readInt();
      if (count < 0 || count > payload.length / 36) {
        return new CatalogTrees(Map.of(), "catalog trees: " + count + " files (expected: at most "
            + payload.length / 36 + ")");
      }
      Map<Sha256Key, byte[]> trees = new HashMap<>();
      for (int i = 0; i < count; i++) {
        byte[] digest = new byte[Sha256Key.LENGTH];
        entries.readFully(digest);
        int length = entries.readInt();
        if (length < 0 || length > entries.available()) {
          return new CatalogTrees(Map.of(), "catalog trees: file " + i + " of " + length
              + " bytes (expected: at most the " + entries.available() + " left)");
        }
        byte[] encoded = new byte[length];
        entries.readFully(encoded);
        trees.put(Sha256Key.ofDigest(digest), encoded);
      }
      return new CatalogTrees(Map.copyOf(trees), "catalog trees: " + count + " files");
    } catch (IOException | RuntimeException e) {
      return new CatalogTrees(Map.of(), "catalog trees: unreadable (" + e.getMessage() + ")");
    }
  }

  /**
   * Parses each YAML text and writes its tree. A text whose tree holds a value of a kind this
   * layout does not encode is left out (and so parsed at run time).
   *
   * @return the number of texts written
   */
  static int write(List<String> texts, OutputStream out) throws IOException {
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    DataOutputStream entries = new DataOutputStream(payload);
    List<byte[]> encoded = new ArrayList<>();
    List<Sha256Key> digests = new ArrayList<>();
    for (String text : texts) {
      Object tree = new Load(LoadSettings.builder().build()).loadFromString(text);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try {
        writeNode(new DataOutputStream(bytes), tree);
      } catch (IllegalArgumentException e) {
        continue;
      }
      encoded.add(bytes.toByteArray());
      digests.add(Sha256Key.of(text.getBytes(StandardCharsets.UTF_8)));
    }
    entries.writeInt(encoded.size());
    for (int i = 0; i < encoded.size(); i++) {
      entries.write(digests.get(i).bytes());
      entries.writeInt(encoded.get(i).length);
      entries.write(encoded.get(i));
    }
    entries.flush();
    byte[] bytes = payload.toByteArray();
    DataOutputStream data = new DataOutputStream(out);
    data.write(MAGIC);
    data.writeInt(FORMAT);
    data.write(Sha256Key.newDigest().digest(bytes));
    data.write(bytes);
    data.flush();
    return encoded.size();
  }

  private static void writeNode(DataOutputStream out, @Nullable Object node) throws IOException {
    if (node == null) {
      out.writeByte(NULL);
    } else if (node instanceof String s) {
      out.writeByte(STRING);
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      out.writeInt(utf8.length);
      out.write(utf8);
    } else if (node instanceof Integer i) {
      out.writeByte(INTEGER);
      out.writeInt(i);
    } else if (node instanceof Long l) {
      out.writeByte(LONG);
      out.writeLong(l);
    } else if (node instanceof BigInteger b) {
      out.writeByte(BIG_INTEGER);
      out.writeUTF(b.toString());
    } else if (node instanceof Double d) {
      out.writeByte(DOUBLE);
      out.writeDouble(d);
    } else if (node instanceof Boolean b) {
      out.writeByte(BOOLEAN);
      out.writeBoolean(b);
    } else if (node instanceof Map<?, ?> m) {
      out.writeByte(MAP);
      out.writeInt(m.size());
      for (Map.Entry<?, ?> e : m.entrySet()) {
        writeNode(out, e.getKey());
        writeNode(out, e.getValue());
      }
    } else if (node instanceof List<?> l) {
      out.writeByte(LIST);
      out.writeInt(l.size());
      for (Object item : l) {
        writeNode(out, item);
      }
    } else {
      throw new IllegalArgumentException("YAML value of type " + node.getClass().getName()
          + " (expected: a map, list, string, number, boolean or null)");
    }
  }

  private static @Nullable Object readNode(DataInputStream in, int depth) throws IOException {
    if (depth > 64) {
      throw new IOException("tree deeper than 64 levels");
    }
    int tag = in.readUnsignedByte();
    switch (tag) {
      case NULL:
        return null;
      case STRING: {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
          throw new IOException("string of " + length + " bytes");
        }
        byte[] utf8 = new byte[length];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
      }
      case INTEGER:
        return in.readInt();
      case LONG:
        return in.readLong();
      case BIG_INTEGER:
        return new BigInteger(in.readUTF());
      case DOUBLE:
        return in.readDouble();
      case BOOLEAN:
        return in.readBoolean();
      case MAP: {
        int size = count(in);
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < size; i++) {
          Object key = readNode(in, depth + 1);
          map.put(key, readNode(in, depth + 1));
        }
        return map;
      }
      case LIST: {
        int size = count(in);
        List<Object> list = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
          list.add(readNode(in, depth + 1));
        }
        return list;
      }
      default:
        throw new IOException("node tag " + tag);
    }
  }

  private static int count(DataInputStream in) throws IOException {
    int size = in.readInt();
    if (size < 0 || size > in.available()) {
      throw new IOException("collection of " + size + " items");
    }
    return size;
  }

  /**
   * Generates the built-in trees: {@code CatalogTrees OUTPUT-FILE}. Run by the engine's build
   * after compiling, so the jar carries the trees of its own catalog files.
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException(
          "arguments: " + args.length + " (expected: the output file)");
    }
    List<String> texts = new ArrayList<>();
    for (String resource : BuiltinDetectors.RESOURCES) {
      try (InputStream in = requireNonNull(CatalogTrees.class.getResourceAsStream(resource),
          resource)) {
        texts.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(resource + ": cannot be read", e);
      }
    }
    Path target = Path.of(args[0]).toAbsolutePath();
    Files.createDirectories(target.getParent());
    Path temp = Files.createTempFile(target.getParent(), "catalog-trees", ".tmp");
    try (OutputStream out = Files.newOutputStream(temp)) {
      int written = write(texts, out);
      if (written < texts.size()) {
        System.err.println("catalog trees: " + (texts.size() - written) + " of " + texts.size()
            + " files hold YAML values of other kinds; they are parsed at run time");
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
