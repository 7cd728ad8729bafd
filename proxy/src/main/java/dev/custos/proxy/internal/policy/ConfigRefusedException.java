package dev.custos.proxy.internal.policy;

/**
 * Thrown when a pulled configuration is valid but cannot be applied live, such as one that
 * would move a listener. The message names the setting and what was expected; it holds
 * settings only, never traffic.
 */
public final class ConfigRefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with its reason. */
  public ConfigRefusedException(String message) {
    super(message, null, false, false);
  }
}
