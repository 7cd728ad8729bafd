package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hostile-input suite's fixture catches a leak, and passes a case the proxy handles. */
class HostileProxyTest {
  @TempDir
  Path dir;

  @Test
  void aBlockedRequestPassesTheLeakChecks() {
    try (HostileProxy p = HostileProxy.start(dir)) {
      AggregatedHttpResponse res = WebClient.of(p.http()).execute(HttpRequest.of(HttpMethod.POST,
          "/submit", MediaType.JSON_UTF_8, "{\"ssn\":\"" + HostileProxy.SSN + "\"}"))
          .aggregate().join();
      assertThat(res.status()).isEqualTo(HttpStatus.FORBIDDEN);
      p.assertStillServes();
      p.assertNeverLeaked(HostileProxy.SSN);
    }
  }

  @Test
  void aValueThatReachesTheUpstreamFailsTheLeakCheck() {
    String uninspected = """
          - name: open
            match: { prefix: / }
            cluster: u
            inspection: { enabled: false }
        """;
    try (HostileProxy p = HostileProxy.start(dir, uninspected, "")) {
      WebClient.of(p.http()).execute(HttpRequest.of(HttpMethod.POST, "/submit",
          MediaType.JSON_UTF_8, "{\"ssn\":\"" + HostileProxy.SSN + "\"}")).aggregate().join();
      p.assertStillServes();
      assertThatThrownBy(() -> p.assertNeverLeaked(HostileProxy.SSN))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("body sent upstream");
    }
  }
}
