package dev.custos.cli;

import static java.util.Objects.requireNonNull;

import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The rules of one {@code .gitignore} file (or of {@code --exclude} globs), in git's common
 * syntax: globs ({@code *}, {@code ?}, {@code [...]}) that do not cross {@code /}, {@code **}
 * for any number of directories, {@code !} to re-include, a trailing {@code /} for directories
 * only, a leading or inner {@code /} to anchor the pattern to the file's directory (otherwise it
 * matches a name at any depth), {@code #} comments and {@code \} escapes. Globs compile to RE2J,
 * so matching is linear in the path. Immutable.
 */
final class GitIgnore {
  private record Rule(Pattern pattern, boolean negated, boolean directoryOnly) {}

  private final List<Rule> rules;

  private GitIgnore(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** Parses the text of a {@code .gitignore} file; lines that are not valid globs are skipped. */
  static GitIgnore parse(String text) {
    requireNonNull(text, "text");
    List<Rule> rules = new ArrayList<>();
    for (String line : text.split("\r?\n", -1)) {
      Rule rule = rule(line);
      if (rule != null) {
        rules.add(rule);
      }
    }
    return new GitIgnore(rules);
  }

  /**
   * Returns the rules of {@code --exclude} globs, in the same syntax.
   *
   * @throws IllegalArgumentException for an empty or malformed glob
   */
  static GitIgnore ofGlobs(List<String> globs) {
    return ofGlobs(globs, "--exclude");
  }

  /** Returns the rules of globs given by {@code what} (named in errors). */
  static GitIgnore ofGlobs(List<String> globs, String what) {
    List<Rule> rules = new ArrayList<>();
    for (String glob : globs) {
      Rule rule = glob.isBlank() || glob.startsWith("#") ? null : rule(glob);
      if (rule == null) {
        throw new IllegalArgumentException(
            what + ": '" + glob + "' (expected: a glob such as '*.log', 'build/' or 'docs/**/*.md')");
      }
      rules.add(rule);
    }
    return new GitIgnore(rules);
  }

  /**
   * Returns whether the last rule matching {@code path} ignores it (true), re-includes it (false),
   * or no rule matches (null).
   *
   * @param path the path relative to this file's directory, with {@code /} separators
   */
  @Nullable Boolean decide(String path, boolean directory) {
    for (int i = rules.size() - 1; i >= 0; i--) {
      Rule r = rules.get(i);
      if (r.directoryOnly && !directory) {
        continue;
      }
      if (r.pattern.matches(path)) {
        return !r.negated;
      }
    }
    return null;
  }

  private static @Nullable Rule rule(String line) {
    String s = line;
    if (s.isEmpty() || s.startsWith("#")) {
      return null;
    }
    // Trailing spaces are ignored unless escaped.
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == ' ' && (end < 2 || s.charAt(end - 2) != '\\')) {
      end--;
    }
    s = s.substring(0, end);
    boolean negated = false;
    if (s.startsWith("!")) {
      negated = true;
      s = s.substring(1);
    } else if (s.startsWith("\\!") || s.startsWith("\\#")) {
      s = s.substring(1);
    }
    boolean directoryOnly = false;
    if (s.endsWith("/")) {
      directoryOnly = true;
      s = s.substring(0, s.length() - 1);
    }
    if (s.isEmpty()) {
      return null;
    }
    boolean anchored = s.indexOf('/') >= 0;
    if (s.startsWith("/")) {
      s = s.substring(1);
    }
    if (s.isEmpty()) {
      return null;
    }
    String regex = toRegex(s);
    if (regex == null) {
      return null;
    }
    try {
      return new Rule(
          Pattern.compile(anchored ? regex : "(?:.*/)?" + regex), negated, directoryOnly);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Translates a glob to a regular expression matching whole paths, or null when malformed. */
  private static @Nullable String toRegex(String glob) {
    StringBuilder re = new StringBuilder();
    String[] segments = glob.split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String segment = segments[i];
      boolean last = i == segments.length - 1;
      if (segment.equals("**")) {
        if (last) {
          re.append(".*");
        } else {
          re.append("(?:.*/)?");
        }
        continue;
      }
      if (!appendSegment(segment, re)) {
        return null;
      }
      if (!last) {
        re.append('/');
      }
    }
    return re.toString();
  }

  private static boolean appendSegment(String segment, StringBuilder re) {
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      switch (c) {
        case '*':
          re.append("[^/]*");
          break;
        case '?':
          re.append("[^/]");
          break;
        case '\\':
          if (i + 1 >= segment.length()) {
            return false;
          }
          re.append(Pattern.quote(String.valueOf(segment.charAt(++i))));
          break;
        case '[':
          int close = segment.indexOf(']', i + 2);
          if (close < 0) {
            return false;
          }
          String body = segment.substring(i + 1, close);
          if (body.startsWith("!")) {
            body = "^" + body.substring(1);
          }
          re.append('[').append(body.replace("\\", "\\\\").replace("[", "\\[")).append(']');
          i = close;
          break;
        default:
          re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return true;
  }
}
