package dev.custos.proxy.internal;

import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.config.ConfigException;
import dev.custos.proxy.ProxyConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the configuration file and the files it names (policy, the policy's WebAssembly detector
 * modules, authentication keys, secrets and trust bundle), on a thread of its own (never an
 * event loop), and hands a changed, valid configuration to a consumer. A change is seen by
 * content, so editors that replace the file and clocks with coarse modification times both
 * work. A valid change is applied and logged in one line ({@code config reloaded: file (N routes,
 * M clusters)}); an invalid one is logged in one line ({@code config reload rejected:
 * file:line:col: ...}) and counted; the current configuration keeps serving. So is a file that cannot be
 * read, is too large ({@link ConfigReader#MAX_FILE_BYTES}) or was replaced by a directory. The
 * watcher survives anything a poll throws: an {@link Error} is also reported to {@link
 * FatalErrors}. Files are hashed as they stream, never held whole in memory.
 */
public final class ConfigWatcher implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(ConfigWatcher.class);

  /** Files larger than this are compared by size and modification time, not content. */
  private static final long HASHED_BYTES = 64L * 1024 * 1024;

  private final Path configFile;
  private final Consumer<ProxyConfig> onChange;
  private final Counter success;
  private final Counter failure;
  private final ScheduledExecutorService executor;
  private final Map<Path, byte[]> seen = new HashMap<>();
  private final FatalErrors fatal;

  /** Starts watching; {@code fatal} hears of any {@link Error} a poll throws. */
  public ConfigWatcher(Path configFile, ProxyConfig initial, Duration interval,
      Consumer<ProxyConfig> onChange, MeterRegistry registry, FatalErrors fatal) {
    this.configFile = configFile;
    this.fatal = fatal;
    this.onChange = onChange;
    this.success = counter(registry, "success");
    this.failure = counter(registry, "failure");
    remember(initial);
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "custos-config-watcher");
      t.setDaemon(true);
      t.setUncaughtExceptionHandler(fatal);
      return t;
    });
    long millis = Math.max(10, interval.toMillis());
    executor.scheduleWithFixedDelay(this::poll, millis, millis, TimeUnit.MILLISECONDS);
  }

  private static Counter counter(MeterRegistry registry, String result) {
    return Counter.builder("custos.config.reloads")
        .description("Configuration reloads, by result")
        .tag("result", result)
        .register(registry);
  }

  /** Checks the files now; runs on the watcher thread. */
  private synchronized void poll() {
    try {
      if (!changed()) {
        return;
      }
      ProxyConfig next;
      try {
        next = ProxyConfig.load(configFile);
      } catch (ConfigException e) {
        rejected();
        failure.increment();
        logger.warn("config reload rejected: {}", firstLine(e.getMessage()));
        return;
      }
      remember(next);
      onChange.accept(next);
      success.increment();
      logger.info("config reloaded: {} ({} routes, {} clusters)", configFile,
          next.routes().size(), next.clusters().size());
    } catch (Throwable e) {
      // Whatever happens, the next poll runs: a scheduled task that throws is never run again.
      try {
        rejected();
      } catch (Throwable ignored) {
        // The digests are retried at the next poll.
      }
      failure.increment();
      logger.warn("config reload rejected: {}: {}", configFile, e.getClass().getName());
      if (e instanceof Error) {
        fatal.report("custos-config-watcher", e);
      }
    }
  }

  private boolean changed() {
    byte[] config = digest(configFile);
    if (!Arrays.equals(config, seen.get(configFile))) {
      return true;
    }
    for (Map.Entry<Path, byte[]> e : seen.entrySet()) {
      if (!e.getKey().equals(configFile) && !Arrays.equals(digest(e.getKey()), e.getValue())) {
        return true;
      }
    }
    return false;
  }

  /** Remembers the files of an accepted configuration. */
  private void remember(ProxyConfig config) {
    seen.clear();
    seen.put(configFile, digest(configFile));
    config.policyFile().ifPresent(p -> seen.put(p, digest(p)));
    for (Path p : config.authn().files()) {
      seen.put(p, digest(p));
    }
    for (PluginDetectorDefinition d : config.policy().pluginDetectors()) {
      seen.put(d.module(), digest(d.module()));
    }
  }

  /** Remembers the current contents of the watched files, so a rejected change is not retried. */
  private void rejected() {
    Map<Path, byte[]> now = new HashMap<>();
    for (Path p : seen.keySet()) {
      now.put(p, digest(p));
    }
    now.put(configFile, digest(configFile));
    seen.clear();
    seen.putAll(now);
  }

  /**
   * Returns a digest of a file's contents, streamed through a fixed buffer; for a file larger
   * than {@link #HASHED_BYTES}, of its size and modification time instead.
   */
  private static byte[] digest(Path file) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      if (Files.isDirectory(file)) {
        return md.digest("directory".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      }
      long size = Files.size(file);
      if (size > HASHED_BYTES) {
        return md.digest(("size " + size + " modified " + Files.getLastModifiedTime(file))
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      }
      byte[] buf = new byte[8192];
      try (java.io.InputStream in = Files.newInputStream(file)) {
        long total = 0;
        for (int n; (n = in.read(buf)) > 0 && total <= HASHED_BYTES; total += n) {
          md.update(buf, 0, n);
        }
      }
      return md.digest();
    } catch (IOException e) {
      return new byte[0];
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String firstLine(@Nullable String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
