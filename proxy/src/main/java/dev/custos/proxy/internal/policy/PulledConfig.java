package dev.custos.proxy.internal.policy;

import static java.util.Objects.requireNonNull;

import dev.custos.proxy.ProxyConfig;

/**
 * A proxy configuration the command plane distributed, parsed with the proxy's own parser: its
 * label ({@code name@version}), the plane's ETag for it, its YAML and the parsed configuration
 * (its listener settings not yet compared with the running ones). Immutable.
 *
 * @param label the configuration's name and version, {@code name@version}
 * @param etag the plane's ETag, quoted
 * @param body the configuration YAML as the plane sent it
 * @param config the parsed configuration
 */
public record PulledConfig(String label, String etag, String body, ProxyConfig config) {
  /** Checks the values. */
  public PulledConfig {
    requireNonNull(label, "label");
    requireNonNull(etag, "etag");
    requireNonNull(body, "body");
    requireNonNull(config, "config");
  }

  @Override
  public String toString() {
    return "PulledConfig{" + label + "}";
  }
}
