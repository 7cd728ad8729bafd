package dev.custos.proxy.internal.policy;

import dev.custos.engine.Policy;
import dev.custos.engine.PolicyException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last good pulled policy on disk: three comment lines ({@code # custos-policy: name@version},
 * {@code # custos-enforce: true|false}, {@code # custos-etag: "..."}) and the policy YAML, so the
 * file is itself a valid policy. Written to a temporary file in the same folder, forced to disk,
 * then moved over the old one atomically: a crash leaves the old file or the new one, never a
 * torn one. Stateless and thread-safe.
 */
public final class PolicyCache {
  private static final Logger logger = LoggerFactory.getLogger(PolicyCache.class);
  private static final String POLICY = "# custos-policy: ";
  private static final String ENFORCE = "# custos-enforce: ";
  private static final String ETAG = "# custos-etag: ";
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]{1,64}@[0-9]{1,9}");
  private static final Pattern ETAG_VALUE = Pattern.compile("\"[0-9a-z-]{1,80}\"");
  /** The largest cache file read (the plane sends at most 1 MiB of policy). */
  static final int MAX_BYTES = 4 * 1024 * 1024 + 4096;

  private PolicyCache() {}

  /** Writes the policy atomically to {@code file}, creating its folder when missing. */
  public static void write(Path file, PulledPolicy p) throws IOException {
    writeAtomically(file, POLICY + p.label() + "\n" + ENFORCE + p.enforce() + "\n" + ETAG
        + p.etag() + "\n" + p.body());
  }

  /**
   * Writes text to {@code file} atomically: a temporary file in the same folder (created when
   * missing), forced to disk, then moved over the old one.
   */
  static void writeAtomically(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve(file.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true); // the rename itself, on file systems that allow syncing a folder
    } catch (IOException | UnsupportedOperationException e) {
      // Not every platform opens folders; the file's own content is already on disk.
    }
  }

  /**
   * Returns the policy kept in {@code file}, validated again; null when there is none, or when
   * it cannot be read or is not valid (logged without its content).
   */
  public static @Nullable PulledPolicy read(Path file) {
    String text;
    try {
      if (Files.size(file) > MAX_BYTES) {
        logger.warn("policy cache {}: larger than {} bytes; not used", file, MAX_BYTES);
        return null;
      }
      text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      logger.warn("policy cache {}: unreadable ({}); not used", file,
          e.getClass().getSimpleName());
      return null;
    }
    String[] head = text.split("\n", 4);
    if (head.length < 4 || !head[0].startsWith(POLICY) || !head[1].startsWith(ENFORCE)
        || !head[2].startsWith(ETAG)) {
      logger.warn("policy cache {}: no custos-policy, custos-enforce and custos-etag lines;"
          + " not used", file);
      return null;
    }
    String label = head[0].substring(POLICY.length()).trim();
    String enforce = head[1].substring(ENFORCE.length()).trim();
    String etag = head[2].substring(ETAG.length()).trim();
    if (!LABEL.matcher(label).matches() || !(enforce.equals("true") || enforce.equals("false"))
        || !ETAG_VALUE.matcher(etag).matches()) {
      logger.warn("policy cache {}: malformed header lines; not used", file);
      return null;
    }
    try {
      return parse(label, enforce.equals("true"), etag, head[3], file.toString());
    } catch (PolicyException e) {
      logger.warn("policy cache {}: not a valid policy (at line {}, column {}); not used", file,
          e.line() + 3, e.column());
      return null;
    }
  }

  /**
   * Parses and validates a pulled policy's body with the proxy's own parser.
   *
   * @throws PolicyException if it is not valid
   */
  public static PulledPolicy parse(String label, boolean enforce, String etag, String body,
      String sourceName) {
    Policy policy;
    try {
      policy = Policy.parse(body, sourceName).withEnforce(enforce);
    } catch (IllegalArgumentException e) {
      throw new PolicyException(sourceName, 0, 0, "not a valid policy");
    }
    return new PulledPolicy(label, enforce, etag, body, policy);
  }
}
