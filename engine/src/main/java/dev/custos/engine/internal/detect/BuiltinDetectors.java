package dev.custos.engine.internal.detect;

import dev.custos.engine.DetectorDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The built-in detectors and categories, loaded once from the class-path resource {@value
 * #RESOURCE}. Immutable and thread-safe. A broken resource fails class initialization with a
 * message naming the detector at fault.
 */
public final class BuiltinDetectors {
  /** The class-path resource holding the catalog. */
  static final String RESOURCE = "/dev/custos/engine/builtin-detectors.yaml";

  private static final DetectorCatalog CATALOG = load();
  private static final Map<String, DetectorDefinition> BY_ID = index(CATALOG.detectors());

  private BuiltinDetectors() {}

  /** Returns every built-in detector, in catalog order. */
  public static List<DetectorDefinition> all() {
    return CATALOG.detectors();
  }

  /** Returns the built-in detector with this id, or {@code null}. */
  public static @Nullable DetectorDefinition byId(String id) {
    return BY_ID.get(id);
  }

  /** Returns the built-in categories, in catalog order: category id to a one-line description. */
  public static Map<String, String> categories() {
    return CATALOG.categories();
  }

  private static DetectorCatalog load() {
    try (InputStream in = BuiltinDetectors.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + ": missing from the class path");
      }
      return DetectorCatalog.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException(RESOURCE + ": cannot be read", e);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("invalid built-in detector catalog: " + e.getMessage(), e);
    }
  }

  private static Map<String, DetectorDefinition> index(List<DetectorDefinition> detectors) {
    Map<String, DetectorDefinition> byId = new HashMap<>();
    for (DetectorDefinition d : detectors) {
      byId.put(d.id(), d);
    }
    return Map.copyOf(byId);
  }
}
