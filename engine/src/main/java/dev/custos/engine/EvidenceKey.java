package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deployment key under which evidence hashes are computed (HMAC-SHA256). All proxies and
 * scanners of one deployment share it so that the same value hashes alike everywhere; without it a
 * hash cannot be reversed by guessing values. The key bytes are never printed.
 */
public final class EvidenceKey {
  /** The environment variable holding the key text. */
  public static final String ENVIRONMENT_VARIABLE = "CUSTOS_EVIDENCE_KEY";
  /** The environment variable naming a file that holds the key. */
  public static final String FILE_ENVIRONMENT_VARIABLE = "CUSTOS_EVIDENCE_KEY_FILE";

  private static final int MINIMUM_LENGTH = 16;
  /** SHA-256's block size in bytes, which HMAC pads the key to. */
  private static final int BLOCK = 64;
  private static final Logger logger = LoggerFactory.getLogger(EvidenceKey.class);
  private static final java.util.concurrent.atomic.AtomicBoolean WARNED =
      new java.util.concurrent.atomic.AtomicBoolean();

  private final byte[] key;
  private final boolean ephemeral;
  private final ThreadLocal<javax.crypto.Mac> macs = ThreadLocal.withInitial(this::newMac);
  /** Per thread: SHA-256 after the key's inner and outer pad blocks, or null when not clonable. */
  private final ThreadLocal<@Nullable Pads> pads = ThreadLocal.withInitial(this::newPads);

  private EvidenceKey(byte[] key, boolean ephemeral) {
    this.key = key;
    this.ephemeral = ephemeral;
  }

  /**
   * Returns a key made of the given bytes.
   *
   * @throws IllegalArgumentException if fewer than 16 bytes are given
   */
  public static EvidenceKey of(byte[] key) {
    requireNonNull(key, "key");
    if (key.length < MINIMUM_LENGTH) {
      throw new IllegalArgumentException(
          "evidence key: " + key.length + " bytes (expected: at least " + MINIMUM_LENGTH + ")");
    }
    return new EvidenceKey(key.clone(), false);
  }

  /**
   * Returns the key held in a file (its bytes, with one trailing newline removed).
   *
   * @throws IllegalArgumentException if the file cannot be read or holds fewer than 16 bytes
   */
  public static EvidenceKey fromFile(Path file) {
    requireNonNull(file, "file");
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("evidence key file: " + file + " (cannot be read: " + e.getMessage() + ")", e);
    }
    int length = bytes.length;
    if (length > 0 && bytes[length - 1] == '\n') {
      length--;
      if (length > 0 && bytes[length - 1] == '\r') {
        length--;
      }
    }
    return of(Arrays.copyOf(bytes, length));
  }

  /** Returns a random key for this process only; hashes will not match other processes'. */
  public static EvidenceKey random() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return new EvidenceKey(bytes, true);
  }

  /**
   * Returns the key from {@value #ENVIRONMENT_VARIABLE} or the file named by {@value
   * #FILE_ENVIRONMENT_VARIABLE}; when neither is set, logs a warning (once per process) and returns
   * a key made at random once per process, so hashes agree within the process (across policy
   * reloads, say) but not with other processes.
   */
  public static EvidenceKey fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  static EvidenceKey fromEnvironment(Map<String, String> environment) {
    String text = environment.get(ENVIRONMENT_VARIABLE);
    if (text != null && !text.isEmpty()) {
      return of(text.getBytes(StandardCharsets.UTF_8));
    }
    String file = environment.get(FILE_ENVIRONMENT_VARIABLE);
    if (file != null && !file.isEmpty()) {
      return fromFile(Path.of(file));
    }
    if (WARNED.compareAndSet(false, true)) {
      logger.warn(
          "No evidence key set ({} or {}): using a random key for this process, so evidence "
              + "hashes will not match those of other processes.",
          ENVIRONMENT_VARIABLE,
          FILE_ENVIRONMENT_VARIABLE);
    }
    return ProcessKey.KEY;
  }

  /** The random key of this process, made once: every scanner and identity hash agree on it. */
  private static final class ProcessKey {
    static final EvidenceKey KEY = random();
  }

  /** Returns whether this key was made at random for this process only. */
  public boolean isEphemeral() {
    return ephemeral;
  }

  /** Returns a new HMAC-SHA256 instance keyed with this key. */
  private javax.crypto.Mac newMac() {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
      return mac;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
  }

  /**
   * Returns HMAC-SHA256 of {@code message} under this key. Thread-safe: each thread keeps SHA-256
   * as it stands after the key's inner and after its outer pad block (RFC 2104) and starts each
   * message from copies of them, so a short message costs two SHA-256 blocks instead of four and
   * neither a provider look-up nor a key set-up. Where the digest cannot be copied, each thread
   * reuses its own {@link javax.crypto.Mac}; both give the same bytes.
   */
  public byte[] hmac(byte[] message) {
    requireNonNull(message, "message");
    Pads p = pads.get();
    if (p != null) {
      try {
        java.security.MessageDigest inner = (java.security.MessageDigest) p.inner.clone();
        inner.update(message);
        java.security.MessageDigest outer = (java.security.MessageDigest) p.outer.clone();
        outer.update(inner.digest());
        return outer.digest();
      } catch (CloneNotSupportedException e) {
        pads.set(null);
      }
    }
    return macs.get().doFinal(message); // doFinal resets the MAC for the next message
  }

  /** The SHA-256 states after the inner and the outer pad block of this key (RFC 2104). */
  private static final class Pads {
    final java.security.MessageDigest inner;
    final java.security.MessageDigest outer;

    Pads(java.security.MessageDigest inner, java.security.MessageDigest outer) {
      this.inner = inner;
      this.outer = outer;
    }
  }

  /** Returns this key's pad states for a new thread, or null when SHA-256 cannot be copied. */
  private @Nullable Pads newPads() {
    try {
      java.security.MessageDigest inner = java.security.MessageDigest.getInstance("SHA-256");
      java.security.MessageDigest outer = java.security.MessageDigest.getInstance("SHA-256");
      // A key longer than SHA-256's 64-byte block is hashed first; a shorter one is padded with zeros.
      byte[] k = key.length > BLOCK ? inner.digest(key) : key;
      byte[] innerPad = new byte[BLOCK];
      byte[] outerPad = new byte[BLOCK];
      for (int i = 0; i < BLOCK; i++) {
        int b = i < k.length ? k[i] : 0;
        innerPad[i] = (byte) (b ^ 0x36);
        outerPad[i] = (byte) (b ^ 0x5c);
      }
      inner.update(innerPad);
      outer.update(outerPad);
      Arrays.fill(innerPad, (byte) 0);
      Arrays.fill(outerPad, (byte) 0);
      inner.clone(); // fails here, once, when this provider's digest cannot be copied
      return new Pads(inner, outer);
    } catch (java.security.NoSuchAlgorithmException | CloneNotSupportedException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return ephemeral ? "EvidenceKey{ephemeral}" : "EvidenceKey{configured}";
  }
}
