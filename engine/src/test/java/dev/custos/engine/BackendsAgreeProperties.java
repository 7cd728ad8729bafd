package dev.custos.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.junit.jupiter.api.Test;

/** The Hyperscan and pure-Java backends give identical findings. */
class BackendsAgreeProperties {

  @BeforeContainer
  static void requireHyperscanOnCi() {
    if ("true".equals(System.getenv("CI"))
        && System.getProperty("os.name").toLowerCase().contains("linux")
        && System.getProperty("os.arch").contains("64")) {
      assertThat(Samples.HYPERSCAN).as("Hyperscan must load on CI (linux x86_64)").isNotNull();
    }
  }

  @Provide
  Arbitrary<byte[]> text() {
    return Samples.text();
  }

  @Provide
  Arbitrary<byte[]> json() {
    return Samples.json();
  }

  @Property(tries = 300)
  void backendsAgreeOnText(@ForAll("text") byte[] input) {
    assumeThat(Samples.HYPERSCAN).isNotNull();
    assertThat(Samples.HYPERSCAN.scan(input, ContentType.TEXT).findings())
        .isEqualTo(Samples.JAVA.scan(input, ContentType.TEXT).findings());
  }

  @Property(tries = 300)
  void backendsAgreeOnJson(@ForAll("json") byte[] input) {
    assumeThat(Samples.HYPERSCAN).isNotNull();
    assertThat(Samples.HYPERSCAN.scan(input, ContentType.JSON).findings())
        .isEqualTo(Samples.JAVA.scan(input, ContentType.JSON).findings());
  }

  @Provide
  Arbitrary<byte[]> form() {
    return Samples.form();
  }

  @Property(tries = 300)
  void backendsAgreeOnForms(@ForAll("form") byte[] input) {
    assumeThat(Samples.HYPERSCAN).isNotNull();
    assertThat(Samples.HYPERSCAN.scan(input, ContentType.FORM).findings())
        .isEqualTo(Samples.JAVA.scan(input, ContentType.FORM).findings());
  }

  @Property(tries = 100)
  void backendsRedactFormsAlike(@ForAll("form") byte[] input, @ForAll RedactionStyle style) {
    assumeThat(Samples.HYPERSCAN).isNotNull();
    assertThat(Samples.redactChunked(Samples.HYPERSCAN, input, ContentType.FORM, style, List.of(7)))
        .isEqualTo(Samples.redactChunked(Samples.JAVA, input, ContentType.FORM, style, List.of()));
  }

  @Test
  void backendsAgreeOnEverySeededFragmentConcatenated() {
    assumeThat(Samples.HYPERSCAN).isNotNull();
    List<byte[]> parts = new ArrayList<>();
    for (String f : Samples.FRAGMENTS) {
      parts.add(Samples.utf8(f));
      parts.add(Samples.utf8(" \n"));
    }
    byte[] all = Samples.concat(parts);
    List<Finding> java = Samples.JAVA.scan(all, ContentType.TEXT).findings();
    assertThat(java).hasSizeGreaterThan(90);
    assertThat(Samples.HYPERSCAN.scan(all, ContentType.TEXT).findings()).isEqualTo(java);
  }
}
