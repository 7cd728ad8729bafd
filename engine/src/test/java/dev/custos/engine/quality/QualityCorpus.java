package dev.custos.engine.quality;

import dev.custos.engine.ContentType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import net.datafaker.Faker;

/**
 * The labelled corpus of the quality harness: the {@code quality/*.tsv} test resources (see their
 * README) plus cases generated with datafaker from a fixed seed, so every run scans the same
 * samples.
 */
final class QualityCorpus {
  /** The files under {@code quality/} read as labelled samples. */
  static final List<String> FILES =
      List.of("email", "ip_address", "mac_address", "generic_secret", "secrets", "numbers",
          "personal", "phone_number", "none");

  /** A sample: the expected category (or {@code none}), the body and how it is scanned. */
  record Sample(String expected, String body, ContentType type, String source) {}

  private QualityCorpus() {}

  static List<Sample> all() {
    List<Sample> samples = new ArrayList<>();
    for (String file : FILES) {
      samples.addAll(read(file + ".tsv"));
    }
    samples.addAll(generated());
    return samples;
  }

  static List<Sample> read(String name) {
    String text = resource(name);
    List<Sample> samples = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int tab = line.indexOf('\t');
      if (tab <= 0) {
        throw new IllegalArgumentException(
            "quality/" + name + ":" + (i + 1) + ": line (expected: category<TAB>sample)");
      }
      String expected = line.substring(0, tab).trim();
      String body = line.substring(tab + 1).replace("\\n", "\n").replace("\\t", "\t");
      ContentType type = ContentType.TEXT;
      if (body.startsWith("json:")) {
        body = body.substring("json:".length());
        type = ContentType.JSON;
      }
      samples.add(new Sample(expected, body, type, name + ":" + (i + 1)));
    }
    return samples;
  }

  /** Cases generated from a fixed seed: realistic positives and ordinary identifiers as negatives. */
  static List<Sample> generated() {
    Faker faker = new Faker(Locale.US, new Random(20261207L));
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      samples.add(gen("email", "reply to " + faker.internet().emailAddress()));
      samples.add(gen("ip_address", "client ip " + faker.internet().publicIpV4Address()));
      samples.add(gen("ip_address", "remote addr " + faker.internet().ipV6Address()));
      samples.add(gen("none", "request " + faker.internet().uuid() + " done"));
      samples.add(gen("none", "commit " + faker.hashing().sha1()));
      samples.add(gen("none", "digest " + faker.hashing().sha256()));
      samples.add(gen("none", "etag \"" + faker.hashing().md5() + "\""));
      samples.add(gen("none", "upgraded " + faker.app().name() + " to " + faker.app().version()));
      samples.add(gen("none", Base64.getEncoder().encodeToString(
          faker.lorem().sentence(8).getBytes(StandardCharsets.UTF_8))));
      samples.add(gen("none", "at " + faker.timeAndDate().past().toString() + " " + faker.lorem().sentence()));
    }
    return samples;
  }

  private static Sample gen(String expected, String body) {
    return new Sample(expected, body, ContentType.TEXT, "generated");
  }

  static Properties thresholds() {
    Properties p = new Properties();
    try (InputStream in = QualityCorpus.class.getResourceAsStream("/quality/thresholds.properties")) {
      if (in == null) {
        throw new IllegalStateException("quality/thresholds.properties: missing from the class path");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  static double threshold(Properties p, String category, String metric) {
    String v = p.getProperty(category + "." + metric, p.getProperty("default." + metric));
    return Double.parseDouble(v);
  }

  private static String resource(String name) {
    try (InputStream in = QualityCorpus.class.getResourceAsStream("/quality/" + name)) {
      if (in == null) {
        throw new IllegalStateException("quality/" + name + ": missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
