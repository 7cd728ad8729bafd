package dev.custos.engine.internal.policy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A compiled path glob: {@code *} matches any run of characters within one path segment, a whole
 * {@code **} segment matches any number of segments (none included), every other character
 * matches itself. {@code /api/**} matches {@code /api}, {@code /api/} and {@code /api/a/b};
 * {@code /users/*}{@code /cards} matches {@code /users/42/cards}.
 *
 * <p>A path's query or fragment (from the first {@code ?} or {@code #}) and one trailing
 * {@code /} are ignored, on the glob as on the path, so neither {@code /users/42/cards/} nor
 * {@code /users/42/cards?x=1} slips past {@code /users/*}{@code /cards}. Matching never
 * backtracks: it runs a set of glob positions over the path's segments and finds a segment's
 * literal parts left to right, in O(path length × glob length) time and O(glob segments) memory.
 * Immutable and thread-safe.
 */
public final class PathGlob {
  /** The longest glob accepted, in characters. */
  public static final int MAX_LENGTH = 1024;

  private static final String RESERVED = "?[]{}\\";

  private final String glob;
  /** Per segment: its literal parts between stars, or {@code null} for {@code **}. */
  private final String[] @Nullable [] segments;
  /** Per segment: whether it starts and ends with a star. */
  private final boolean[] leadingStar;
  private final boolean[] trailingStar;

  private PathGlob(String glob, List<String> segments) {
    this.glob = glob;
    int n = segments.size();
    this.segments = new String[n][];
    this.leadingStar = new boolean[n];
    this.trailingStar = new boolean[n];
    for (int i = 0; i < n; i++) {
      String s = segments.get(i);
      if (s.equals("**")) {
        continue;
      }
      leadingStar[i] = s.startsWith("*");
      trailingStar[i] = s.endsWith("*");
      List<String> parts = new ArrayList<>();
      for (String part : s.split("\\*", -1)) {
        if (!part.isEmpty()) {
          parts.add(part);
        }
      }
      this.segments[i] = parts.toArray(new String[0]);
    }
  }

  /**
   * Compiles a glob.
   *
   * @throws IllegalArgumentException worded "glob: value (expected: …)" if it does not start with
   *     {@code /}, is longer than {@value #MAX_LENGTH}, holds one of {@code ? [ ] { } \} or a
   *     {@code **} that is not a whole segment
   */
  public static PathGlob compile(String glob) {
    requireNonNull(glob, "glob");
    String problem = problem(glob);
    if (problem != null) {
      throw new IllegalArgumentException("path glob: " + glob + " (expected: " + problem + ")");
    }
    String body = withoutTrailingSlash(glob).substring(1);
    List<String> segments = List.of(body.split("/", -1));
    return new PathGlob(glob, segments);
  }

  /** Returns what is wrong with a glob, worded as what was expected, or {@code null}. */
  static @Nullable String problem(String glob) {
    if (!glob.startsWith("/")) {
      return "a path glob starting with /";
    }
    if (glob.length() > MAX_LENGTH) {
      return "at most " + MAX_LENGTH + " characters";
    }
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (RESERVED.indexOf(c) >= 0 || Character.isISOControl(c) || Character.isWhitespace(c)) {
        return "literal characters, * and ** only; no ?, [ ], { }, backslash or spaces";
      }
    }
    for (String segment : glob.substring(1).split("/", -1)) {
      if (segment.contains("**") && !segment.equals("**")) {
        return "** only as a whole segment, such as /api/**";
      }
    }
    return null;
  }

  /** Returns the glob as written. */
  public String glob() {
    return glob;
  }

  /**
   * Returns whether the path matches. A path that does not start with {@code /} matches no glob.
   */
  public boolean matches(String path) {
    String p = path;
    int cut = indexOfAny(p, '?', '#');
    if (cut >= 0) {
      p = p.substring(0, cut);
    }
    if (!p.startsWith("/")) {
      return false;
    }
    p = withoutTrailingSlash(p);
    int n = segments.length;
    boolean[] current = new boolean[n + 1];
    boolean[] next = new boolean[n + 1];
    current[0] = true;
    closeOverGlobstars(current);
    int start = 1;
    while (true) {
      int end = p.indexOf('/', start);
      if (end < 0) {
        end = p.length();
      }
      String segment = p.substring(start, end);
      Arrays.fill(next, false);
      boolean any = false;
      for (int i = 0; i < n; i++) {
        if (!current[i]) {
          continue;
        }
        if (segments[i] == null) {
          next[i] = true;
          any = true;
        } else if (segmentMatches(i, segment)) {
          next[i + 1] = true;
          any = true;
        }
      }
      if (!any) {
        return false;
      }
      closeOverGlobstars(next);
      boolean[] t = current;
      current = next;
      next = t;
      if (end == p.length()) {
        return current[n];
      }
      start = end + 1;
    }
  }

  /** Lets every {@code **} also match no segment. */
  private void closeOverGlobstars(boolean[] states) {
    for (int i = 0; i < segments.length; i++) {
      if (states[i] && segments[i] == null) {
        states[i + 1] = true;
      }
    }
  }

  /**
   * Returns whether one path segment matches segment {@code i}. With stars only, taking each
   * literal part at its leftmost place is never worse than a later one, so no backtracking.
   */
  private boolean segmentMatches(int i, String segment) {
    String[] parts = segments[i];
    if (parts.length == 0) {
      return leadingStar[i] || segment.isEmpty();
    }
    int lo = 0;
    int hi = segment.length();
    int first = 0;
    int last = parts.length;
    if (!leadingStar[i]) {
      if (!segment.startsWith(parts[0])) {
        return false;
      }
      lo = parts[0].length();
      first = 1;
    }
    if (!trailingStar[i]) {
      if (first == parts.length) {
        return lo == hi; // no star at all: the segment is the literal
      }
      String suffix = parts[parts.length - 1];
      if (!segment.endsWith(suffix) || hi - suffix.length() < lo) {
        return false;
      }
      hi -= suffix.length();
      last = parts.length - 1;
    }
    for (int k = first; k < last; k++) {
      int at = segment.indexOf(parts[k], lo);
      if (at < 0 || at + parts[k].length() > hi) {
        return false;
      }
      lo = at + parts[k].length();
    }
    return true;
  }

  private static String withoutTrailingSlash(String s) {
    return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  private static int indexOfAny(String s, char a, char b) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == a || c == b) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return glob;
  }
}
