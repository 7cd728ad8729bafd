package dev.custos.cli.internal;

import java.io.IOException;
import java.net.BindException;
import org.jspecify.annotations.Nullable;

/** Recognizes a listener that could not bind its address, whichever transport reported it. */
public final class BindFailure {
  private BindFailure() {}

  /**
   * Returns the exception in {@code e}'s cause chain that says an address could not be bound, or
   * {@code null}. Netty's native transport reports it as an {@link IOException} of its own whose
   * message starts with {@code bind(..) failed}, not as a {@link BindException}.
   */
  public static @Nullable Throwable find(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof BindException
          || (c instanceof IOException && String.valueOf(c.getMessage()).contains("bind("))) {
        return c;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }
}
