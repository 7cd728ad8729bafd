package dev.custos.engine.internal.policy;

import com.fasterxml.jackson.databind.JsonNode;
import static java.util.Objects.requireNonNull;

import dev.custos.engine.Action;
import dev.custos.engine.Confidence;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.Direction;
import dev.custos.engine.IdentitySource;
import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.Policy;
import dev.custos.engine.PolicyException;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.Allowlist;
import dev.custos.engine.DetectorOverride;
import dev.custos.engine.Rule;
import dev.custos.engine.config.Durations;
import dev.custos.engine.internal.detect.BuiltinDetectors;
import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.PatternException;
import dev.custos.engine.internal.pattern.PatternParser;
import dev.custos.engine.internal.validate.Validators;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Parses policy YAML, validated against {@code policy.schema.json}, into a {@link Policy}.
 *
 * <p>Reading goes in three steps, each reporting every problem it finds with its line and column:
 * YAML (syntax, duplicate keys, one document, no anchors or aliases), the JSON Schema (shape,
 * types, unknown keys), then meaning (patterns parse, validators and disabled ids exist, detector
 * ids are unique). A {@code wasm} detector's relative module path is resolved against the policy
 * file's folder (parsed from text, it stays as written); the module itself is not read here. The
 * {@link PolicyException} points at the first problem by position and lists
 * all of them, one per line. Messages never echo the values of {@code exclude}. Thread-safe.
 */
public final class PolicyParser {
  /** The largest policy accepted, in bytes (and in characters for text). */
  static final int MAX_BYTES = 4 * 1024 * 1024;

  private static final int MAX_REPORTED = 50;

  private PolicyParser() {}

  /**
   * Reads and parses a UTF-8 policy file of at most 4 MiB; the path as given names it in messages.
   *
   * @throws PolicyException if the file cannot be read or the policy is not valid
   */
  public static Policy parse(Path file) {
    String source = file.toString();
    byte[] bytes;
    try {
      if (Files.isDirectory(file)) {
        throw new PolicyException(source, 0, 0, "a directory (expected: a policy file)");
      }
      try (InputStream in = Files.newInputStream(file)) {
        bytes = in.readNBytes(MAX_BYTES + 1);
      }
    } catch (NoSuchFileException e) {
      throw new PolicyException(source, "no such file (expected: a readable policy file)", e);
    } catch (AccessDeniedException e) {
      throw new PolicyException(source, "permission denied (expected: a readable policy file)", e);
    } catch (IOException e) {
      throw new PolicyException(
          source, "cannot read: " + e.getClass().getSimpleName()
              + " (expected: a readable policy file)", e);
    }
    if (bytes.length > MAX_BYTES) {
      throw new PolicyException(source, 0, 0,
          "larger than " + MAX_BYTES + " bytes (expected: a policy of at most 4 MiB)");
    }
    return parse(decodeUtf8(bytes, source), source, file.getParent());
  }

  /**
   * Parses policy text.
   *
   * @param sourceName the name used in error messages, such as a file name
   * @throws PolicyException if the policy is not valid
   */
  public static Policy parse(String yaml, String sourceName) {
    return parse(yaml, sourceName, null);
  }

  /**
   * Parses policy text, resolving relative module paths of plugin detectors against {@code
   * baseDirectory} when given.
   */
  private static Policy parse(String yaml, String sourceName, @Nullable Path baseDirectory) {
    if (yaml.length() > MAX_BYTES) {
      throw new PolicyException(sourceName, 0, 0,
          "longer than " + MAX_BYTES + " characters (expected: a policy of at most 4 MiB)");
    }
    String text = yaml.startsWith("\uFEFF") ? yaml.substring(1) : yaml;
    try {
      YamlDocument doc = YamlDocument.parse(text, sourceName, MAX_BYTES + 1);
      if (doc == null) {
        throw new PolicyException(
            sourceName, 1, 1, "empty policy (expected: a mapping with version: 1)");
      }
      List<Problem> problems = PolicySchema.get().validate(doc);
      if (!problems.isEmpty()) {
        throw new ProblemsException(problems);
      }
      return new Reader(doc, sourceName, baseDirectory).read();
    } catch (ProblemsException e) {
      throw report(sourceName, e.problems());
    }
  }

  /** Returns one exception at the first problem by position, listing all problems. */
  private static PolicyException report(String source, List<Problem> problems) {
    List<Problem> sorted = new ArrayList<>(problems);
    sorted.sort(Problem.BY_POSITION);
    Problem first = sorted.get(0);
    StringBuilder text = new StringBuilder(first.text());
    int shown = Math.min(sorted.size(), MAX_REPORTED);
    for (int i = 1; i < shown; i++) {
      Problem p = sorted.get(i);
      text.append('\n').append(source);
      if (p.line() > 0) {
        text.append(':').append(p.line()).append(':').append(p.column());
      }
      text.append(": ").append(p.text());
    }
    if (sorted.size() > shown) {
      text.append('\n').append(source).append(": ").append(sorted.size() - shown)
          .append(" more problems");
    }
    return new PolicyException(source, first.line(), first.column(), text.toString());
  }

  /** Decodes strict UTF-8, reporting the line and column of the first bad byte. */
  private static String decodeUtf8(byte[] bytes, String source) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    out.flip();
    if (result.isError()) {
      int line = 1;
      int column = 1;
      for (int i = 0; i < out.length(); i++) {
        if (out.charAt(i) == '\n') {
          line++;
          column = 1;
        } else if (!Character.isLowSurrogate(out.charAt(i))) {
          column++;
        }
      }
      throw new PolicyException(source, line, column,
          "a byte sequence that is not UTF-8 (expected: a UTF-8 text file)");
    }
    return out.toString();
  }

  /** Builds the policy from a schema-valid document, checking what the schema cannot. */
  private static final class Reader {
    private final YamlDocument doc;
    private final String source;
    private final @Nullable Path baseDirectory;
    private final List<Problem> problems = new ArrayList<>();
    private final Map<String, Node> detectorIds = new HashMap<>();
    private final Map<String, Node> ruleNames = new HashMap<>();

    Reader(YamlDocument doc, String source, @Nullable Path baseDirectory) {
      this.doc = doc;
      this.source = source;
      this.baseDirectory = baseDirectory;
    }

    Policy read() {
      Policy.Builder builder = Policy.builder().sourceName(source);
      JsonNode root = doc.root();
      Iterator<Map.Entry<String, JsonNode>> categories = root.path("categories").properties().iterator();
      while (categories.hasNext()) {
        Map.Entry<String, JsonNode> c = categories.next();
        String pointer = "/categories/" + YamlDocument.escape(c.getKey()) + "/detectors";
        JsonNode detectors = c.getValue().path("detectors");
        for (int i = 0; i < detectors.size(); i++) {
          if (detectors.get(i).has("wasm")) {
            PluginDetectorDefinition d =
                pluginDetector(c.getKey(), i, detectors.get(i), pointer + "/" + i);
            if (d != null) {
              builder.pluginDetector(d);
            }
            continue;
          }
          DetectorDefinition d = detector(c.getKey(), i, detectors.get(i), pointer + "/" + i);
          if (d != null) {
            builder.detector(d);
          }
        }
      }
      JsonNode disable = root.path("disable");
      Set<String> builtinCategories = new TreeSet<>();
      for (DetectorDefinition d : BuiltinDetectors.all()) {
        builtinCategories.add(d.category());
      }
      for (int i = 0; i < disable.size(); i++) {
        String name = disable.get(i).asText();
        if (!builtinCategories.contains(name) && BuiltinDetectors.byId(name) == null) {
          add("/disable/" + i, "disable[" + i + "]: '" + name
              + "' (expected: a built-in category (" + String.join(", ", builtinCategories)
              + ") or built-in detector id)");
        }
        builder.disable(name);
      }
      Set<String> customCategories = new TreeSet<>();
      root.path("categories").fieldNames().forEachRemaining(customCategories::add);
      for (JsonNode category : root.path("categories")) {
        for (JsonNode d : category.path("detectors")) {
          customCategories.addAll(strings(d.path("categories")));
        }
      }
      customCategories.removeAll(builtinCategories);
      JsonNode rules = root.path("rules");
      for (int i = 0; i < rules.size(); i++) {
        Rule rule = rule("/rules/" + i, rules.get(i), builtinCategories, customCategories);
        if (rule != null) {
          builder.rule(rule);
        }
      }
      JsonNode identity = root.path("identity");
      for (int i = 0; i < identity.size(); i++) {
        IdentitySource source = identitySource("/identity/" + i, identity.get(i));
        if (source != null) {
          builder.identitySource(source);
        }
      }
      if (root.has("enforce")) {
        builder.enforce(root.get("enforce").asBoolean());
      }
      if (root.has("allowlist")) {
        Allowlist allowlist = allowlist("/allowlist", root.get("allowlist"), "");
        if (allowlist != null) {
          builder.allowlist(allowlist);
        }
      }
      Iterator<Map.Entry<String, JsonNode>> overrides = root.path("overrides").properties().iterator();
      while (overrides.hasNext()) {
        Map.Entry<String, JsonNode> o = overrides.next();
        String pointer = "/overrides/" + YamlDocument.escape(o.getKey());
        String id = o.getKey();
        if (BuiltinDetectors.byId(id) == null && !detectorIds.containsKey(id)) {
          addAtKey(pointer, "overrides." + id + ": unknown detector id '" + id
              + "' (expected: a built-in detector id, as custos detectors lists, or a custom one)");
          continue;
        }
        DetectorOverride.Builder ob = DetectorOverride.builder();
        JsonNode v = o.getValue();
        if (v.has("keywords")) {
          ob.keywords(strings(v.get("keywords")));
        }
        if (v.has("context")) {
          ob.context(strings(v.get("context")));
        }
        if (v.has("confidence")) {
          ob.confidence(Confidence.ofId(v.get("confidence").asText()));
        }
        if (v.has("disable")) {
          ob.disabled(v.get("disable").asBoolean());
        }
        builder.override(id, ob.build());
      }
      if (root.has("on_uninspectable")) {
        builder.onUninspectable(Policy.OnUninspectable.valueOf(
            root.get("on_uninspectable").asText().toUpperCase(Locale.ROOT)));
      }
      if (!problems.isEmpty()) {
        throw new ProblemsException(problems);
      }
      try {
        return builder.build();
      } catch (IllegalArgumentException e) {
        String pointer = doc.has("/disable") ? "/disable" : "";
        add(pointer, e.getMessage());
        throw new ProblemsException(problems);
      }
    }

    /** Returns a detector's id, its default or as given, adding a problem when it is taken. */
    private String detectorId(String category, int index, JsonNode d, String pointer) {
      String id = d.has("id") ? d.get("id").asText() : category + "." + (index + 1);
      String idPointer = d.has("id") ? pointer + "/id" : pointer;
      Node idNode = doc.entry(idPointer).node();
      Node first = detectorIds.putIfAbsent(id, idNode);
      if (first != null) {
        add(idPointer, "detector id '" + id + "' used twice (expected: unique ids; first at line "
            + YamlDocument.line(first) + ", column " + YamlDocument.column(first) + ")");
      } else if (BuiltinDetectors.byId(id) != null) {
        add(idPointer, "detector id '" + id
            + "' is a built-in detector id (expected: a unique id)");
      }
      return id;
    }

    /** Reads a {@code wasm} detector, or returns {@code null} after adding its problems. */
    private @Nullable PluginDetectorDefinition pluginDetector(
        String category, int index, JsonNode d, String pointer) {
      int problemsBefore = problems.size();
      String id = detectorId(category, index, d, pointer);
      String path = doc.entry(pointer).path();
      String location = d.get("wasm").asText();
      Path module = null;
      try {
        module = baseDirectory == null ? Path.of(location) : baseDirectory.resolve(location);
      } catch (InvalidPathException e) {
        add(pointer + "/wasm", path + ".wasm: not a valid file path (expected: a path to a"
            + " .wasm file, relative to the policy file's folder)");
      }
      int maxLength = d.path("max_length").asInt(PluginDetectorDefinition.DEFAULT_MAX_LENGTH);
      int maxWindow = d.path("max_window").asInt(PluginDetectorDefinition.DEFAULT_MAX_WINDOW);
      if (maxWindow < 2 * maxLength) {
        String p = d.has("max_window") ? pointer + "/max_window" : pointer + "/max_length";
        add(p, path + ".max_window: " + maxWindow + " (expected: at least twice max_length, "
            + 2 * maxLength + ")");
      }
      if (problems.size() > problemsBefore || module == null) {
        return null;
      }
      try {
        PluginDetectorDefinition.Builder b = PluginDetectorDefinition.builder(id, category, module)
            .location(location)
            .description(doc.root().path("categories").path(category).path("description")
                .asText(""))
            .categories(strings(d.path("categories")))
            .maxLength(maxLength)
            .maxWindow(maxWindow);
        if (d.has("sha256")) {
          b.sha256(d.get("sha256").asText());
        }
        if (d.has("timeout_ms")) {
          b.timeoutMillis(d.get("timeout_ms").asInt());
        }
        if (d.has("on_error")) {
          b.onError(PluginDetectorDefinition.OnError.valueOf(
              d.get("on_error").asText().toUpperCase(Locale.ROOT)));
        }
        if (d.has("confidence")) {
          b.confidence(Confidence.ofId(d.get("confidence").asText()));
        }
        if (d.has("min_confidence")) {
          b.minConfidence(Confidence.ofId(d.get("min_confidence").asText()));
        }
        if (d.has("normalize")) {
          b.normalization(DetectorDefinition.Normalization.valueOf(
              d.get("normalize").asText().toUpperCase(Locale.ROOT)));
        }
        return b.build();
      } catch (IllegalArgumentException e) {
        // The schema and the checks above rule these out; kept so a drift is still located.
        add(pointer, path + ": " + e.getMessage());
        return null;
      }
    }

    private @Nullable DetectorDefinition detector(String category, int index, JsonNode d, String pointer) {
      String id = detectorId(category, index, d, pointer);
      String regex = d.get("regex").asText();
      if (checkPattern(pointer + "/regex", regex)) {
        checkLocatable(pointer + "/regex", regex);
      }
      JsonNode excludePatterns = d.path("exclude_patterns");
      for (int i = 0; i < excludePatterns.size(); i++) {
        checkPattern(pointer + "/exclude_patterns/" + i, excludePatterns.get(i).asText());
      }
      @Nullable String validator = d.has("validator") ? d.get("validator").asText() : null;
      if (validator != null && Validators.byName(validator) == null) {
        add(pointer + "/validator", doc.entry(pointer + "/validator").path() + ": '" + validator
            + "' (expected one of: " + String.join(", ", Validators.names()) + ")");
      }
      try {
        DetectorDefinition.Builder b = DetectorDefinition.builder(id, category, regex)
            .description(doc.root().path("categories").path(category).path("description")
                .asText(""))
            .keywords(strings(d.path("keywords")))
            .validator(validator)
            .context(strings(d.path("context")))
            .excludeValues(strings(d.path("exclude")))
            .excludePatterns(strings(excludePatterns));
        if (d.has("min_entropy")) {
          b.minEntropy(d.get("min_entropy").asDouble());
        }
        if (d.has("secret")) {
          b.secret(d.get("secret").asBoolean());
        }
        if (d.has("key_value")) {
          b.keyValue(d.get("key_value").asBoolean());
        }
        if (d.has("confidence")) {
          b.confidence(Confidence.ofId(d.get("confidence").asText()));
        }
        if (d.has("max_length")) {
          b.maxLength(d.get("max_length").asInt());
        }
        if (d.has("normalize")) {
          b.normalization(DetectorDefinition.Normalization.valueOf(
              d.get("normalize").asText().toUpperCase(Locale.ROOT)));
        }
        return b.build();
      } catch (IllegalArgumentException e) {
        // The schema rules these out; kept so a drift between schema and model is still located.
        add(pointer, doc.entry(pointer).path() + ": " + e.getMessage());
        return null;
      }
    }

    /** States the reverse automaton of a custom detector's pattern may have. */
    private static final int MAX_REVERSE_STATES = 10_000;

    /** Reads one rule, or returns {@code null} after adding its problems. */
    private @Nullable Rule rule(String pointer, JsonNode r, Set<String> builtinCategories,
        Set<String> customCategories) {
      int problemsBefore = problems.size();
      String path = doc.entry(pointer).path();
      String name = r.get("name").asText();
      Node nameNode = doc.entry(pointer + "/name").node();
      Node first = ruleNames.putIfAbsent(name, nameNode);
      if (first != null) {
        add(pointer + "/name", path + ".name: '" + name + "' used twice (expected: unique rule"
            + " names; first at line " + YamlDocument.line(first) + ", column "
            + YamlDocument.column(first) + ")");
      }
      JsonNode match = r.path("match");
      List<String> paths = strings(match.path("paths"));
      for (int j = 0; j < paths.size(); j++) {
        String problem = PathGlob.problem(paths.get(j));
        if (problem != null) {
          String p = pointer + "/match/paths/" + j;
          add(p, doc.entry(p).path() + ": '" + paths.get(j) + "' (expected: " + problem + ")");
        }
      }
      List<String> hosts = strings(match.path("hosts"));
      for (int j = 0; j < hosts.size(); j++) {
        String problem = HostPattern.problem(hosts.get(j));
        if (problem != null) {
          String p = pointer + "/match/hosts/" + j;
          add(p, doc.entry(p).path() + ": '" + hosts.get(j) + "' (expected: " + problem + ")");
        }
      }
      List<String> categories = strings(r.path("categories"));
      for (int j = 0; j < categories.size(); j++) {
        String c = categories.get(j);
        if (!builtinCategories.contains(c) && !customCategories.contains(c)) {
          String p = pointer + "/categories/" + j;
          add(p, doc.entry(p).path() + ": '" + c + "' (expected: a built-in category ("
              + String.join(", ", builtinCategories) + ")"
              + (customCategories.isEmpty() ? "" : " or a custom category ("
                  + String.join(", ", customCategories) + ")") + ")");
        }
      }
      Action action = Action.ofId(r.get("action").asText());
      List<String> parts = strings(match.path("parts"));
      for (int j = 0; j < parts.size(); j++) {
        String problem = Rule.partProblem(parts.get(j), action);
        if (problem != null) {
          String p = pointer + "/match/parts/" + j;
          add(p, doc.entry(p).path() + " (rule '" + name + "'): " + problem);
        }
      }
      @Nullable RedactionStyle style = null;
      if (r.has("redact")) {
        if (action != Action.REDACT) {
          addAtKey(pointer + "/redact", path + ".redact: only allowed with action redact"
              + " (expected: action: redact, or no redact key)");
        } else if (r.get("redact").has("style")) {
          style = RedactionStyle.ofId(r.get("redact").get("style").asText());
        }
      }
      Rule.Condition condition = r.has("when") ? condition(pointer + "/when", r.get("when"))
          : Rule.Condition.always();
      Allowlist ruleAllowlist = r.has("allowlist")
          ? allowlist(pointer + "/allowlist", r.get("allowlist"), "rule '" + name + "': ")
          : Allowlist.empty();
      if (problems.size() > problemsBefore || condition == null || ruleAllowlist == null) {
        return null;
      }
      try {
        Rule.Builder b = Rule.builder(name)
            .paths(paths)
            .methods(strings(match.path("methods")))
            .hosts(hosts)
            .categories(categories)
            .parts(parts)
            .action(action);
        String direction = match.path("direction").asText("both");
        if (!direction.equals("both")) {
          b.direction(Direction.valueOf(direction.toUpperCase(Locale.ROOT)));
        }
        if (style != null) {
          b.redactionStyle(style);
        }
        if (r.has("min_confidence")) {
          b.minConfidence(Confidence.ofId(r.get("min_confidence").asText()));
        }
        b.allowlist(ruleAllowlist);
        switch (condition.kind()) {
          case PER_MESSAGE:
            b.perMessageAtLeast(condition.threshold());
            break;
          case PER_IDENTITY:
            b.perIdentityAtLeast(condition.threshold(), requireNonNull(condition.window()));
            break;
          case PER_IDENTITY_DISTINCT:
            b.perIdentityDistinctAtLeast(condition.threshold(), requireNonNull(condition.window()));
            break;
          default:
            break;
        }
        return b.build();
      } catch (IllegalArgumentException | IllegalStateException e) {
        // The checks above and the schema rule these out; kept so a drift is still located.
        add(pointer, path + ": " + e.getMessage());
        return null;
      }
    }

    /**
     * Reads an allowlist, or returns {@code null} after adding its problems, each prefixed with
     * {@code owner} (the rule's name for a rule's own allowlist).
     */
    private @Nullable Allowlist allowlist(String pointer, JsonNode a, String owner) {
      int problemsBefore = problems.size();
      Allowlist.Builder b = Allowlist.builder();
      String[] keys = {"hashes", "patterns", "paths", "files"};
      for (String key : keys) {
        List<String> values = strings(a.path(key));
        for (int j = 0; j < values.size(); j++) {
          String value = values.get(j);
          String p = pointer + "/" + key + "/" + j;
          try {
            switch (key) {
              case "hashes":
                b.hash(value);
                break;
              case "patterns":
                b.pattern(value);
                break;
              case "paths":
                b.path(value);
                break;
              default:
                b.file(value);
                break;
            }
          } catch (IllegalArgumentException e) {
            // Hashes are no secret, but patterns could spell a value: name the position only.
            String what = key.equals("patterns") ? e.getMessage().replaceFirst("^allowlist pattern: ", "")
                : e.getMessage();
            add(p, owner + doc.entry(p).path() + ": " + what);
          }
        }
      }
      return problems.size() > problemsBefore ? null : b.build();
    }

    /** Reads a rule's {@code when}, or returns {@code null} after adding its problems. */
    private Rule.@Nullable Condition condition(String pointer, JsonNode when) {
      String path = doc.entry(pointer).path();
      if (when.has("per_message") && when.has("per_identity")) {
        addAtKey(pointer + "/per_identity", path + ": both per_message and per_identity"
            + " (expected: one of them)");
        return null;
      }
      if (when.has("per_message")) {
        return Rule.Condition.perMessageAtLeast(when.get("per_message").get("at_least").asInt());
      }
      if (!when.has("per_identity")) {
        add(pointer, path + ": no condition (expected: per_message or per_identity)");
        return null;
      }
      String p = pointer + "/per_identity";
      JsonNode perIdentity = when.get("per_identity");
      String perIdentityPath = doc.entry(p).path();
      boolean counts = perIdentity.has("at_least");
      boolean distinct = perIdentity.has("distinct_at_least");
      if (counts && distinct) {
        addAtKey(p + "/distinct_at_least", perIdentityPath + ": both at_least and"
            + " distinct_at_least (expected: one of them)");
      } else if (!counts && !distinct) {
        add(p, perIdentityPath + ": no threshold (expected: at_least or distinct_at_least)");
      }
      String windowText = perIdentity.get("window").asText();
      Duration window = Durations.parse(windowText);
      if (window.isZero()) {
        add(p + "/window", perIdentityPath + ".window: '" + windowText
            + "' (expected: a positive duration such as 30s, 5m, 1h or 1d)");
      }
      if (counts == distinct || window.isZero()) {
        return null;
      }
      return counts
          ? Rule.Condition.perIdentityAtLeast(perIdentity.get("at_least").asInt(), window)
          : Rule.Condition.perIdentityDistinctAtLeast(
              perIdentity.get("distinct_at_least").asInt(), window);
    }

    /** Reads one identity source, or returns {@code null} after adding its problems. */
    private @Nullable IdentitySource identitySource(String pointer, JsonNode s) {
      String path = doc.entry(pointer).path();
      try {
        switch (s.get("from").asText()) {
          case "jwt":
            return IdentitySource.jwt(
                s.path("header").asText(IdentitySource.Jwt.DEFAULT_HEADER),
                s.path("claim").asText(IdentitySource.Jwt.DEFAULT_CLAIM));
          case "header":
            return IdentitySource.header(s.get("name").asText());
          default:
            List<String> cidrs = strings(s.path("trusted_proxies"));
            boolean ok = true;
            for (int j = 0; j < cidrs.size(); j++) {
              if (!Cidr.isValid(cidrs.get(j))) {
                String p = pointer + "/trusted_proxies/" + j;
                add(p, doc.entry(p).path() + ": '" + cidrs.get(j)
                    + "' (expected: a CIDR block such as 10.0.0.0/8 or fd00::/8)");
                ok = false;
              }
            }
            return ok ? IdentitySource.clientIp(cidrs) : null;
        }
      } catch (IllegalArgumentException e) {
        String key = e.getMessage().substring(0, Math.max(0, e.getMessage().indexOf(':')));
        add(pointer + "/" + key, path + "." + e.getMessage());
        return null;
      }
    }

    /** Checks a pattern, pointing the column at the offending character where it can. */
    /** Adds a problem unless the pattern parses; returns whether it does. */
    private boolean checkPattern(String pointer, String pattern) {
      try {
        PatternParser.parse(pattern);
        return true;
      } catch (PatternException e) {
        YamlDocument.Entry entry = doc.entry(pointer);
        Node node = entry.node();
        problems.add(new Problem(YamlDocument.line(node),
            YamlDocument.column(node) + doc.columnOffset(node, e.index()),
            entry.path() + ": " + e.getMessage()
                + " (expected: Custos pattern syntax, a linear-time subset of RE2)"));
        return false;
      }
    }

    /**
     * Adds a problem when the automaton that locates where a match starts (built, on a detector's
     * first candidate, from the reversed pattern) would exceed {@link #MAX_REVERSE_STATES} states:
     * building it would stall that scan and hold megabytes.
     */
    private void checkLocatable(String pointer, String pattern) {
      if (ByteDfa.reversedWithin(PatternParser.parse(pattern), MAX_REVERSE_STATES) == null) {
        add(pointer, doc.entry(pointer).path() + ": locating a match's start needs more than "
            + MAX_REVERSE_STATES + " automaton states (expected: a simpler pattern; counted"
            + " repetitions on both sides of a separator that both may contain cause this, as in"
            + " '[a-z:]{1,64}:[a-z:]{3,128}')");
      }
    }

    private static List<String> strings(JsonNode array) {
      List<String> out = new ArrayList<>();
      for (JsonNode n : array) {
        out.add(n.asText());
      }
      return out;
    }

    /** Adds a problem at the key of a mapping entry (the value when it has no key). */
    private void addAtKey(String pointer, String text) {
      YamlDocument.Entry entry = doc.entry(pointer);
      Node node = entry.key() != null ? entry.key() : entry.node();
      problems.add(new Problem(YamlDocument.line(node), YamlDocument.column(node), text));
    }

    private void add(String pointer, String text) {
      Node node = doc.entry(pointer).node();
      problems.add(new Problem(YamlDocument.line(node), YamlDocument.column(node), text));
    }
  }
}
