package dev.custos.engine.internal.scan;

import java.util.Locale;

/**
 * A JSON or form key name split into words, so that keywords match whole words of it: {@code
 * driverLicense}, {@code driver_license} and {@code DRIVER-LICENSE} hold {@code driver}, while
 * {@code drivers} and {@code screwdriver} do not. Words break at characters other than letters and
 * digits and where a lower-case letter or digit meets an upper-case one ({@code apiKey}, {@code
 * APIKey}). Immutable.
 */
final class KeyName {
  /** The longest key kept by {@link #of}; longer ones are split each time. */
  private static final int MAX_CACHED_LENGTH = 64;
  /** Slots per thread in {@link #of}'s cache (a power of two). */
  private static final int CACHE_SLOTS = 256;

  /**
   * Per thread, the split keys seen lately, indexed by the key's hash: the records of a page, and
   * the messages of one API, repeat the same few names.
   */
  private static final ThreadLocal<KeyName[]> CACHE =
      ThreadLocal.withInitial(() -> new KeyName[CACHE_SLOTS]);

  /** The key as given. */
  private final String key;
  /** The letters and digits of the key, in lower case. */
  private final String joined;
  /** Whether a word starts at each index of {@link #joined} (and at its end). */
  private final boolean[] boundary;

  /**
   * Returns {@code key} split into words, from this thread's cache when the same key was split
   * lately. The cache stays in memory only and is bounded: at most {@value #CACHE_SLOTS} keys of at
   * most {@value #MAX_CACHED_LENGTH} characters per thread, a key evicting the one in its slot.
   */
  static KeyName of(String key) {
    if (key.length() > MAX_CACHED_LENGTH) {
      return new KeyName(key);
    }
    KeyName[] cache = CACHE.get();
    int slot = key.hashCode() & (CACHE_SLOTS - 1);
    KeyName cached = cache[slot];
    if (cached != null && cached.key.equals(key)) {
      return cached;
    }
    KeyName made = new KeyName(key);
    cache[slot] = made;
    return made;
  }

  KeyName(String key) {
    this.key = key;
    StringBuilder sb = new StringBuilder(key.length());
    boolean[] marks = new boolean[key.length() + 1];
    char previous = ' ';
    boolean broken = true;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (!Character.isLetterOrDigit(c)) {
        broken = true;
        previous = c;
        continue;
      }
      boolean upper = Character.isUpperCase(c);
      boolean camel = upper && (Character.isLowerCase(previous) || Character.isDigit(previous));
      boolean acronymEnd = !upper && Character.isLetter(c) && Character.isUpperCase(previous)
          && i >= 2 && Character.isUpperCase(key.charAt(i - 2));
      if (acronymEnd) {
        // "APIKey": the K starts the word "key".
        marks[sb.length() - 1] = true;
      }
      if (broken || camel) {
        marks[sb.length()] = true;
      }
      sb.append(Character.toLowerCase(c));
      broken = false;
      previous = c;
    }
    this.joined = sb.toString().toLowerCase(Locale.ROOT);
    this.boundary = java.util.Arrays.copyOf(marks, joined.length() + 1);
    boundary[joined.length()] = true;
  }

  /** Returns the key's letters and digits in lower case. */
  String joined() {
    return joined;
  }

  /** Returns whether the words of {@code word} (letters and digits only) occur as whole words. */
  boolean containsWord(String word) {
    if (word.isEmpty()) {
      return false;
    }
    for (int i = joined.indexOf(word); i >= 0; i = joined.indexOf(word, i + 1)) {
      if (boundary[i] && boundary[i + word.length()]) {
        return true;
      }
    }
    return false;
  }

  /** Returns whether the key ends with the whole words of {@code word}, as {@code slackToken} ends with token. */
  boolean endsWithWord(String word) {
    int i = joined.length() - word.length();
    return !word.isEmpty() && i >= 0 && boundary[i] && joined.endsWith(word);
  }
}
