package dev.custos.cli.internal;

import dev.custos.proxy.ProxyConfig;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Recognizes a listener that could not bind its address, whichever transport reported it. */
public final class BindFailure {
  private BindFailure() {}

  /**
   * Returns {@code " on HOST:PORT (KEY)"} for the first address of {@code addresses} (key → host
   * and port, in the order the proxy binds them) that cannot be bound now, or {@code ""} when
   * each can (ports 0 are skipped). Called after a failed start, once the proxy has released what
   * it had bound: the address still taken is the one that failed. Netty's native transport does
   * not name it.
   */
  public static String which(Map<String, ProxyConfig.Address> addresses) {
    for (Map.Entry<String, ProxyConfig.Address> e : addresses.entrySet()) {
      ProxyConfig.Address a = e.getValue();
      if (a.port() == 0) {
        continue;
      }
      try (ServerSocket probe = new ServerSocket()) {
        probe.setReuseAddress(true);
        probe.bind(new InetSocketAddress(a.host(), a.port()));
      } catch (IOException | RuntimeException taken) {
        return " on " + a + " (" + e.getKey() + ")";
      }
    }
    return "";
  }

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
