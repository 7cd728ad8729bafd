package dev.custos.engine.internal.scan;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.StreamScanner;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A compiled set of detectors and the matcher that finds their candidates. (Work in progress.) */
public final class ScanEngine implements AutoCloseable {
  private ScanEngine() {}

  public static ScanEngine compile(
      List<DetectorDefinition> detectors, Backend backend, EvidenceKey key, ScanSettings settings) {
    throw new UnsupportedOperationException("not yet");
  }

  public Backend backend() {
    return Backend.JAVA;
  }

  public StreamScanner newStream(
      ContentType type, @Nullable RedactionStyle style, @Nullable RedactedOutput output) {
    throw new UnsupportedOperationException("not yet");
  }

  @Override
  public void close() {}
}
