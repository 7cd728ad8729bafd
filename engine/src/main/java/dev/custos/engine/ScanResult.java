package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Set;

/** The outcome of scanning a whole input: findings in order of start offset, and notes. Immutable. */
public final class ScanResult {
  private final List<Finding> findings;
  private final Set<ScanNote> notes;
  private final long bytesScanned;

  /** Returns a result. */
  public static ScanResult of(List<Finding> findings, Set<ScanNote> notes, long bytesScanned) {
    return new ScanResult(findings, notes, bytesScanned);
  }

  private ScanResult(List<Finding> findings, Set<ScanNote> notes, long bytesScanned) {
    this.findings = List.copyOf(requireNonNull(findings, "findings"));
    this.notes = Set.copyOf(requireNonNull(notes, "notes"));
    this.bytesScanned = bytesScanned;
  }

  /** Returns the findings, ordered by start offset, then end offset, then detector id. */
  public List<Finding> findings() {
    return findings;
  }

  /** Returns what the caller should know about how the input was scanned. */
  public Set<ScanNote> notes() {
    return notes;
  }

  /** Returns how many bytes were scanned. */
  public long bytesScanned() {
    return bytesScanned;
  }

  @Override
  public String toString() {
    return "ScanResult{" + findings.size() + " findings, notes=" + notes + ", bytes=" + bytesScanned + '}';
  }
}
