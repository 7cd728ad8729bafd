package dev.custos.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.proxy.ProxyConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The admin view of the running configuration shows {@code http1_relay} as it was read. */
class ConfigJsonRelayTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"auto", "off"})
  void http1RelayIsWrittenBackAsRead(String mode) {
    String yaml = """
        listen: 127.0.0.1:0
        http1_relay: %s
        routes:
          - match: { prefix: / }
            cluster: c
        clusters:
          c: { endpoints: ["127.0.0.1:9"] }
        """.formatted(mode);
    ProxyConfig config = ProxyConfig.parse(yaml, "custos.yaml", dir);

    assertThat(ConfigJson.render(config).get("http1_relay").asText()).isEqualTo(mode);
    String back = yaml.replace("http1_relay: " + mode, "http1_relay: "
        + ConfigJson.render(config).get("http1_relay").asText());
    assertThat(ProxyConfig.parse(back, "custos.yaml", dir).http1Relay())
        .isEqualTo(config.http1Relay());
  }
}
