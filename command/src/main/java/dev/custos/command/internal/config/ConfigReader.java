package dev.custos.command.internal.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custos.command.AlertsConfig;
import dev.custos.command.CommandConfig;
import dev.custos.command.internal.api.Jwks;
import dev.custos.engine.config.ConfigDocument;
import dev.custos.engine.config.ConfigException;
import dev.custos.engine.config.ConfigProblem;
import dev.custos.engine.config.Durations;
import dev.custos.engine.config.SchemaValidator;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.jspecify.annotations.Nullable;

/**
 * Reads {@code command.yaml}: YAML with positions, the schema, then what the schema cannot check
 * (files). Every problem carries file:line:column. Thread-safe (stateless).
 */
public final class ConfigReader {
  /** Where the schema lives on the classpath. */
  public static final String SCHEMA_RESOURCE = "dev/custos/command/command.schema.json";
  /** The SQLite file used when the configuration names no database. */
  public static final String DEFAULT_SQLITE_FILE = "custos-command.db";

  private static final int MAX_FILE_BYTES = 1 << 20;
  private static final int MAX_TOKEN_BYTES = 4096;
  private static final SchemaValidator SCHEMA = SchemaValidator.of(
      SchemaValidator.readSchemaJson(ConfigReader.class.getClassLoader(), SCHEMA_RESOURCE),
      Pattern.compile("^$"));

  private ConfigReader() {}

  /** Reads and validates a configuration file. */
  public static CommandConfig load(Path file) {
    String name = file.toString();
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw new ConfigException(name, List.of(new ConfigProblem(0, 0,
          "no such file (expected: a readable configuration file)")));
    } catch (IOException e) {
      throw new ConfigException(name, List.of(new ConfigProblem(0, 0,
          "cannot read: " + e.getClass().getSimpleName() + " (expected: a readable file)")));
    }
    if (bytes.length > MAX_FILE_BYTES) {
      throw new ConfigException(name, List.of(new ConfigProblem(0, 0, "larger than "
          + MAX_FILE_BYTES + " bytes (expected: a configuration file of at most "
          + MAX_FILE_BYTES + " bytes)")));
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new ConfigException(name, List.of(new ConfigProblem(0, 0,
          "not UTF-8 text (expected: a UTF-8 YAML file)")));
    }
    Path abs = file.toAbsolutePath();
    return parse(text, name, abs.getParent() == null ? abs : abs.getParent());
  }

  /** Parses configuration text; relative paths are resolved against {@code baseDir}. */
  public static CommandConfig parse(String yaml, String sourceName, Path baseDir) {
    String text = yaml.startsWith("\uFEFF") ? yaml.substring(1) : yaml;
    ConfigDocument doc = ConfigDocument.parse(text, sourceName, "config", MAX_FILE_BYTES);
    if (doc == null) {
      throw new ConfigException(sourceName, List.of(new ConfigProblem(1, 1,
          "empty configuration (expected: a mapping with listen and tokens)")));
    }
    List<ConfigProblem> problems = SCHEMA.validate(doc);
    if (!problems.isEmpty()) {
      throw new ConfigException(sourceName, problems);
    }
    return new Binder(doc, baseDir.toAbsolutePath()).bind();
  }

  /** Binds a schema-valid document to the configuration, reading the files it names. */
  private static final class Binder {
    private final ConfigDocument doc;
    private final Path baseDir;
    private final List<ConfigProblem> problems = new ArrayList<>();

    Binder(ConfigDocument doc, Path baseDir) {
      this.doc = doc;
      this.baseDir = baseDir;
    }

    CommandConfig bind() {
      JsonNode root = doc.root();
      String listen = root.get("listen").asText();
      int colon = listen.lastIndexOf(':');
      String host = listen.substring(0, colon);
      if (host.startsWith("[")) {
        host = host.substring(1, host.length() - 1);
      }
      int port = Integer.parseInt(listen.substring(colon + 1));
      if (port > 65535) {
        problem("/listen", "listen: port " + port + " (expected: 0 to 65535)");
      }
      CommandConfig.Database database = database(root.path("database"));
      List<CommandConfig.Token> tokens = tokens(root.path("tokens"), "/tokens");
      List<CommandConfig.ApiToken> apiTokens = apiTokens(root.path("api_tokens"));
      CommandConfig.Oidc oidc = root.has("oidc") ? oidc(root.get("oidc")) : null;
      JsonNode r = root.path("retention");
      CommandConfig.Retention d = CommandConfig.Retention.DEFAULT;
      CommandConfig.Retention retention = new CommandConfig.Retention(
          duration(r, "raw_events", "/retention/raw_events", d.rawEvents()),
          duration(r, "minute_rollups", "/retention/minute_rollups", d.minuteRollups()),
          duration(r, "hour_rollups", "/retention/hour_rollups", d.hourRollups()),
          duration(r, "interval", "/retention/interval", d.interval()));
      JsonNode i = root.path("ingest");
      CommandConfig.Ingest ingest = new CommandConfig.Ingest(
          i.path("queue").asInt(CommandConfig.Ingest.DEFAULT.queue()),
          i.path("workers").asInt(CommandConfig.Ingest.DEFAULT.workers()));
      AlertsConfig alerts = AlertsBinder.bind(doc, baseDir, retention, problems);
      CommandConfig.Tls tls = tls(root);
      if (tokens.isEmpty() && (tls == null || tls.clientCerts().isEmpty())
          && !root.has("tokens")) {
        problem("", "missing key 'tokens' (expected: the proxies' tokens, or client_certs with"
            + " tls.client_ca_file)");
      }
      if (!problems.isEmpty()) {
        throw new ConfigException(doc.sourceName(), problems);
      }
      return new CommandConfig(host, Math.min(port, 65535), database, tokens, apiTokens,
          retention, ingest, oidc, alerts, tls);
    }

    private CommandConfig.@Nullable Tls tls(JsonNode root) {
      JsonNode certs = root.path("client_certs");
      List<CommandConfig.ClientCert> clientCerts = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (int i = 0; i < certs.size(); i++) {
        JsonNode c = certs.get(i);
        String name = c.get("name").asText();
        if (names.contains(name)) {
          problem("/client_certs/" + i + "/name", path("/client_certs/" + i + "/name")
              + ": duplicate name '" + name + "' (expected: a name used once)");
        }
        names.add(name);
        if (c.has("subject")) {
          try {
            new X500Principal(c.get("subject").asText());
          } catch (IllegalArgumentException e) {
            problem("/client_certs/" + i + "/subject", path("/client_certs/" + i + "/subject")
                + ": not a distinguished name (expected: RFC 4514, such as CN=gw-1,O=Acme)");
          }
        }
        clientCerts.add(new CommandConfig.ClientCert(name,
            c.has("subject") ? c.get("subject").asText() : null,
            c.has("spiffe_id") ? c.get("spiffe_id").asText() : null));
      }
      if (!root.has("tls")) {
        if (!clientCerts.isEmpty()) {
          problem("/client_certs", "client_certs: set without tls (expected: tls with"
              + " client_ca_file)");
        }
        return null;
      }
      JsonNode t = root.get("tls");
      Path cert = file("/tls/cert_file", t.get("cert_file").asText());
      Path key = file("/tls/key_file", t.get("key_file").asText());
      Path ca = t.has("client_ca_file") ? file("/tls/client_ca_file",
          t.get("client_ca_file").asText()) : null;
      if (t.has("client_auth") && !t.has("client_ca_file")) {
        problem("/tls/client_auth", "tls.client_auth: set without client_ca_file (expected:"
            + " client_ca_file, the CA client certificates chain to)");
        return null;
      }
      if (!clientCerts.isEmpty() && !t.has("client_ca_file")) {
        problem("/client_certs", "client_certs: set without tls.client_ca_file (expected: the"
            + " CA their certificates chain to)");
        return null;
      }
      if (cert == null || key == null || (t.has("client_ca_file") && ca == null)) {
        return null;
      }
      CommandConfig.Tls.ClientAuth auth = ca == null ? CommandConfig.Tls.ClientAuth.NONE
          : t.path("client_auth").asText("optional").equals("require")
              ? CommandConfig.Tls.ClientAuth.REQUIRE : CommandConfig.Tls.ClientAuth.OPTIONAL;
      return new CommandConfig.Tls(cert, key, ca, auth, clientCerts);
    }

    private CommandConfig.Database database(JsonNode db) {
      String url = db.path("url").asText("");
      if (url.isEmpty()) {
        return CommandConfig.Database.sqlite(baseDir.resolve(DEFAULT_SQLITE_FILE));
      }
      if (url.startsWith("jdbc:sqlite:")) {
        String file = url.substring("jdbc:sqlite:".length());
        if (!file.startsWith(":memory:") && !file.startsWith("file:")) {
          url = "jdbc:sqlite:" + baseDir.resolve(file).normalize();
        }
        return new CommandConfig.Database(url, null, null, null, 1);
      }
      Path password = db.has("password_file")
          ? file("/database/password_file", db.get("password_file").asText()) : null;
      return new CommandConfig.Database(url, db.has("user") ? db.get("user").asText() : null,
          password, db.has("schema") ? db.get("schema").asText() : null,
          db.path("pool_size").asInt(8));
    }

    private List<CommandConfig.Token> tokens(JsonNode list, String pointer) {
      List<CommandConfig.Token> tokens = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        JsonNode t = list.get(i);
        String at = pointer + "/" + i;
        String name = t.get("name").asText();
        if (names.contains(name)) {
          problem(at + "/name", doc.displayPath(doc.entry(at + "/name").path())
              + ": duplicate name '" + name + "' (expected: a name used once)");
        }
        names.add(name);
        @Nullable String digest;
        if (t.has("sha256")) {
          digest = t.get("sha256").asText().toLowerCase(Locale.ROOT);
        } else {
          Path file = file(at + "/file", t.get("file").asText());
          digest = file == null ? null : tokenDigest(at + "/file", file);
        }
        if (digest != null) {
          tokens.add(new CommandConfig.Token(name, digest));
        }
      }
      return List.copyOf(tokens);
    }

    private List<CommandConfig.ApiToken> apiTokens(JsonNode list) {
      List<CommandConfig.Token> tokens = tokens(list, "/api_tokens");
      List<CommandConfig.ApiToken> out = new ArrayList<>();
      for (CommandConfig.Token t : tokens) {
        JsonNode entry = null;
        for (JsonNode n : list) {
          if (n.get("name").asText().equals(t.name())) {
            entry = n;
            break;
          }
        }
        boolean admin = entry != null && "admin".equals(entry.path("role").asText("read"));
        out.add(new CommandConfig.ApiToken(t.name(), t.sha256(),
            admin ? CommandConfig.ApiRole.ADMIN : CommandConfig.ApiRole.READ));
      }
      return List.copyOf(out);
    }

    private CommandConfig.@Nullable Oidc oidc(JsonNode o) {
      List<String> audiences = strings(o.get("audience"));
      Path jwksFile = null;
      URI jwksUrl = null;
      if (o.has("jwks_file")) {
        jwksFile = file("/oidc/jwks_file", o.get("jwks_file").asText());
        if (jwksFile == null) {
          return null;
        }
        String trouble = Jwks.check(jwksFile);
        if (trouble != null) {
          problem("/oidc/jwks_file", path("/oidc/jwks_file") + ": " + trouble);
          return null;
        }
      } else {
        try {
          jwksUrl = new URI(o.get("jwks_url").asText());
          jwksUrl.toURL();
        } catch (URISyntaxException | java.net.MalformedURLException
            | IllegalArgumentException e) {
          problem("/oidc/jwks_url", path("/oidc/jwks_url")
              + ": not a URL (expected: http or https URL of a JWK set)");
          return null;
        }
      }
      Duration cache = duration(o, "jwks_cache", "/oidc/jwks_cache", Duration.ofMinutes(5));
      if (cache.compareTo(CommandConfig.Oidc.MIN_JWKS_CACHE) < 0) {
        problem("/oidc/jwks_cache", path("/oidc/jwks_cache") + ": shorter than 1m (expected: at"
            + " least 1m; keys are also fetched again early for an unknown key id)");
        return null;
      }
      Duration skew = o.has("clock_skew") ? Durations.parse(o.get("clock_skew").asText())
          : Duration.ofSeconds(60);
      if (skew.compareTo(CommandConfig.Oidc.MAX_CLOCK_SKEW) > 0) {
        problem("/oidc/clock_skew", path("/oidc/clock_skew") + ": longer than 5m (expected: at"
            + " most 5m; a longer skew accepts tokens long after they expired)");
        return null;
      }
      return new CommandConfig.Oidc(o.get("issuer").asText(), audiences, jwksFile, jwksUrl,
          cache,
          o.path("roles_claim").asText("roles"), o.path("name_claim").asText("sub"),
          o.has("admin_roles") ? strings(o.get("admin_roles")) : List.of("custos-admin"),
          o.has("read_roles") ? strings(o.get("read_roles")) : List.of("custos-read"),
          skew,
          o.has("algorithms") ? strings(o.get("algorithms"))
              : CommandConfig.Oidc.ASYMMETRIC_ALGORITHMS);
    }

    private static List<String> strings(JsonNode n) {
      List<String> out = new ArrayList<>();
      if (n.isArray()) {
        n.forEach(e -> out.add(e.asText()));
      } else {
        out.add(n.asText());
      }
      return List.copyOf(out);
    }

    /** Returns the SHA-256 of the trimmed token in {@code file}, or null with a problem. */
    private @Nullable String tokenDigest(String pointer, Path file) {
      byte[] bytes;
      try (InputStream in = Files.newInputStream(file)) {
        bytes = in.readNBytes(MAX_TOKEN_BYTES + 1);
      } catch (IOException e) {
        problem(pointer, path(pointer) + ": cannot read the token file: "
            + e.getClass().getSimpleName() + " (expected: a readable file)");
        return null;
      }
      try {
        String token = new String(bytes, StandardCharsets.UTF_8).trim();
        if (bytes.length > MAX_TOKEN_BYTES || token.isEmpty()) {
          problem(pointer, path(pointer) + ": the token file is empty or longer than "
              + MAX_TOKEN_BYTES + " bytes (expected: one token)");
          return null;
        }
        return HexFormat.of().formatHex(sha256(token.getBytes(StandardCharsets.UTF_8)));
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }

    private @Nullable Path file(String pointer, String name) {
      Path p = baseDir.resolve(name).normalize();
      if (!Files.isRegularFile(p)) {
        problem(pointer, path(pointer) + ": no such file " + name
            + " (expected: a readable file, relative to the configuration file)");
        return null;
      }
      return p;
    }

    private Duration duration(JsonNode parent, String key, String pointer, Duration dflt) {
      JsonNode n = parent.get(key);
      if (n == null) {
        return dflt;
      }
      Duration d = Durations.parse(n.asText());
      if (d.isZero()) {
        problem(pointer, path(pointer) + ": 0 (expected: more than 0)");
        return dflt;
      }
      return d;
    }

    private String path(String pointer) {
      return doc.displayPath(doc.entry(pointer).path());
    }

    private void problem(String pointer, String text) {
      ConfigDocument.Entry e = doc.entry(pointer);
      problems.add(new ConfigProblem(e.line(), e.column(), text));
    }
  }

  /** Returns the SHA-256 digest of {@code bytes}. */
  public static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
