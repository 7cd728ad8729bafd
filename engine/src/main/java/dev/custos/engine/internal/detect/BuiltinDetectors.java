package dev.custos.engine.internal.detect;

import dev.custos.engine.DetectorDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The built-in detectors and categories, loaded once from the class-path resources in {@link
 * #RESOURCES}, one file per family of data, read as one catalog. Immutable and thread-safe. A
 * broken resource fails class initialization with a message naming the file and the detector at
 * fault.
 */
public final class BuiltinDetectors {
  /** The class-path resources holding the catalog, in catalog order. */
  static final List<String> RESOURCES =
      List.of(
          "/dev/custos/engine/builtin/contact.yaml",
          "/dev/custos/engine/builtin/financial.yaml",
          "/dev/custos/engine/builtin/personal-ids.yaml",
          "/dev/custos/engine/builtin/secrets.yaml",
          "/dev/custos/engine/builtin/generic.yaml");

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
    Map<String, String> files = new LinkedHashMap<>();
    for (String resource : RESOURCES) {
      try (InputStream in = BuiltinDetectors.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException(resource + ": missing from the class path");
        }
        files.put(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(resource + ": cannot be read", e);
      }
    }
    try {
      return DetectorCatalog.parseAll(files);
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
