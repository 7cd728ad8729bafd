package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import org.junit.jupiter.api.Test;

class RepresentationTest {
  static Representation of(String... nameValues) {
    var b = RequestHeaders.builder(HttpMethod.POST, "/");
    for (int i = 0; i < nameValues.length; i += 2) {
      b.add(nameValues[i], nameValues[i + 1]);
    }
    return Representation.of(b.build());
  }

  @Test
  void disagreeingLinesAreAmbiguousAndNamedWithoutTheirValues() {
    Representation ce = of("content-encoding", "identity", "content-encoding", "gzip");
    assertThat(ce.ambiguous()).isTrue();
    assertThat(ce.problem()).isEqualTo("conflicting Content-Encoding headers");
    Representation ct = of("content-type", "image/png", "content-type", "application/json");
    assertThat(ct.ambiguous()).isTrue();
    assertThat(ct.problem()).isEqualTo("conflicting Content-Type headers");
    assertThat(of("content-type", "application/json",
        "content-type", "application/json; charset=utf-16").ambiguous()).isTrue();
  }

  @Test
  void agreeingLinesAreOneValueAndEncodingLinesOneList() {
    Representation ct = of("content-type", "application/json", "content-type", "APPLICATION/JSON");
    assertThat(ct.ambiguous()).isFalse();
    assertThat(ct.mediaType()).isEqualTo(MediaType.JSON);
    Representation ce = of("content-encoding", "gzip", "content-encoding", " GZIP ");
    assertThat(ce.ambiguous()).isFalse();
    assertThat(BodyDecoder.codings(ce.contentEncoding())).containsExactly("gzip", "gzip");
    assertThat(of("content-encoding", "x-gzip", "content-encoding", "gzip").ambiguous()).isFalse();
  }

  @Test
  void anInvalidMediaTypeIsScannedAsText() {
    Representation r = of("content-type", "image/png, application/json");
    assertThat(r.ambiguous()).isFalse();
    assertThat(Media.contentTypeOf(r.mediaType())).isEqualTo(dev.custos.engine.ContentType.TEXT);
    assertThat(Media.skippable(r.mediaType(), MediaSignaturesTest.DEFAULT_SKIPS)).isNull();
    assertThat(of().mediaType()).isNull();
    assertThat(of().contentEncoding()).isNull();
  }
}
