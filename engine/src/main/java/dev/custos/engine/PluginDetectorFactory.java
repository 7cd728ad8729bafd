package dev.custos.engine;

/**
 * Creates the {@link PluginDetector} of a {@link PluginDetectorDefinition}: the plugin runtime a
 * {@link Scanner} is given through {@link Scanner.Builder#pluginDetectors}. Called once per
 * definition when the scanner is built; must be thread-safe if shared between builders.
 */
@FunctionalInterface
public interface PluginDetectorFactory {
  /**
   * Loads, checks and returns the detector of {@code definition}.
   *
   * @throws PluginDetectorException if the module cannot be read, does not match its SHA-256 or is
   *     not a valid detector; {@link Scanner.Builder#build()} passes it on
   */
  PluginDetector create(PluginDetectorDefinition definition);
}
