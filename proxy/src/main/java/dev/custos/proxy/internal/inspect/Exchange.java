package dev.custos.proxy.internal.inspect;

import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import dev.custos.proxy.InspectionSettings;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;

/**
 * What the request and the response of one exchange share: the settings it started with, its
 * meters, and the caller's identity, kept only as a keyed hash. Immutable.
 */
final class Exchange {
  /**
   * The last key's MAC on this thread, and the last identity it hashed: exchanges run on a few
   * event loops, under one key, and a caller usually sends more than one request.
   */
  private static final ThreadLocal<KeyedMac> MACS = new ThreadLocal<>();

  private static final class KeyedMac {
    final EvidenceKey key;
    final Mac mac;
    String lastIdentity = "";
    String lastHash = "";

    KeyedMac(EvidenceKey key) {
      this.key = key;
      this.mac = key.newMac();
    }
  }

  private final InspectionSettings settings;
  private final InspectionMetrics metrics;
  private final String identityHash;
  private final InspectionRecord record;

  Exchange(InspectionSettings settings, InspectionMetrics metrics, String identity) {
    this.settings = settings;
    this.metrics = metrics;
    this.identityHash = hash(settings.identityKey(), identity);
    this.record = new InspectionRecord(identityHash);
  }

  /** Returns the record of this exchange that the access log reads. */
  InspectionRecord record() {
    return record;
  }

  private static String hash(EvidenceKey key, String identity) {
    KeyedMac m = MACS.get();
    if (m == null || m.key != key) {
      m = new KeyedMac(key);
      MACS.set(m);
    } else if (m.lastIdentity.equals(identity) && !identity.isEmpty()) {
      return m.lastHash;
    }
    byte[] h = m.mac.doFinal(identity.getBytes(StandardCharsets.UTF_8)); // Resets the MAC.
    String hash = HexFormat.of().formatHex(h, 0, 8);
    m.lastIdentity = identity;
    m.lastHash = hash;
    return hash;
  }

  InspectionSettings settings() {
    return settings;
  }

  InspectionMetrics metrics() {
    return metrics;
  }

  Scanner scanner() {
    return settings.scanner();
  }

  Policy policy() {
    return settings.policy();
  }

  boolean enforce() {
    return policy().enforce();
  }

  /** Returns the keyed hash of the caller's identity (16 hex digits). */
  String identityHash() {
    return identityHash;
  }
}
