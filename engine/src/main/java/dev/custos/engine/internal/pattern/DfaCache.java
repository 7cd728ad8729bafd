package dev.custos.engine.internal.pattern;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import org.jspecify.annotations.Nullable;

/**
 * Automata compiled ahead of time, looked up by what they were compiled from: a kind (such as a
 * searching or an exact DFA) and the pattern text. Built-in detectors' automata are generated at
 * build time into a class-path resource, so a process starts without building them.
 *
 * <p>The file names the version of the code that built it (a hash of the classes that construct
 * automata); a file of another version, or whose payload does not match its checksum, is not used
 * at all ({@link #status()} says why), and callers compile what the cache does not hold. Entries
 * are keyed by a SHA-256 of kind and pattern, so a pattern that changed simply misses.
 *
 * <p>Reading a file checks its CRC-32 and indexes its entries, each deflated on its own; an
 * automaton is inflated and decoded on its first {@link #get} (most of a catalog's reverse
 * automata, the largest entries, are never needed in a process) and kept. An entry that does not
 * decode is reported as missing, so the caller compiles it. Thread-safe.
 */
public final class DfaCache {
  private static final byte[] MAGIC = "CUSTOS-DFA".getBytes(StandardCharsets.US_ASCII);
  /** Version of the file layout; bump on any change to it. */
  static final int FORMAT = 3;
  /** Key, inflated length and stored length before each entry's deflated automaton. */
  private static final int ENTRY_HEADER = 32 + 4 + 4;
  /** The largest inflated automaton read, against a corrupted length (the largest is ~4 MiB). */
  private static final int MAX_ENTRY = 256 << 20;

  private static final DfaCache EMPTY = new DfaCache(new byte[0], Map.of(), "no cache");

  /** The file's body; each entry's automaton is a deflated slice of it. */
  private final byte[] body;
  /** Key to where its automaton is in {@link #body}. */
  private final Map<Sha256Key, Slice> slices;
  private final Map<Sha256Key, ByteDfa> decoded = new ConcurrentHashMap<>();
  private final String status;

  private DfaCache(byte[] body, Map<Sha256Key, Slice> slices, String status) {
    this.body = body;
    this.slices = slices;
    this.status = status;
  }

  /** Where an entry's deflated automaton is, and how long it is inflated. */
  private record Slice(int offset, int length, int inflated) {}

  /** Returns a cache holding nothing: every automaton is compiled. */
  public static DfaCache empty() {
    return EMPTY;
  }

  /** Returns a cache holding nothing, saying why in {@link #status()}. */
  public static DfaCache unusable(String reason) {
    return new DfaCache(new byte[0], Map.of(), reason);
  }

  /**
   * Reads a cache written by {@link Writer#write}; a file written by other code ({@code
   * codeVersion} differs), of another layout or corrupted gives an empty cache whose {@link
   * #status()} says why. Never throws for bad content: the cache is only an optimization.
   */
  public static DfaCache read(@Nullable InputStream in, String codeVersion) {
    requireNonNull(codeVersion, "codeVersion");
    if (in == null) {
      return unusable("no compiled-detector cache on the class path");
    }
    try {
      DataInputStream data = new DataInputStream(in);
      byte[] magic = new byte[MAGIC.length];
      data.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        return unusable("compiled-detector cache: not a cache file");
      }
      int format = data.readInt();
      if (format != FORMAT) {
        return unusable("compiled-detector cache: layout " + format + " (expected: " + FORMAT + ")");
      }
      String version = data.readUTF();
      if (!version.equals(codeVersion)) {
        return unusable("compiled-detector cache: stale (built by code " + abbreviate(version)
            + ", running " + abbreviate(codeVersion) + ")");
      }
      long checksum = data.readLong();
      byte[] body = data.readAllBytes();
      CRC32 crc = new CRC32();
      crc.update(body);
      if (crc.getValue() != checksum) {
        return unusable("compiled-detector cache: checksum mismatch (corrupted file)");
      }
      DataInputStream entries = new DataInputStream(new ByteArrayInputStream(body));
      int count = entries.readInt();
      if (count < 0 || count > body.length / ENTRY_HEADER) {
        return unusable("compiled-detector cache: " + count + " entries (expected: at most "
            + body.length / ENTRY_HEADER + ")");
      }
      Map<Sha256Key, Slice> slices = new HashMap<>(count * 2);
      int at = 4;
      for (int i = 0; i < count; i++) {
        byte[] key = new byte[Sha256Key.LENGTH];
        entries.readFully(key);
        int inflated = entries.readInt();
        int length = entries.readInt();
        at += ENTRY_HEADER;
        if (length < 0 || length > body.length - at || inflated < 0 || inflated > MAX_ENTRY) {
          return unusable("compiled-detector cache: entry " + i + " of " + length + " bytes ("
              + inflated + " inflated) (expected: at most the " + (body.length - at)
              + " left, and " + MAX_ENTRY + " inflated)");
        }
        slices.put(Sha256Key.ofDigest(key), new Slice(at, length, inflated));
        entries.skipNBytes(length);
        at += length;
      }
      return new DfaCache(body, Map.copyOf(slices),
          "compiled-detector cache: " + count + " automata");
    } catch (IOException | RuntimeException e) {
      return unusable("compiled-detector cache: unreadable (" + e.getMessage() + ")");
    }
  }

  private static byte[] inflate(byte[] compressed, int offset, int stored, int length)
      throws IOException {
    Inflater inflater = new Inflater();
    try {
      inflater.setInput(compressed, offset, stored);
      byte[] out = new byte[length];
      int n = inflater.inflate(out);
      if (n != length || !inflater.finished()) {
        throw new IOException("entry inflates to " + (inflater.finished() ? n : "more than " + n)
            + " bytes (expected: " + length + ")");
      }
      return out;
    } catch (DataFormatException e) {
      throw new IOException("entry: " + e.getMessage(), e);
    } finally {
      inflater.end();
    }
  }

  /**
   * Returns the cached automaton of this kind for {@code pattern}, or null when the cache does not
   * hold it (or its entry does not decode). Decodes it on the first call for a key.
   */
  public @Nullable ByteDfa get(String kind, String pattern) {
    if (slices.isEmpty()) {
      return null;
    }
    Sha256Key key = key(kind, pattern);
    ByteDfa dfa = decoded.get(key);
    if (dfa != null) {
      return dfa;
    }
    Slice slice = slices.get(key);
    if (slice == null) {
      return null;
    }
    try {
      byte[] bytes = inflate(body, slice.offset(), slice.length(), slice.inflated());
      DataInput in = new DataInputStream(new ByteArrayInputStream(bytes));
      dfa = ByteDfa.readFrom(in);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    ByteDfa raced = decoded.putIfAbsent(key, dfa);
    return raced != null ? raced : dfa;
  }

  /** Returns whether the cache holds an automaton of this kind for {@code pattern}. */
  public boolean contains(String kind, String pattern) {
    return slices.containsKey(key(kind, pattern));
  }

  /** Returns the number of automata held. */
  public int size() {
    return slices.size();
  }

  /** Returns what was loaded, or why nothing was: for {@code --verbose} output. */
  public String status() {
    return status;
  }

  /**
   * Returns a version of the code that builds automata: a SHA-256 over the class files of {@code
   * classes} and their nested classes, in name order. A change to any of them makes caches written
   * before stale.
   */
  public static String codeVersion(Class<?>... classes) {
    Map<String, Class<?>> all = new java.util.TreeMap<>();
    for (Class<?> c : classes) {
      collect(c, all);
    }
    MessageDigest digest = Sha256Key.newDigest();
    digest.update(Integer.toString(FORMAT).getBytes(StandardCharsets.US_ASCII));
    for (Map.Entry<String, Class<?>> e : all.entrySet()) {
      Class<?> c = e.getValue();
      String resource = c.getName().substring(c.getName().lastIndexOf('.') + 1) + ".class";
      try (InputStream in = c.getResourceAsStream(resource)) {
        digest.update(e.getKey().getBytes(StandardCharsets.UTF_8));
        if (in != null) {
          digest.update(in.readAllBytes());
        }
      } catch (IOException ex) {
        digest.update((byte) 0);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static void collect(Class<?> c, Map<String, Class<?>> all) {
    if (all.putIfAbsent(c.getName(), c) == null) {
      for (Class<?> nested : c.getDeclaredClasses()) {
        collect(nested, all);
      }
    }
  }

  private static String abbreviate(String version) {
    return version.length() > 12 ? version.substring(0, 12) : version;
  }

  @Override
  public String toString() {
    return "DfaCache{" + slices.size() + " automata}";
  }

  /** Collects automata and writes a cache file. Not thread-safe. */
  public static final class Writer {
    private final Map<Sha256Key, ByteDfa> entries = new LinkedHashMap<>();

    /** Adds the automaton of this kind for {@code pattern}. */
    public Writer put(String kind, String pattern, ByteDfa dfa) {
      entries.put(key(kind, pattern), requireNonNull(dfa, "dfa"));
      return this;
    }

    /** Writes the cache for code of {@code codeVersion}. */
    public void write(OutputStream out, String codeVersion) throws IOException {
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      DataOutputStream entryData = new DataOutputStream(raw);
      entryData.writeInt(entries.size());
      ByteArrayOutputStream one = new ByteArrayOutputStream();
      ByteArrayOutputStream deflated = new ByteArrayOutputStream();
      for (Map.Entry<Sha256Key, ByteDfa> e : entries.entrySet()) {
        one.reset();
        e.getValue().writeTo(new DataOutputStream(one));
        deflated.reset();
        try (DeflaterOutputStream deflater = new DeflaterOutputStream(deflated)) {
          one.writeTo(deflater);
        }
        entryData.write(e.getKey().bytes());
        entryData.writeInt(one.size());
        entryData.writeInt(deflated.size());
        deflated.writeTo(entryData);
      }
      entryData.flush();
      byte[] bytes = raw.toByteArray();
      CRC32 crc = new CRC32();
      crc.update(bytes);
      DataOutputStream data = new DataOutputStream(out);
      data.write(MAGIC);
      data.writeInt(FORMAT);
      data.writeUTF(codeVersion);
      data.writeLong(crc.getValue());
      data.write(bytes);
      data.flush();
    }
  }

  /** A SHA-256 of kind and pattern. */
  private static Sha256Key key(String kind, String pattern) {
    MessageDigest digest = Sha256Key.newDigest();
    digest.update(kind.getBytes(StandardCharsets.UTF_8));
    digest.update((byte) 0);
    digest.update(pattern.getBytes(StandardCharsets.UTF_8));
    return Sha256Key.ofDigest(digest.digest());
  }

}
