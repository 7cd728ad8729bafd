package dev.custos.proxy.internal.inspect;

import dev.custos.proxy.FindingsEvent;
import io.netty.util.AttributeKey;
import java.util.ArrayList;
import java.util.List;

/**
 * What the inspection layer did in one exchange, for the access log: the caller's identity hash
 * and the findings events of the request and the response. Stored in the request context by the
 * inspection layer; holds no value. Thread-safe.
 */
public final class InspectionRecord {
  /** The request context attribute holding the record. */
  public static final AttributeKey<InspectionRecord> KEY =
      AttributeKey.valueOf(InspectionRecord.class, "INSPECTION_RECORD");

  private final String identityHash;
  private final List<FindingsEvent> events = new ArrayList<>(2);
  private int bodyScanners;

  InspectionRecord(String identityHash) {
    this.identityHash = identityHash;
  }

  /** Returns the keyed hash of the caller's identity, as findings events show it. */
  public String identityHash() {
    return identityHash;
  }

  synchronized void add(FindingsEvent event) {
    events.add(event);
  }

  synchronized void addBodyScanners(int n) {
    bodyScanners += n;
  }

  /**
   * Returns how many body scanners the exchange's finished messages opened: none for a message
   * without a body, one for a body scanned as it streams.
   */
  synchronized int bodyScannersOpened() {
    return bodyScanners;
  }

  /** Returns the events so far, request before response. */
  public synchronized List<FindingsEvent> events() {
    return List.copyOf(events);
  }
}
