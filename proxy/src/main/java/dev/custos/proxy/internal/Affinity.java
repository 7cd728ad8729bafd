package dev.custos.proxy.internal;

import com.linecorp.armeria.client.Endpoint;
import dev.custos.engine.EvidenceKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * Signs and checks affinity cookies: {@code cluster~endpointId~signature}, where the endpoint id
 * is a keyed hash of the endpoint's address (never the address itself) and the signature an
 * HMAC-SHA256 of the rest under the deployment key. Thread-safe.
 */
public final class Affinity {
  private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();
  private static final int MAX_VALUE_LENGTH = 256;

  /** A cookie that verified: the cluster and the endpoint id it names. */
  record Pin(String cluster, String endpointId) {}

  private final EvidenceKey key;

  public Affinity(EvidenceKey key) {
    this.key = key;
  }

  /** Returns the id of an endpoint of a cluster: 16 hex digits of a keyed hash. */
  String endpointId(String cluster, Endpoint endpoint) {
    byte[] mac = mac("endpoint\0" + cluster + "\0" + endpoint.authority());
    return HexFormat.of().formatHex(mac, 0, 8);
  }

  /** Returns the signed cookie value naming an endpoint of a cluster. */
  String cookieValue(String cluster, String endpointId) {
    String payload = cluster + "~" + endpointId;
    return payload + "~" + signature(payload);
  }

  /** Returns what a cookie value names, or null when it is malformed or its signature is wrong. */
  @Nullable Pin verify(@Nullable String value) {
    if (value == null || value.length() > MAX_VALUE_LENGTH) {
      return null;
    }
    int last = value.lastIndexOf('~');
    int first = value.indexOf('~');
    if (first <= 0 || last <= first) {
      return null;
    }
    String payload = value.substring(0, last);
    byte[] expected = signature(payload).getBytes(StandardCharsets.US_ASCII);
    byte[] actual = value.substring(last + 1).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, actual)) {
      return null;
    }
    return new Pin(value.substring(0, first), value.substring(first + 1, last));
  }

  private String signature(String payload) {
    return BASE64.encodeToString(mac("affinity\0" + payload));
  }

  private byte[] mac(String text) {
    return key.hmac(text.getBytes(StandardCharsets.UTF_8));
  }
}
