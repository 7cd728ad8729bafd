package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The light JSON scanner agrees with Jackson's non-blocking parser, its reference: on valid and on
 * mutated JSON, fed in chunks, both remember the same tokens (spans, paths, key names) of those
 * candidates end in, fail with the same note at the same place, and the scanner never reports
 * progress before Jackson does.
 */
class JsonTrackerAgreementProperties {
  private static final int BIG = 1 << 20;

  @Property(tries = 3000, seed = "20261207")
  void agreesWithJacksonOnValidAndMutatedJson(
      @ForAll("documents") byte[] doc,
      @ForAll @IntRange(min = 1, max = 40) int chunk,
      @ForAll @IntRange(min = 2, max = 8) int maxDepth,
      @ForAll @IntRange(min = 3, max = 40) int maxName,
      @ForAll @IntRange(min = 3, max = 40) int maxNumber,
      @ForAll @IntRange(min = 1, max = 12) int every,
      @ForAll @IntRange(max = 11) int phase) {
    // Candidates end at every position, or at some: only the tokens they end in are remembered.
    java.util.TreeSet<Long> ends = new java.util.TreeSet<>();
    for (long e = 1 + phase % every; e <= doc.length; e += every) {
      ends.add(e);
    }
    JsonTracker.Interest interest = first -> {
      Long next = ends.higher(first);
      return next == null ? Long.MAX_VALUE : next;
    };
    Run jackson = runJackson(doc, doc.length + 1, maxDepth, maxName, maxNumber, interest);
    Run jacksonChunked = runJackson(doc, chunk, maxDepth, maxName, maxNumber, interest);
    Run light = runLight(doc, doc.length + 1, maxDepth, maxName, maxNumber, interest);
    Run lightChunked = runLight(doc, chunk, maxDepth, maxName, maxNumber, interest);
    String input = new String(doc, StandardCharsets.ISO_8859_1);
    // Jackson checks a name's length when its buffer grows and when it ends, the scanner at every
    // byte: a too long name cut by the end of the input is malformed to one, too long to the other.
    assertThat(light.summary().replace("JSON_TOKEN_TOO_LONG", "JSON_MALFORMED"))
        .as(input).isEqualTo(jackson.summary().replace("JSON_TOKEN_TOO_LONG", "JSON_MALFORMED"));
    assertThat(lightChunked.summary()).as(input).isEqualTo(light.summary());
    if (jacksonChunked.summary().equals(jackson.summary())) {
      // Jackson's own results depend on the chunking in a corner (a fraction followed by a
      // second point across a boundary); elsewhere the scanner's progress never runs ahead.
      for (int k = 0; k < lightChunked.progress.size(); k++) {
        assertThat(lightChunked.progress.get(k)).as(input + " after chunk " + k)
            .isLessThanOrEqualTo(jacksonChunked.progress.get(k));
      }
    }
  }

  @Property(tries = 300, seed = "20261207")
  void agreesWithJacksonWithDefaultLimits(@ForAll("documents") byte[] doc,
      @ForAll @IntRange(min = 1, max = 40) int chunk) {
    JsonTracker.Interest all = first -> first + 1;
    Run jackson = runJackson(doc, doc.length + 1, 256, BIG, 10_000, all);
    Run light = runLight(doc, chunk, 256, BIG, 10_000, all);
    assertThat(light.summary()).as(new String(doc, StandardCharsets.ISO_8859_1)).isEqualTo(jackson.summary());
  }

  private static final class Run {
    final List<Long> progress = new ArrayList<>();
    List<String> tokens = List.of();
    String end = "";

    String summary() {
      return tokens + "\n" + end;
    }
  }

  private static String describe(JsonTracker.Token t) {
    return "[" + t.first + "," + t.end + ")" + (t.number ? "#" : "") + " " + t.path() + " key=" + t.key;
  }

  private static Run runJackson(byte[] doc, int chunk, int maxDepth, int maxName, int maxNumber,
      JsonTracker.Interest interest) {
    Run run = new Run();
    JacksonJsonTracker t = new JacksonJsonTracker(JacksonJsonTracker.factory(maxDepth, BIG, maxName, maxNumber));
    for (int from = 0; from < doc.length; from += chunk) {
      t.feed(doc, from, Math.min(chunk, doc.length - from), interest);
      run.progress.add(t.failed() ? Long.MAX_VALUE : t.completedUpTo());
    }
    t.finish(interest);
    run.tokens = t.remembered().stream().map(JsonTrackerAgreementProperties::describe).toList();
    run.end = "failed=" + t.failed() + " " + t.failure() + " at " + (t.failed() ? t.failedAt() : -1)
        + " completed " + t.completedUpTo();
    return run;
  }

  private static Run runLight(byte[] doc, int chunk, int maxDepth, int maxName, int maxNumber,
      JsonTracker.Interest interest) {
    Run run = new Run();
    JsonTracker t = new JsonTracker(maxDepth, BIG, maxName, maxNumber);
    for (int from = 0; from < doc.length; from += chunk) {
      t.feed(doc, from, Math.min(chunk, doc.length - from), interest);
      run.progress.add(t.completedUpTo());
    }
    t.finish(interest);
    run.tokens = t.remembered().stream().map(JsonTrackerAgreementProperties::describe).toList();
    run.end = "failed=" + t.failed() + " " + t.failure() + " at " + (t.failed() ? t.failedAt() : -1)
        + " completed " + t.completedUpTo();
    return run;
  }

  // ---- generators ----

  // No 0xFF: Jackson pads a name's last quad with 0xFF bytes, so a name of 0xFF bytes then "a"
  // reads as a name "a" seen before (it is malformed UTF-8, which the scanner says).
  private static final byte[] ALPHABET = bytes(
      "{}[]:,\"\\ -+.eE0123456789tfnulrsaxbU/\t\n\r",
      0x00, 0x1f, 0x7f, 0x80, 0xbf, 0xc3, 0xa9, 0xc0, 0xed, 0xa0, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98,
      0xf5, 0xf8, 0xfe, 0xef, 0xbb);

  private static byte[] bytes(String s, int... more) {
    byte[] a = s.getBytes(StandardCharsets.ISO_8859_1);
    byte[] r = java.util.Arrays.copyOf(a, a.length + more.length);
    for (int i = 0; i < more.length; i++) {
      r[a.length + i] = (byte) more[i];
    }
    return r;
  }

  @Provide
  Arbitrary<byte[]> documents() {
    Arbitrary<byte[]> valid = value(4).list().ofMinSize(1).ofMaxSize(3).map(values -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (String v : values) {
        out.writeBytes(v.getBytes(StandardCharsets.UTF_8));
        out.write(' ');
      }
      return out.toByteArray();
    });
    Arbitrary<byte[]> withBom = valid.map(b -> {
      byte[] r = new byte[b.length + 3];
      r[0] = (byte) 0xEF;
      r[1] = (byte) 0xBB;
      r[2] = (byte) 0xBF;
      System.arraycopy(b, 0, r, 3, b.length);
      return r;
    });
    Arbitrary<byte[]> mutated = Combinators.combine(valid, Arbitraries.integers().between(1, 4).flatMap(
        n -> Combinators.combine(Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(0, 2),
            Arbitraries.of(toList(ALPHABET))).as((at, op, b) -> new int[] {at, op, b}).list().ofSize(n)))
        .as(JsonTrackerAgreementProperties::mutate);
    Arbitrary<byte[]> noise = Arbitraries.of(toList(ALPHABET)).list().ofMaxSize(30).map(l -> {
      byte[] r = new byte[l.size()];
      for (int i = 0; i < r.length; i++) {
        r[i] = l.get(i);
      }
      return r;
    });
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, valid), net.jqwik.api.Tuple.of(1, withBom),
        net.jqwik.api.Tuple.of(6, mutated), net.jqwik.api.Tuple.of(1, noise));
  }

  private static List<Byte> toList(byte[] a) {
    List<Byte> l = new ArrayList<>();
    for (byte b : a) {
      l.add(b);
    }
    return l;
  }

  private static byte[] mutate(byte[] doc, List<int[]> edits) {
    List<Byte> l = toList(doc);
    for (int[] e : edits) {
      int at = l.isEmpty() ? 0 : e[0] % (l.size() + 1);
      byte b = (byte) e[2];
      if (e[1] == 0 || l.isEmpty() || at == l.size()) {
        l.add(Math.min(at, l.size()), b);
      } else if (e[1] == 1) {
        l.remove(at);
      } else {
        l.set(at, b);
      }
    }
    byte[] r = new byte[l.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = l.get(i);
    }
    return r;
  }

  private static Arbitrary<String> ws() {
    return Arbitraries.of("", "", "", " ", "\n", "\t ", "\r\n");
  }

  private static Arbitrary<String> string() {
    return Arbitraries.oneOf(
            Arbitraries.of("a", "x", "ssn", " ", "é", "€", "😀", "\\\"", "\\\\", "\\/", "\\n", "\\t",
                "\\u0041", "\\u00e9", "\\ud83d\\ude00", "\\ud800", "'", "_", "1", "$", ".", "a.b"),
            Arbitraries.strings().alpha().numeric().ofMaxLength(6))
        .list().ofMaxSize(5).map(parts -> "\"" + String.join("", parts) + "\"");
  }

  private static Arbitrary<String> number() {
    return Arbitraries.of("0", "-0", "1", "42", "-17", "3.25", "-0.5", "1e5", "2E-3", "6.02e+23", "0.0",
        "123456789", "4111111111111111", "1234567890123456789012345", "0e0", "-1.5E10");
  }

  private static Arbitrary<String> value(int depth) {
    Arbitrary<String> scalar = Arbitraries.oneOf(string(), number(),
        Arbitraries.of("true", "false", "null"));
    if (depth == 0) {
      return scalar;
    }
    Arbitrary<String> array = Combinators.combine(value(depth - 1).list().ofMaxSize(4), ws())
        .as((items, w) -> "[" + w + String.join("," + w, items) + w + "]");
    Arbitrary<String> member = Combinators.combine(string(), value(depth - 1), ws())
        .as((k, v, w) -> w + k + w + ":" + w + v + w);
    Arbitrary<String> object = member.list().ofMaxSize(4).map(ms -> "{" + String.join(",", ms) + "}");
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, scalar), net.jqwik.api.Tuple.of(2, array), net.jqwik.api.Tuple.of(3, object));
  }
}
