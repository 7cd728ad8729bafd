package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.internal.pattern.PatternException;
import dev.custos.engine.internal.pattern.PatternParser;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Findings that are known and allowed: values by evidence hash (so a policy holds no raw value;
 * the hash is what findings print, under the deployment's evidence key), patterns the whole match
 * satisfies (Custos pattern syntax, linear time), JSON paths ({@code $.user.email}) or field names
 * ({@code email}), and file globs (for {@code custos scan}). A policy has one that applies to every
 * finding, and each rule may have its own that only that rule ignores. Immutable.
 */
public final class Allowlist {
  private static final Allowlist EMPTY = builder().build();
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{32}");

  private final Set<String> hashes;
  private final List<String> patterns;
  private final Set<String> paths;
  private final List<String> files;

  private Allowlist(Builder b) {
    this.hashes = Set.copyOf(b.hashes);
    this.patterns = List.copyOf(b.patterns);
    this.paths = Set.copyOf(b.paths);
    this.files = List.copyOf(b.files);
  }

  /** Returns the allowlist that allows nothing. */
  public static Allowlist empty() {
    return EMPTY;
  }

  /** Returns a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the allowed evidence hashes (32 lower-case hex digits). */
  public Set<String> hashes() {
    return hashes;
  }

  /** Returns the allowed patterns: a match that one of them matches whole is no finding. */
  public List<String> patterns() {
    return patterns;
  }

  /** Returns the allowed JSON paths (starting with {@code $}) and field names. */
  public Set<String> paths() {
    return paths;
  }

  /** Returns the file globs ({@code .gitignore} syntax) whose files {@code custos scan} skips. */
  public List<String> files() {
    return files;
  }

  /** Returns whether this allows nothing. */
  public boolean isEmpty() {
    return hashes.isEmpty() && patterns.isEmpty() && paths.isEmpty() && files.isEmpty();
  }

  /**
   * Returns whether this allows a finding by its hash or JSON path (patterns need the value, so
   * the engine checks them as it scans).
   */
  public boolean allows(Finding finding) {
    requireNonNull(finding, "finding");
    if (hashes.contains(finding.evidence().hash())) {
      return true;
    }
    return allowsPath(finding.jsonPath());
  }

  /** Returns whether the JSON path, or its last field name, is allowed. */
  public boolean allowsPath(@Nullable String jsonPath) {
    if (jsonPath == null || paths.isEmpty()) {
      return false;
    }
    return paths.contains(jsonPath) || paths.contains(lastField(jsonPath));
  }

  /** Returns the last field name of a JSON path ({@code $.a.b[2]} gives {@code b}). */
  static String lastField(String jsonPath) {
    String p = jsonPath;
    while (p.endsWith("]") && p.lastIndexOf('[') > 0 && !p.endsWith("']")) {
      p = p.substring(0, p.lastIndexOf('['));
    }
    if (p.endsWith("']")) {
      int open = p.lastIndexOf("['");
      return open < 0 ? p : p.substring(open + 2, p.length() - 2);
    }
    int dot = p.lastIndexOf('.');
    return dot < 0 ? p : p.substring(dot + 1);
  }

  @Override
  public String toString() {
    return "Allowlist{" + hashes.size() + " hashes, " + patterns.size() + " patterns, "
        + paths.size() + " paths, " + files.size() + " files}";
  }

  /** Builds an {@link Allowlist}. Not thread-safe. */
  public static final class Builder {
    private final Set<String> hashes = new LinkedHashSet<>();
    private final List<String> patterns = new ArrayList<>();
    private final Set<String> paths = new LinkedHashSet<>();
    private final List<String> files = new ArrayList<>();

    private Builder() {}

    /**
     * Allows a value by its evidence hash, as findings print it.
     *
     * @throws IllegalArgumentException unless 32 hex digits
     */
    public Builder hash(String hash) {
      String h = requireNonNull(hash, "hash").toLowerCase(Locale.ROOT);
      if (!HASH.matcher(h).matches()) {
        // Not echoed: a value pasted here by mistake must not reach a log.
        throw new IllegalArgumentException("allowlist hash: " + hash.length()
            + " characters, not all hex (expected: 32 hex digits, the hash a finding prints)");
      }
      hashes.add(h);
      return this;
    }

    /**
     * Allows matches that {@code pattern} matches whole.
     *
     * @throws IllegalArgumentException for a pattern outside the Custos syntax
     */
    public Builder pattern(String pattern) {
      requireNonNull(pattern, "pattern");
      try {
        PatternParser.parse(pattern);
      } catch (PatternException e) {
        throw new IllegalArgumentException("allowlist pattern: " + e.getMessage(), e);
      }
      patterns.add(pattern);
      return this;
    }

    /** Allows findings at a JSON path ({@code $.user.email}) or under a field name ({@code email}). */
    public Builder path(String pathOrField) {
      String p = requireNonNull(pathOrField, "pathOrField");
      if (p.isEmpty()) {
        throw new IllegalArgumentException("allowlist path: '' (expected: a JSON path or field name)");
      }
      paths.add(p);
      return this;
    }

    /** Skips files matching a glob in {@code custos scan}. */
    public Builder file(String glob) {
      String g = requireNonNull(glob, "glob");
      if (g.isBlank()) {
        throw new IllegalArgumentException("allowlist file: '' (expected: a glob such as 'test/**')");
      }
      files.add(g);
      return this;
    }

    /** Returns the immutable allowlist. */
    public Allowlist build() {
      return new Allowlist(this);
    }
  }
}
