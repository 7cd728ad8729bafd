package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.internal.scan.ScanEngine;
import dev.custos.engine.internal.scan.ScanSettings;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A policy compiled once into a multi-pattern matcher; immutable and shared by all threads. Open a
 * {@link StreamScanner} per stream, or scan a whole input at once. Every pattern runs in a
 * linear-time automaton (Hyperscan or a pure-Java DFA), so no input makes a scan super-linear.
 *
 * <pre>{@code
 * try (Scanner scanner = Scanner.builder(Policy.ofDefault()).build()) {
 *   ScanResult result = scanner.scan(bytes, ContentType.JSON);
 * }
 * }</pre>
 */
public final class Scanner implements AutoCloseable {
  private final ScanEngine engine;
  private final Policy policy;

  private Scanner(Builder b) {
    this.policy = b.policy;
    EvidenceKey key = b.evidenceKey != null ? b.evidenceKey : EvidenceKey.fromEnvironment();
    this.engine =
        ScanEngine.compile(
            b.policy.detectors(),
            b.backend,
            key,
            new ScanSettings(b.contextWindow, b.maxJsonDepth, b.maxJsonTokenLength));
  }

  /** Returns a builder that compiles {@code policy}. */
  public static Builder builder(Policy policy) {
    return new Builder(requireNonNull(policy, "policy"));
  }

  /** Returns the backend actually running ({@link Backend#JAVA} or {@link Backend#HYPERSCAN}). */
  public Backend backend() {
    return engine.backend();
  }

  /** Returns the policy this scanner was compiled from. */
  public Policy policy() {
    return policy;
  }

  /** Opens a stream scanner for content of the given type. */
  public StreamScanner newStream(ContentType contentType) {
    return engine.newStream(requireNonNull(contentType, "contentType"), null, null);
  }

  /**
   * Opens a stream scanner that also writes the input to {@code output}, with every finding
   * rewritten in the given style.
   */
  public StreamScanner newRedactingStream(
      ContentType contentType, RedactionStyle style, RedactedOutput output) {
    return engine.newStream(
        requireNonNull(contentType, "contentType"),
        requireNonNull(style, "style"),
        requireNonNull(output, "output"));
  }

  /** Scans a whole input. */
  public ScanResult scan(byte[] bytes, ContentType contentType) {
    requireNonNull(bytes, "bytes");
    try (StreamScanner stream = newStream(contentType)) {
      List<Finding> findings = new ArrayList<>(stream.feed(bytes, 0, bytes.length));
      findings.addAll(stream.finish());
      return ScanResult.of(findings, stream.notes(), stream.bytesScanned());
    }
  }

  /** Scans everything {@code in} yields, in 64 KiB chunks, without holding it whole. */
  public ScanResult scan(InputStream in, ContentType contentType) throws IOException {
    requireNonNull(in, "in");
    try (StreamScanner stream = newStream(contentType)) {
      List<Finding> findings = new ArrayList<>();
      byte[] buffer = new byte[65536];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        findings.addAll(stream.feed(buffer, 0, n));
      }
      findings.addAll(stream.finish());
      return ScanResult.of(findings, stream.notes(), stream.bytesScanned());
    }
  }

  /** Releases the compiled matcher's native resources, if any. */
  @Override
  public void close() {
    engine.close();
  }

  @Override
  public String toString() {
    return "Scanner{" + policy + ", backend=" + backend().id() + '}';
  }

  /** Builds a {@link Scanner}. Not thread-safe. */
  public static final class Builder {
    private final Policy policy;
    private Backend backend = Backend.AUTO;
    private @org.jspecify.annotations.Nullable EvidenceKey evidenceKey;
    private int contextWindow = ScanSettings.DEFAULT_CONTEXT_WINDOW;
    private int maxJsonDepth = ScanSettings.DEFAULT_MAX_JSON_DEPTH;
    private int maxJsonTokenLength = ScanSettings.DEFAULT_MAX_JSON_TOKEN_LENGTH;

    private Builder(Policy policy) {
      this.policy = policy;
    }

    /** Sets the backend (default {@link Backend#AUTO}). */
    public Builder backend(Backend backend) {
      this.backend = requireNonNull(backend, "backend");
      return this;
    }

    /** Sets the evidence key (default: {@link EvidenceKey#fromEnvironment()}). */
    public Builder evidenceKey(EvidenceKey evidenceKey) {
      this.evidenceKey = requireNonNull(evidenceKey, "evidenceKey");
      return this;
    }

    /** Sets how many bytes before and after a match are searched for context words (default 48). */
    public Builder contextWindow(int bytes) {
      if (bytes < 0 || bytes > 4096) {
        throw new IllegalArgumentException("contextWindow: " + bytes + " (expected: 0 to 4096)");
      }
      this.contextWindow = bytes;
      return this;
    }

    /** Sets the JSON nesting depth past which content is scanned as text (default 256). */
    public Builder maxJsonDepth(int depth) {
      if (depth < 1 || depth > 100_000) {
        throw new IllegalArgumentException("maxJsonDepth: " + depth + " (expected: 1 to 100000)");
      }
      this.maxJsonDepth = depth;
      return this;
    }

    /** Sets the longest JSON token in bytes past which content is scanned as text (default 1 MiB). */
    public Builder maxJsonTokenLength(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxJsonTokenLength: " + bytes + " (expected: at least 1024)");
      }
      this.maxJsonTokenLength = bytes;
      return this;
    }

    /**
     * Compiles the policy.
     *
     * @throws IllegalArgumentException if a detector's pattern or validator is invalid
     * @throws IllegalStateException if {@link Backend#HYPERSCAN} was asked for and cannot load
     */
    public Scanner build() {
      return new Scanner(this);
    }
  }
}
