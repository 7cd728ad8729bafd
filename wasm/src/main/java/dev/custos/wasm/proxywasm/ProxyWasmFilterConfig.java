package dev.custos.wasm.proxywasm;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Holds one filter's configuration as Envoy's {@code envoy.filters.http.wasm} does: {@code name},
 * {@code root_id}, {@code vm_config.vm_id}, {@code configuration} (plugin configuration) and
 * {@code vm_config.configuration} (VM configuration).
 *
 * <p>Immutable and thread-safe; the byte arrays are copied in and out.
 */
public final class ProxyWasmFilterConfig {
  private final String name;
  private final String rootId;
  private final String vmId;
  private final byte[] pluginConfiguration;
  private final byte[] vmConfiguration;

  ProxyWasmFilterConfig(
      String name, String rootId, String vmId, byte[] pluginConfiguration, byte[] vmConfiguration) {
    this.name = name;
    this.rootId = rootId;
    this.vmId = vmId;
    this.pluginConfiguration = pluginConfiguration.clone();
    this.vmConfiguration = vmConfiguration.clone();
  }

  /** Returns a configuration with the given plugin configuration and everything else empty. */
  public static ProxyWasmFilterConfig of(String name, byte[] pluginConfiguration) {
    return builder(name).pluginConfiguration(pluginConfiguration).build();
  }

  /** Returns a builder for a configuration of the named plugin. */
  public static ProxyWasmFilterConfigBuilder builder(String name) {
    requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("name: \"\" (expected: a non-empty plugin name)");
    }
    return new ProxyWasmFilterConfigBuilder(name);
  }

  /** Returns the plugin name ({@code plugin_name}; the {@code plugin} tag on metrics and logs). */
  public String name() {
    return name;
  }

  /** Returns the root id ({@code plugin_root_id}), which SDKs use to pick the root context. */
  public String rootId() {
    return rootId;
  }

  /** Returns the VM id ({@code plugin_vm_id}). */
  public String vmId() {
    return vmId;
  }

  /** Returns a copy of the bytes handed to {@code proxy_on_configure}. */
  public byte[] pluginConfiguration() {
    return pluginConfiguration.clone();
  }

  /** Returns a copy of the bytes handed to {@code proxy_on_vm_start}. */
  public byte[] vmConfiguration() {
    return vmConfiguration.clone();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof ProxyWasmFilterConfig that
        && name.equals(that.name)
        && rootId.equals(that.rootId)
        && vmId.equals(that.vmId)
        && Arrays.equals(pluginConfiguration, that.pluginConfiguration)
        && Arrays.equals(vmConfiguration, that.vmConfiguration);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + rootId.hashCode()) + Arrays.hashCode(pluginConfiguration);
  }

  /** Returns the names and sizes, never the configuration bytes. */
  @Override
  public String toString() {
    return "ProxyWasmFilterConfig{name="
        + name
        + ", rootId="
        + rootId
        + ", vmId="
        + vmId
        + ", pluginConfiguration="
        + pluginConfiguration.length
        + " bytes, vmConfiguration="
        + vmConfiguration.length
        + " bytes}";
  }
}
