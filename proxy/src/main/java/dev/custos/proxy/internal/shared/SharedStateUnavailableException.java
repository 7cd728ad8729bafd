package dev.custos.proxy.internal.shared;

/**
 * Thrown (as the cause of a failed stage) when the shared state could not be read or written and
 * the configuration says {@code on_unavailable: fail_closed}. The message names the store and the
 * server, never a key or a value.
 */
public final class SharedStateUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  SharedStateUnavailableException(String store, String server, Throwable cause) {
    super("shared state unavailable: " + store + " (redis " + server + ": "
        + cause.getClass().getSimpleName() + ")", cause, false, false);
  }

  /** Returns whether {@code error} or one of its causes is this exception. */
  public static boolean isCause(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SharedStateUnavailableException) {
        return true;
      }
    }
    return false;
  }
}
