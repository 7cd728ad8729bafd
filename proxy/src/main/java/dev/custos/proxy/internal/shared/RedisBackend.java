package dev.custos.proxy.internal.shared;

import dev.custos.proxy.ProxyConfig;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Redis server as the configuration names it: a Lettuce client with its own two threads, one
 * multiplexed connection (commands are sent in the order they are issued), and Bucket4j's proxy
 * manager on it. Never blocks a caller: {@link #connected()} returns the connection when it is
 * up, else null while a connection attempt runs in the background (at most one every {@link
 * #RETRY}). Commands fail fast while the connection is down (Lettuce reconnects on its own) and
 * after {@code command_timeout}. Thread-safe.
 */
final class RedisBackend implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(RedisBackend.class);

  /** The least time between two connection attempts after a failed one. */
  static final Duration RETRY = Duration.ofSeconds(1);

  /** What {@link #connected()} hands out: the commands and the buckets over one connection. */
  record Connection(RedisAsyncCommands<byte[], byte[]> commands,
      AsyncProxyManager<byte[]> buckets) {}

  /** The cause of a failure while no connection is up. */
  static final IllegalStateException NOT_CONNECTED =
      new IllegalStateException("no connection to redis");

  final ProxyConfig.SharedState config;
  private final String server;
  private final ClientResources resources;
  private final RedisClient client;
  private final RedisURI uri;
  private @Nullable CompletableFuture<?> connecting;
  private volatile @Nullable Connection connection;
  private @Nullable StatefulRedisConnection<byte[], byte[]> stateful;
  private long lastAttempt;
  private boolean closed;

  /**
   * Creates the client and starts connecting.
   *
   * @throws UncheckedIOException if the password file cannot be read
   */
  RedisBackend(ProxyConfig.SharedState config) {
    this.config = config;
    this.server = config.redis().getHost() + ":" + (config.redis().getPort() > 0
        ? config.redis().getPort() : RedisURI.DEFAULT_REDIS_PORT);
    RedisURI u = RedisURI.create(config.redis());
    u.setTimeout(config.commandTimeout());
    if (config.passwordFile() != null) {
      char[] password = readPassword(config);
      u.setCredentialsProvider(RedisCredentialsProvider.from(
          () -> RedisCredentials.just(null, password)));
    }
    this.uri = u;
    this.resources = DefaultClientResources.builder()
        .ioThreadPoolSize(1)
        .computationThreadPoolSize(1)
        .build();
    ClientOptions.Builder options = ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .socketOptions(SocketOptions.builder().connectTimeout(config.connectTimeout()).build())
        .timeoutOptions(TimeoutOptions.enabled(config.commandTimeout()));
    if (config.caFile() != null) {
      options.sslOptions(SslOptions.builder().jdkSslProvider()
          .trustManager(config.caFile().toFile()).build());
    }
    this.client = RedisClient.create(resources, uri);
    client.setOptions(options.build());
    connect();
  }

  private static char[] readPassword(ProxyConfig.SharedState config) {
    try {
      String text = Files.readString(config.passwordFile(), StandardCharsets.UTF_8);
      int end = text.indexOf('\n');
      return (end >= 0 ? text.substring(0, end) : text).strip().toCharArray();
    } catch (IOException e) {
      throw new UncheckedIOException("shared_state.password_file: " + config.passwordFile()
          + " cannot be read (" + e.getClass().getSimpleName() + ")", e);
    }
  }

  /** Sends a command; a command refused at once (a closed connection) fails the stage. */
  static <T> CompletableFuture<T> send(Supplier<RedisFuture<T>> command) {
    try {
      return command.get().toCompletableFuture();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Returns {@code host:port}, for messages. */
  String server() {
    return server;
  }

  /**
   * Returns the connection when it is up (it may be reconnecting, and then commands fail fast),
   * else null, starting a new attempt when none ran within {@link #RETRY}.
   */
  @Nullable Connection connected() {
    Connection c = connection;
    if (c != null) {
      return c;
    }
    synchronized (this) {
      if (!closed && connecting == null
          && System.nanoTime() - lastAttempt >= RETRY.toNanos()) {
        connect();
      }
    }
    return connection;
  }

  /**
   * Waits up to the connect timeout for the first connection; for start-up, never on an event
   * loop. Returns whether it is up.
   */
  boolean awaitConnected() {
    CompletableFuture<?> f;
    synchronized (this) {
      f = connecting;
    }
    if (f != null) {
      try {
        f.get(config.connectTimeout().toMillis() + 500, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
      }
    }
    return connection != null;
  }

  private synchronized void connect() {
    lastAttempt = System.nanoTime();
    // Completes after the outcome is recorded, so that awaitConnected() sees it.
    CompletableFuture<Void> attempt = new CompletableFuture<>();
    connecting = attempt;
    client.connectAsync(ByteArrayCodec.INSTANCE, uri).whenComplete((conn, error) -> {
      try {
        connected(conn, error);
      } finally {
        attempt.complete(null);
      }
    });
  }

  private synchronized void connected(@Nullable StatefulRedisConnection<byte[], byte[]> conn,
      @Nullable Throwable error) {
    connecting = null;
    if (error != null || conn == null) {
      logger.warn("shared_state: cannot connect to redis {} ({}); retrying in {} ms at the"
          + " earliest", server, error == null ? "no connection" : error.getClass().getSimpleName(),
          RETRY.toMillis());
      return;
    }
    if (closed) {
      conn.closeAsync();
      return;
    }
    stateful = conn;
    AsyncProxyManager<byte[]> buckets = Bucket4jLettuce.casBasedBuilder(conn)
        .requestTimeout(config.commandTimeout())
        .expirationAfterWrite(ExpirationAfterWriteStrategy
            .basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(1)))
        .build()
        .asAsync();
    connection = new Connection(conn.async(), buckets);
    logger.info("shared_state: connected to redis {}", server);
  }

  /** Closes the connection and stops the client's threads, waiting at most a few seconds. */
  @Override
  public void close() {
    StatefulRedisConnection<byte[], byte[]> conn;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      conn = stateful;
      connection = null;
    }
    try {
      if (conn != null) {
        conn.closeAsync().get(2, TimeUnit.SECONDS);
      }
      client.shutdownAsync(0, 2, TimeUnit.SECONDS).get(3, TimeUnit.SECONDS);
      resources.shutdown(0, 2, TimeUnit.SECONDS).get(3, TimeUnit.SECONDS);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      logger.warn("shared_state: closing the redis client for {} took too long ({})", server,
          e.getClass().getSimpleName());
    }
  }

  @Override
  public String toString() {
    return "RedisBackend{" + server + "}";
  }
}
