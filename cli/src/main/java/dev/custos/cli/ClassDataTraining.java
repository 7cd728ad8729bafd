package dev.custos.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The training run of the {@code ./custos} launcher's class-data archive (AppCDS): run with
 * {@code -XX:ArchiveClassesAtExit}, it goes through the start-up paths of {@code scan} (both
 * backends, text and JSON), {@code detectors}, {@code proxy} (a configuration file, start until
 * {@code /readyz}, stop) and {@code demo --once} (requests through the proxy), so that the archive
 * the JVM writes at exit holds the classes those commands load. Everything listens on 127.0.0.1
 * port 0 and is stopped before it returns; its output is discarded.
 *
 * <p>Exit code 0 when every step ran, 1 otherwise, naming the steps on stderr (the archive is
 * still usable: it then holds fewer classes).
 */
public final class ClassDataTraining {
  private static final Pattern ADMIN = Pattern.compile("admin on http://[^:]+:(\\d+)");

  private ClassDataTraining() {}

  /** Runs the training steps; see the class comment. */
  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("custos-training");
    List<String> failed;
    try {
      failed = run(dir);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    if (!failed.isEmpty()) {
      System.err.println("custos training: steps that failed: " + String.join("; ", failed));
    }
    System.exit(failed.isEmpty() ? 0 : 1);
  }

  /** Runs every step with its files in {@code dir}; returns those that failed, with why. */
  static List<String> run(Path dir) throws Exception {
    Path text = dir.resolve("sample.txt");
    Files.writeString(text, "Contact jane.doe@example.com, +1 415 555 0134.\n"
        + "card 4111 1111 1111 1111 ssn 123-45-6789 ip 10.20.30.40\n"
        + "aws_secret_access_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\"\n"
        + "token ghp_1234567890abcdefghijABCDEFGHIJ123456\n", StandardCharsets.UTF_8);
    Path json = dir.resolve("sample.json");
    Files.writeString(json, "{\"user\": {\"email\": \"jane.doe@example.com\", "
        + "\"card\": \"4111-1111-1111-1111\", \"password\": \"hunter2-Xq8vLm3Rt\"}}",
        StandardCharsets.UTF_8);
    List<String> failed = new ArrayList<>();
    quiet(failed, "scan", text.toString());
    quiet(failed, "scan", "--engine", "java", text.toString());
    quiet(failed, "scan", "--format", "jsonl", json.toString());
    quiet(failed, "scan", "--engine", "java", "--format", "sarif", json.toString());
    quiet(failed, "scan", "--redact", "mask", json.toString());
    quiet(failed, "detectors");
    if (!proxy(dir)) {
      failed.add("proxy: not ready");
    }
    quiet(failed, "demo", "--once", "--port", "0", "--admin-port", "0");
    return failed;
  }

  /** Runs a command with its output discarded; adds it to {@code failed} unless it ran. */
  private static void quiet(List<String> failed, String... args) {
    PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, InputStream.nullInputStream(), sink,
        new PrintStream(err, true, StandardCharsets.UTF_8));
    // Exit code 1 means findings: the command ran.
    if (code != Main.OK && code != Main.FOUND) {
      failed.add(String.join(" ", args) + ": exit code " + code + ": "
          + err.toString(StandardCharsets.UTF_8).strip());
    }
  }

  /** Starts {@code custos proxy} from a configuration file, waits for /readyz, stops it. */
  private static boolean proxy(Path dir) throws Exception {
    Files.writeString(dir.resolve("custos.yaml"), String.join("\n",
        "listen: 127.0.0.1:0",
        "admin: 127.0.0.1:0",
        "drain_timeout: 0s",
        "shutdown_timeout: 1s",
        "routes:",
        "  - match: { prefix: / }",
        "    cluster: backend",
        "clusters:",
        "  backend:",
        "    endpoints: [127.0.0.1:9]",
        ""), StandardCharsets.UTF_8);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    ProxyCommand command = new ProxyCommand(new Io(InputStream.nullInputStream(), out, sink));
    command.config = dir.resolve("custos.yaml");
    Thread thread = new Thread(() -> {
      try {
        command.call();
      } catch (Exception e) {
        // The training is best effort: a proxy that does not start adds fewer classes.
      }
    }, "custos-training-proxy");
    thread.setDaemon(true);
    thread.start();
    boolean ready = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!ready && thread.isAlive() && System.nanoTime() < deadline) {
      Matcher m = ADMIN.matcher(bytes.toString(StandardCharsets.UTF_8));
      if (m.find()) {
        ready = get("http://127.0.0.1:" + m.group(1) + "/readyz") == 200;
      }
      if (!ready) {
        Thread.sleep(20);
      }
    }
    command.stop.countDown();
    thread.join(TimeUnit.SECONDS.toMillis(30));
    return ready;
  }

  private static int get(String url) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
      c.setConnectTimeout(2000);
      c.setReadTimeout(5000);
      try {
        return c.getResponseCode();
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return -1;
    }
  }
}
