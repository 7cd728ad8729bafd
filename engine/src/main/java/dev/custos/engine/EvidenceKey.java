package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
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
  private static final Logger logger = LoggerFactory.getLogger(EvidenceKey.class);
  private static final java.util.concurrent.atomic.AtomicBoolean WARNED =
      new java.util.concurrent.atomic.AtomicBoolean();

  private final byte[] key;
  private final boolean ephemeral;
  private final ThreadLocal<javax.crypto.Mac> macs = ThreadLocal.withInitial(this::newMac);

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
   * Returns HMAC-SHA256 of {@code message} under this key. Thread-safe: each thread reuses its own
   * {@link javax.crypto.Mac}, so hot paths pay neither the provider look-up nor the key set-up.
   */
  public byte[] hmac(byte[] message) {
    return macs.get().doFinal(message); // doFinal resets the MAC for the next message
  }

  @Override
  public String toString() {
    return ephemeral ? "EvidenceKey{ephemeral}" : "EvidenceKey{configured}";
  }
}
