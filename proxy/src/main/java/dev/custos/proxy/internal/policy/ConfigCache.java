package dev.custos.proxy.internal.policy;

import dev.custos.engine.config.ConfigException;
import dev.custos.engine.config.ConfigProblem;
import dev.custos.proxy.ProxyConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last good pulled proxy configuration on disk: two comment lines ({@code # custos-config:
 * name@version}, {@code # custos-etag: "..."}) and the configuration YAML, so the file is itself
 * a valid configuration. Written like {@link PolicyCache}: a temporary file in the same folder,
 * forced to disk, moved over the old one atomically. Stateless and thread-safe.
 */
public final class ConfigCache {
  private static final Logger logger = LoggerFactory.getLogger(ConfigCache.class);
  private static final String CONFIG = "# custos-config: ";
  private static final String ETAG = "# custos-etag: ";
  static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]{1,64}@[0-9]{1,9}");
  static final Pattern ETAG_VALUE = Pattern.compile("\"[0-9a-z-]{1,80}\"");
  /** The largest cache file read (the plane sends at most 1 MiB of configuration). */
  static final int MAX_BYTES = 4 * 1024 * 1024 + 4096;

  private ConfigCache() {}

  /** Writes the configuration atomically to {@code file}, creating its folder when missing. */
  public static void write(Path file, PulledConfig c) throws IOException {
    PolicyCache.writeAtomically(file, CONFIG + c.label() + "\n" + ETAG + c.etag() + "\n"
        + c.body());
  }

  /**
   * Returns the configuration kept in {@code file}, parsed again with relative paths resolved
   * against {@code baseDir}; null when there is none, or when it cannot be read or is not valid
   * (logged without its content).
   */
  public static @Nullable PulledConfig read(Path file, Path baseDir) {
    String text;
    try {
      if (Files.size(file) > MAX_BYTES) {
        logger.warn("config cache {}: larger than {} bytes; not used", file, MAX_BYTES);
        return null;
      }
      text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      logger.warn("config cache {}: unreadable ({}); not used", file,
          e.getClass().getSimpleName());
      return null;
    }
    String[] head = text.split("\n", 3);
    if (head.length < 3 || !head[0].startsWith(CONFIG) || !head[1].startsWith(ETAG)) {
      logger.warn("config cache {}: no custos-config and custos-etag lines; not used", file);
      return null;
    }
    String label = head[0].substring(CONFIG.length()).trim();
    String etag = head[1].substring(ETAG.length()).trim();
    if (!LABEL.matcher(label).matches() || !ETAG_VALUE.matcher(etag).matches()) {
      logger.warn("config cache {}: malformed header lines; not used", file);
      return null;
    }
    try {
      return parse(label, etag, head[2], file.toString(), baseDir);
    } catch (ConfigException e) {
      ConfigProblem p = e.problems().get(0);
      logger.warn("config cache {}: not a valid configuration (at line {}, column {}); not used",
          file, p.line() > 0 ? p.line() + 2 : 0, p.column());
      return null;
    }
  }

  /**
   * Parses and validates a pulled configuration with the proxy's own parser; relative paths in
   * it resolve against {@code baseDir} (the bootstrap file's folder).
   *
   * @throws ConfigException if it is not valid
   */
  public static PulledConfig parse(String label, String etag, String body, String sourceName,
      Path baseDir) {
    ProxyConfig config;
    try {
      config = ProxyConfig.parse(body, sourceName, baseDir);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(sourceName, List.of(new ConfigProblem(0, 0,
          "not a valid configuration (expected: one custos proxy accepts)")));
    }
    return new PulledConfig(label, etag, body, config);
  }
}
