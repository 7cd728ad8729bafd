package dev.custos.engine.internal.detect;

import dev.custos.engine.DetectorDefinition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The built-in detectors, in a stable order. */
public final class BuiltinDetectors {
  private static final List<DetectorDefinition> ALL = List.of(
      DetectorDefinition.builder("credit_card.pan", "credit_card", "[3-6]\\d{3}(?:[ -]?\\d{4}){2}[ -]?\\d{1,7}")
          .description("Payment card number (13 to 19 digits) passing the Luhn check")
          .validator("luhn")
          .context(List.of("card", "visa", "mastercard", "amex", "pan"))
          .normalization(DetectorDefinition.Normalization.DIGITS)
          .examples(List.of("4111 1111 1111 1111"))
          .counterExamples(List.of("4111 1111 1111 1112"))
          .build(),
      DetectorDefinition.builder("us_ssn.dashed", "us_ssn", "\\d{3}-\\d{2}-\\d{4}")
          .description("US Social Security number")
          .context(List.of("ssn", "social security"))
          .normalization(DetectorDefinition.Normalization.DIGITS)
          .examples(List.of("078-05-1120"))
          .build(),
      DetectorDefinition.builder("email.address", "email", "[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63})*\\.[A-Za-z]{2,24}")
          .description("Email address")
          .normalization(DetectorDefinition.Normalization.LOWERCASE)
          .examples(List.of("jane.doe@example.com"))
          .build());
  private static final Map<String, DetectorDefinition> BY_ID = new LinkedHashMap<>();

  static {
    for (DetectorDefinition d : ALL) {
      BY_ID.put(d.id(), d);
    }
  }

  private BuiltinDetectors() {}

  /** Returns every built-in detector. */
  public static List<DetectorDefinition> all() {
    return ALL;
  }

  /** Returns the built-in detector with this id, or {@code null}. */
  public static @Nullable DetectorDefinition byId(String id) {
    return BY_ID.get(id);
  }
}
