package dev.custos.proxy.internal.identity;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.util.InetAddressPredicates;
import com.nimbusds.jwt.JWTParser;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.IdentitySource;
import dev.custos.proxy.Identity;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Finds the caller's {@link Identity} from a request: the first of the policy's sources that yields
 * one wins. Immutable and thread-safe.
 *
 * <ul>
 *   <li>{@code jwt}: the header's token (an optional {@code Bearer } prefix stripped) is decoded,
 *       not verified, and the claim's value becomes the identity; a missing header, a token that
 *       does not parse or a missing claim pass on to the next source.
 *   <li>{@code header}: a non-empty header value (such as an API key).
 *   <li>{@code client_ip}: the peer's address; when the peer is a trusted proxy, the nearest
 *       address in {@code X-Forwarded-For} (read from the right) that is not itself trusted. Only
 *       IP literals are accepted there: nothing is ever resolved through DNS.
 * </ul>
 *
 * Values are hashed with the deployment's evidence key, so replicas sharing a key agree on
 * identities and no value is ever kept.
 */
public final class IdentityResolver {
  private final List<Source> sources;
  private final EvidenceKey key;
  private final IdentityHasher hasher;

  /** Creates a resolver for the policy's sources, hashing with {@code key}. */
  public IdentityResolver(List<IdentitySource> sources, EvidenceKey key) {
    requireNonNull(sources, "sources");
    this.key = requireNonNull(key, "key");
    this.hasher = new IdentityHasher(key);
    List<Source> compiled = new ArrayList<>(sources.size());
    for (IdentitySource s : sources) {
      compiled.add(compile(requireNonNull(s, "sources[]")));
    }
    this.sources = List.copyOf(compiled);
  }

  /** Returns the caller of a request whose connection comes from {@code peer}. */
  public Identity resolve(RequestHeaders headers, InetAddress peer) {
    requireNonNull(headers, "headers");
    requireNonNull(peer, "peer");
    for (Source s : sources) {
      Identity identity = s.resolve(headers, peer);
      if (identity != null) {
        return identity;
      }
    }
    return Identity.ANONYMOUS;
  }

  private interface Source {
    @Nullable Identity resolve(RequestHeaders headers, InetAddress peer);
  }

  private Source compile(IdentitySource source) {
    if (source instanceof IdentitySource.Jwt jwt) {
      return (headers, peer) -> {
        String claim = claim(headers.get(jwt.header()), jwt.claim());
        return claim == null ? null : identity(Identity.Kind.JWT, claim);
      };
    }
    if (source instanceof IdentitySource.Header header) {
      return (headers, peer) -> {
        String value = headers.get(header.name());
        return value == null || value.isBlank() ? null : identity(Identity.Kind.HEADER, value.strip());
      };
    }
    IdentitySource.ClientIp clientIp = (IdentitySource.ClientIp) source;
    Predicate<InetAddress> trusted = trusted(clientIp.trustedProxies());
    return (headers, peer) -> identity(Identity.Kind.CLIENT_IP, clientAddress(headers, peer, trusted));
  }

  private static Predicate<InetAddress> trusted(List<String> cidrs) {
    Predicate<InetAddress> any = address -> false;
    for (String cidr : cidrs) {
      any = any.or(InetAddressPredicates.ofCidr(cidr));
    }
    return any;
  }

  /** Returns the client's address: the peer, or the nearest untrusted hop it forwarded for. */
  public static String clientAddress(RequestHeaders headers, InetAddress peer, Predicate<InetAddress> trusted) {
    InetAddress client = peer;
    if (trusted.test(peer)) {
      List<String> hops = new ArrayList<>();
      for (String header : headers.getAll("x-forwarded-for")) {
        for (String hop : header.split(",")) {
          hops.add(hop.strip());
        }
      }
      for (int i = hops.size() - 1; i >= 0; i--) {
        InetAddress hop = ipLiteral(hops.get(i));
        if (hop == null) {
          break; // not an address: stop trusting the chain here
        }
        client = hop;
        if (!trusted.test(hop)) {
          break;
        }
      }
    }
    return NetUtil.toAddressString(client);
  }

  private static @Nullable InetAddress ipLiteral(String text) {
    String t = text;
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1);
    }
    return NetUtil.isValidIpV4Address(t) || NetUtil.isValidIpV6Address(t)
        ? NetUtil.createInetAddressFromIpAddressString(t)
        : null;
  }

  /** Returns the claim's value of the token in a header, or null; the token is decoded only. */
  static @Nullable String claim(@Nullable String header, String claim) {
    if (header == null) {
      return null;
    }
    String token = header.strip();
    if (token.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = token.substring(7).strip();
    }
    if (token.isEmpty()) {
      return null;
    }
    try {
      Object value = JWTParser.parse(token).getJWTClaimsSet().getClaim(claim);
      if (value instanceof String s) {
        return s.isEmpty() ? null : s;
      }
      return value instanceof Number || value instanceof Boolean ? value.toString() : null;
    } catch (ParseException | RuntimeException e) {
      return null; // not a JWT (or not one we can read): the next source decides
    }
  }

  private Identity identity(Identity.Kind kind, String value) {
    return hasher.identity(kind, value, false);
  }

  @Override
  public String toString() {
    return "IdentityResolver{sources=" + sources.size() + ", key=" + key + "}";
  }
}
