package dev.custos.wasm.proxywasm;

import static java.util.Objects.requireNonNull;

/** Builds a {@link ProxyWasmFilterConfig}. Not thread-safe. */
public final class ProxyWasmFilterConfigBuilder {
  private final String name;
  private String rootId = "";
  private String vmId = "";
  private byte[] pluginConfiguration = new byte[0];
  private byte[] vmConfiguration = new byte[0];

  ProxyWasmFilterConfigBuilder(String name) {
    this.name = name;
  }

  /** Sets the root id (Envoy's {@code root_id}; default empty). */
  public ProxyWasmFilterConfigBuilder rootId(String rootId) {
    this.rootId = requireNonNull(rootId, "rootId");
    return this;
  }

  /** Sets the VM id (Envoy's {@code vm_config.vm_id}; default empty). */
  public ProxyWasmFilterConfigBuilder vmId(String vmId) {
    this.vmId = requireNonNull(vmId, "vmId");
    return this;
  }

  /** Sets the plugin configuration (default empty); the array is copied. */
  public ProxyWasmFilterConfigBuilder pluginConfiguration(byte[] pluginConfiguration) {
    this.pluginConfiguration = requireNonNull(pluginConfiguration, "pluginConfiguration").clone();
    return this;
  }

  /** Sets the VM configuration (default empty); the array is copied. */
  public ProxyWasmFilterConfigBuilder vmConfiguration(byte[] vmConfiguration) {
    this.vmConfiguration = requireNonNull(vmConfiguration, "vmConfiguration").clone();
    return this;
  }

  /** Returns the configuration. */
  public ProxyWasmFilterConfig build() {
    return new ProxyWasmFilterConfig(name, rootId, vmId, pluginConfiguration, vmConfiguration);
  }
}
