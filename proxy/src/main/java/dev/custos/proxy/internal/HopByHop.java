package dev.custos.proxy.internal;

import com.linecorp.armeria.common.HttpHeaderNames;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The hop-by-hop headers a proxy removes before forwarding (RFC 9110, section 7.6.1), shared by
 * the Armeria path ({@link ForwardingService}) and the HTTP/1.1 relay so that both forward the
 * same headers. {@code TE: trailers} is kept unless the Connection header names it: HTTP/2 allows
 * it and gRPC needs it end to end. Stateless.
 */
public final class HopByHop {
  /** The headers that are hop-by-hop whatever the Connection header says. */
  public static final List<AsciiString> NAMES = List.of(HttpHeaderNames.CONNECTION,
      HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.of("proxy-connection"), HttpHeaderNames.TE,
      HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE);

  private HopByHop() {}

  /**
   * Passes to {@code remove} each header name (lower case) the Connection header's values list,
   * pseudo-headers aside, and returns whether {@code te} was among them.
   */
  public static boolean removeNamed(Iterable<String> connectionValues, Consumer<String> remove) {
    boolean teNamed = false;
    for (String value : connectionValues) {
      for (String token : value.split(",")) {
        String t = token.trim().toLowerCase(Locale.ROOT);
        if (!t.isEmpty() && !t.startsWith(":")) {
          remove.accept(t);
          teNamed |= t.equals("te");
        }
      }
    }
    return teNamed;
  }

  /** Returns whether a request's {@code TE} value is forwarded as {@code TE: trailers}. */
  public static boolean keepsTrailers(@Nullable String te, boolean teNamed) {
    return te != null && !teNamed && te.trim().equalsIgnoreCase("trailers");
  }
}
