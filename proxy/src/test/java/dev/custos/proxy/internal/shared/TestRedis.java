package dev.custos.proxy.internal.shared;

import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The Redis of the tests, on 127.0.0.1:6379: a test that needs it skips when it does not answer
 * PING, and fails instead when the environment sets {@code CI=true} (CI runs one). Each test uses
 * a key prefix of its own and deletes its keys at the end, so tests never see each other's state.
 */
public final class TestRedis implements AutoCloseable {
  /** The URL of the tests' Redis. */
  public static final String URL = "redis://127.0.0.1:6379";

  /** A unique key prefix for this instance's test. */
  public final String prefix = "custos-test-" + UUID.randomUUID() + ":";
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;

  private TestRedis() {
    this.client = RedisClient.create(URL);
    this.connection = client.connect();
  }

  /** Returns a connection to the tests' Redis, or skips the test (fails it under CI=true). */
  public static TestRedis require() {
    boolean up = answersPing();
    if (!up && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("Redis is not answering on 127.0.0.1:6379 and CI=true"
          + " (expected: CI runs Redis on its standard port)");
    }
    Assumptions.assumeTrue(up, "Redis is not answering on 127.0.0.1:6379");
    return new TestRedis();
  }

  private static boolean answersPing() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", 6379), 500);
      s.setSoTimeout(1000);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] reply = in.readNBytes(7);
      return new String(reply, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  /** Returns a loopback port nothing listens on (bound, then closed again). */
  public static int closedPort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Returns synchronous commands, for assertions on what the proxies stored. */
  public RedisCommands<String, String> commands() {
    return connection.sync();
  }

  /** Returns every key under this test's prefix. */
  public List<String> keys() {
    List<String> keys = new ArrayList<>();
    KeyScanArgs match = KeyScanArgs.Builder.matches(prefix + "*").limit(1000);
    KeyScanCursor<String> cursor = commands().scan(match);
    keys.addAll(cursor.getKeys());
    while (!cursor.isFinished()) {
      cursor = commands().scan(ScanCursor.of(cursor.getCursor()), match);
      keys.addAll(cursor.getKeys());
    }
    return keys;
  }

  /** Deletes this test's keys and closes the connection. */
  @Override
  public void close() {
    try {
      List<String> keys = keys();
      if (!keys.isEmpty()) {
        commands().del(keys.toArray(String[]::new));
      }
    } finally {
      connection.close();
      client.shutdown(java.time.Duration.ZERO, java.time.Duration.ofSeconds(2));
    }
  }
}
