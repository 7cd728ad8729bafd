package dev.custos.engine;

import java.util.Locale;

/** What a {@link Rule} does with the findings it covers. Written in lower case in policy YAML. */
public enum Action {
  /** Records the findings and changes nothing. */
  OBSERVE,
  /** Rewrites the found values in the message, in the rule's {@link RedactionStyle}. */
  REDACT,
  /** Refuses the message. */
  BLOCK,
  /** Records the findings and raises an alert; the message passes unchanged. */
  ALERT;

  /** Returns the lower-case id used in policy YAML ({@code observe}, {@code redact}…). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Returns whether this action weighs more than {@code other} when several rules cover the same
   * finding: block, then redact, then alert, then observe.
   */
  public boolean outranks(Action other) {
    return weight() > other.weight();
  }

  private int weight() {
    switch (this) {
      case BLOCK:
        return 3;
      case REDACT:
        return 2;
      case ALERT:
        return 1;
      default:
        return 0;
    }
  }

  /**
   * Returns the action with the given lower-case id.
   *
   * @throws IllegalArgumentException for an unknown id
   */
  public static Action ofId(String id) {
    for (Action a : values()) {
      if (a.id().equals(id)) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "action: " + id + " (expected: observe, redact, block or alert)");
  }
}
