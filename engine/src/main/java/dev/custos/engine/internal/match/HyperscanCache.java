package dev.custos.engine.internal.match;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Compiled Hyperscan databases kept on disk between runs, so a process whose patterns did not
 * change deserializes its database instead of compiling it (compiling the built-in catalog costs
 * about a second of CPU; loading it, milliseconds).
 *
 * <p>One file per database, named by a SHA-256 of everything the database is compiled from: this
 * layout's version, the Hyperscan library's version string, the mode and every expression. A
 * changed pattern, library or layout therefore looks for another file and never finds a stale one.
 * Each file also carries that key and a SHA-256 of its payload; a file whose key or checksum does
 * not match, or that Hyperscan refuses to deserialize (another CPU or library build), is not used:
 * the database is compiled and the file rewritten. Files are written to a temporary name and moved
 * into place, so concurrent processes never read a half-written file; the {@value #MAX_FILES} most
 * recently written are kept.
 *
 * <p>The directory is {@code -Dcustos.cacheDir}, else {@code $CUSTOS_CACHE_DIR}, else {@code
 * $XDG_CACHE_HOME/custos}, else {@code ~/.cache/custos}, with {@code hyperscan/} under it; {@code
 * -Dcustos.noHyperscanCache=true} (or {@code CUSTOS_CACHE_DIR=off}) turns the cache off. A
 * directory that cannot be written only costs the compile.
 */
public final class HyperscanCache {
  /** A system property that, when true, leaves the on-disk cache unused. */
  public static final String DISABLE_PROPERTY = "custos.noHyperscanCache";

  /** A system property naming the cache directory. */
  public static final String DIRECTORY_PROPERTY = "custos.cacheDir";

  private static final byte[] MAGIC = "CUSTOS-HSDB".getBytes(StandardCharsets.US_ASCII);
  /** Version of the file layout and of the key; bump on any change to either. */
  static final int FORMAT = 1;
  private static final int HEADER = MAGIC.length + 4 + 32 + 32;
  /** The most databases kept (policies reloaded with new patterns each add one). */
  static final int MAX_FILES = 16;

  private final @Nullable Path directory;

  private HyperscanCache(@Nullable Path directory) {
    this.directory = directory;
  }

  /** Returns a cache in {@code directory} (created when first written). */
  public static HyperscanCache in(Path directory) {
    return new HyperscanCache(requireNonNull(directory, "directory"));
  }

  /** Returns a cache that never holds anything: every database is compiled. */
  public static HyperscanCache none() {
    return new HyperscanCache(null);
  }

  /** Returns the cache the system properties and environment configure (see the class doc). */
  public static HyperscanCache fromEnvironment() {
    if (Boolean.getBoolean(DISABLE_PROPERTY)) {
      return none();
    }
    String configured = System.getProperty(DIRECTORY_PROPERTY);
    if (configured == null || configured.isBlank()) {
      configured = System.getenv("CUSTOS_CACHE_DIR");
    }
    if ("off".equals(configured)) {
      return none();
    }
    Path base;
    if (configured != null && !configured.isBlank()) {
      base = Path.of(configured);
    } else {
      String xdg = System.getenv("XDG_CACHE_HOME");
      if (xdg != null && !xdg.isBlank()) {
        base = Path.of(xdg, "custos");
      } else {
        String home = System.getProperty("user.home");
        if (home == null || home.isBlank()) {
          return none();
        }
        base = Path.of(home, ".cache", "custos");
      }
    }
    return in(base.resolve("hyperscan"));
  }

  /** Returns the directory, or null when this cache is off. */
  public @Nullable Path directory() {
    return directory;
  }

  /** Returns the key of a database: a SHA-256 of layout, library version, mode and expressions. */
  static byte[] key(String libraryVersion, int mode, List<String> expressions) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(MAGIC);
      out.writeInt(FORMAT);
      writeString(out, libraryVersion);
      out.writeInt(mode);
      out.writeInt(expressions.size());
      for (String e : expressions) {
        writeString(out, e);
      }
      out.flush();
      return sha256().digest(bytes.toByteArray());
    } catch (IOException e) {
      throw new IllegalStateException("key: " + e.getMessage(), e);
    }
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  /** Returns the file holding the database of {@code key}, or null when this cache is off. */
  @Nullable Path file(byte[] key) {
    return directory == null ? null : directory.resolve(HexFormat.of().formatHex(key) + ".hsdb");
  }

  /**
   * Returns the serialized database stored under {@code key}, or null when there is none, or it is
   * corrupted or written for another key. Never throws for bad content.
   */
  byte @Nullable [] read(byte[] key) {
    Path file = file(key);
    if (file == null) {
      return null;
    }
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return unwrap(content, key);
  }

  /** Returns the payload of a file's content when its header matches {@code key}, else null. */
  static byte @Nullable [] unwrap(byte[] content, byte[] key) {
    if (content.length < HEADER
        || !Arrays.equals(content, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      return null;
    }
    ByteBuffer header = ByteBuffer.wrap(content);
    header.position(MAGIC.length);
    if (header.getInt() != FORMAT) {
      return null;
    }
    byte[] storedKey = new byte[32];
    header.get(storedKey);
    byte[] checksum = new byte[32];
    header.get(checksum);
    if (!MessageDigest.isEqual(storedKey, key)) {
      return null;
    }
    byte[] payload = Arrays.copyOfRange(content, HEADER, content.length);
    return MessageDigest.isEqual(checksum, sha256().digest(payload)) ? payload : null;
  }

  /** Returns the content of a file holding {@code payload} under {@code key}. */
  static byte[] wrap(byte[] payload, byte[] key) {
    ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length);
    b.put(MAGIC).putInt(FORMAT).put(key).put(sha256().digest(payload)).put(payload);
    return b.array();
  }

  /**
   * Stores a serialized database under {@code key}; returns false (and leaves no partial file)
   * when the directory cannot be written.
   */
  boolean write(byte[] key, byte[] payload) {
    Path file = file(key);
    if (file == null) {
      return false;
    }
    Path temp = null;
    try {
      Files.createDirectories(file.getParent());
      temp = Files.createTempFile(file.getParent(), "hsdb", ".tmp");
      Files.write(temp, wrap(payload, key));
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      prune(file);
      return true;
    } catch (IOException | RuntimeException e) {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // The temporary file is all that is left; nothing reads it.
        }
      }
      return false;
    }
  }

  /** Deletes the least recently written databases beyond {@link #MAX_FILES}, never {@code kept}. */
  private void prune(Path kept) {
    if (directory == null) {
      return;
    }
    try (java.util.stream.Stream<Path> files = Files.list(directory)) {
      List<Path> databases = files
          .filter(f -> f.getFileName().toString().endsWith(".hsdb") && !f.equals(kept))
          .sorted(java.util.Comparator.comparing(HyperscanCache::modified).reversed())
          .toList();
      for (int i = MAX_FILES - 1; i < databases.size(); i++) {
        Files.deleteIfExists(databases.get(i));
      }
    } catch (IOException | RuntimeException e) {
      // Pruning is housekeeping: a file left behind costs only disk space.
    }
  }

  private static long modified(Path file) {
    try {
      return Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256: missing (expected: in every JRE)", e);
    }
  }

  @Override
  public String toString() {
    return directory == null ? "HyperscanCache[off]" : "HyperscanCache[" + directory + "]";
  }
}
