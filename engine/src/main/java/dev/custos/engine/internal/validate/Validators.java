package dev.custos.engine.internal.validate;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/** The registry of validators by name. */
public final class Validators {
  private static final Map<String, Validator> BY_NAME = new TreeMap<>();

  static {
    register(new Luhn());
  }

  private Validators() {}

  private static void register(Validator v) {
    BY_NAME.put(v.name(), v);
  }

  /** Returns the validator with this name, or {@code null}. */
  public static @Nullable Validator byName(String name) {
    return BY_NAME.get(name);
  }

  /** Returns all validator names, sorted. */
  public static Set<String> names() {
    return BY_NAME.keySet();
  }
}
