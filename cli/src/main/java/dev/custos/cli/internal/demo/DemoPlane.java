package dev.custos.cli.internal.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpStatus;
import dev.custos.command.CommandConfig;
import dev.custos.command.CommandPlane;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The demo's command plane: SQLite in a temporary folder (deleted when the demo ends), one
 * generated token for the demo proxy and one generated admin API token for the dashboard, both
 * configured by their SHA-256 only and never written anywhere but the proxy's token file in that
 * folder. Not thread-safe: one thread starts it, reads it and closes it.
 */
public final class DemoPlane implements AutoCloseable {
  /** The name of the demo proxy's token, as the plane records it. */
  public static final String PROXY_TOKEN_NAME = "demo-proxy";
  /** The proxy id the demo proxy sends. */
  public static final String PROXY_ID = "demo-gateway";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final CommandPlane plane;
  private final String apiToken;
  private final WebClient api;

  private DemoPlane(Path dir, CommandPlane plane, String apiToken) {
    this.dir = dir;
    this.plane = plane;
    this.apiToken = apiToken;
    this.api = WebClient.builder(url())
        .addHeader(HttpHeaderNames.AUTHORIZATION, "Bearer " + apiToken)
        .responseTimeout(Duration.ofSeconds(10))
        .build();
  }

  /**
   * Starts a command plane on {@code port} of {@link Demo#HOST} (0 picks one) with its database
   * in a new temporary folder.
   *
   * @throws IllegalStateException if the port is taken or the plane cannot start
   */
  public static DemoPlane start(int port) {
    Path dir;
    try {
      dir = Files.createTempDirectory("custos-demo-");
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a temporary folder for the command plane's"
          + " database (expected: a writable java.io.tmpdir)", e);
    }
    try {
      String proxyToken = token();
      String apiToken = token();
      Files.writeString(dir.resolve("proxy.token"), proxyToken, StandardCharsets.UTF_8);
      CommandConfig config = CommandConfig.parse("""
          listen: %s:%d
          database:
            url: jdbc:sqlite:%s
          tokens:
            - { name: %s, sha256: %s }
          api_tokens:
            - { name: demo-admin, sha256: %s, role: admin }
          """.formatted(Demo.HOST, port, dir.resolve("custos-command.db").toAbsolutePath(),
          PROXY_TOKEN_NAME, sha256(proxyToken), sha256(apiToken)), "custos demo", dir);
      CommandPlane plane = CommandPlane.builder(config).build();
      plane.start();
      return new DemoPlane(dir, plane, apiToken);
    } catch (IOException e) {
      delete(dir);
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      delete(dir);
      throw e;
    }
  }

  /** Returns the proxy configuration's {@code command:} section that sends to this plane. */
  String proxyCommandYaml() {
    return "command:\n"
        + "  url: " + url() + "\n"
        + "  token_file: \"" + dir.resolve("proxy.token").toAbsolutePath() + "\"\n"
        + "  spool_dir: \"" + dir.resolve("spool").toAbsolutePath() + "\"\n"
        + "  proxy_id: " + PROXY_ID + "\n"
        + "  linger: 50ms\n"
        + "  shutdown_timeout: 2s\n";
  }

  /** Returns the plane's base URL. */
  public String url() {
    return "http://" + Demo.HOST + ":" + plane.activePort();
  }

  /** Returns the dashboard's URL; it asks for the API token ({@link #apiToken}) once. */
  public String dashboardUrl() {
    return url() + "/";
  }

  /** Returns the generated admin API token. */
  public String apiToken() {
    return apiToken;
  }

  /** Returns the folder holding the database (deleted at close). */
  public Path folder() {
    return dir;
  }

  /** Returns how many findings events the plane has stored. */
  public long storedEvents() {
    Counter c = plane.meterRegistry().find("custos_command_ingest_events").counter();
    return c == null ? 0 : (long) c.count();
  }

  /**
   * Waits until the plane has stored at least {@code events} findings events.
   *
   * @throws TimeoutException if it has not within {@code timeout}
   */
  public void awaitStored(long events, Duration timeout)
      throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (storedEvents() < events) {
      if (System.nanoTime() - deadline > 0) {
        throw new TimeoutException("the command plane stored " + storedEvents() + " of "
            + events + " findings events within " + timeout.toSeconds() + " s");
      }
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  /**
   * Returns a one-line summary of what the plane holds, read from its API: flows (edges of the
   * flow model over the last day), categories, routes and services; with the lineage of {@code
   * hash} (a value's evidence hash) when given.
   */
  public String summary(@org.jspecify.annotations.Nullable String lineageHash) {
    JsonNode flows = get("/api/v1/flows?limit=1000").get("flows");
    TreeSet<String> categories = new TreeSet<>();
    TreeSet<String> routes = new TreeSet<>();
    TreeSet<String> services = new TreeSet<>();
    for (JsonNode f : flows) {
      categories.add(f.get("category").asText());
      routes.add(f.get("route").asText());
      if (f.hasNonNull("service")) {
        services.add(f.get("service").asText());
      }
    }
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "%d events, %d flows; categories %s; routes %s; services %s", storedEvents(),
        flows.size(), String.join(", ", categories), String.join(", ", routes),
        String.join(", ", services)));
    if (lineageHash != null && !lineageHash.isEmpty()) {
      JsonNode path = get("/api/v1/lineage/" + lineageHash).get("path");
      TreeSet<String> seen = new TreeSet<>();
      String preview = "";
      for (JsonNode p : path) {
        seen.add(p.get("route").asText() + " " + p.get("direction").asText());
        if (p.hasNonNull("preview")) {
          preview = p.get("preview").asText();
        }
      }
      s.append("; one card").append(preview.isEmpty() ? "" : " (" + preview + ")")
          .append(" seen at ").append(String.join(", ", seen));
    }
    return s.toString();
  }

  private JsonNode get(String path) {
    AggregatedHttpResponse r = api.get(path).aggregate().join();
    if (r.status() != HttpStatus.OK) {
      throw new IllegalStateException("command plane: GET " + path.replaceAll("/[0-9a-f]{16,}",
          "/HASH") + " answered " + r.status().code() + " (expected: 200)");
    }
    try {
      return JSON.readTree(r.contentUtf8());
    } catch (IOException e) {
      throw new IllegalStateException("command plane: GET " + path + " answered no JSON", e);
    }
  }

  /** Stops the plane and deletes its folder. */
  @Override
  public void close() {
    try {
      plane.stop();
    } finally {
      delete(dir);
    }
  }

  private static String token() {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return "cdm_" + HexFormat.of().formatHex(b);
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // A file left in the temporary folder is harmless; the demo must still end.
    }
  }
}
