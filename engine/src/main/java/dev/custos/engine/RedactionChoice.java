package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * Chooses, finding by finding, whether and how a redacting stream rewrites it: a proxy masks cards
 * on the way out but only observes emails, say.
 */
@FunctionalInterface
public interface RedactionChoice {
  /**
   * Returns a choice that rewrites every finding in {@code style}.
   */
  static RedactionChoice always(RedactionStyle style) {
    requireNonNull(style, "style");
    return finding -> style;
  }

  /**
   * Returns the style to rewrite a finding in, or {@code null} to leave its bytes as they are.
   * Called once per finding, on the thread feeding the stream, when the finding becomes final
   * (before its bytes are written out).
   */
  @Nullable RedactionStyle styleFor(Finding finding);
}
