package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import dev.custos.engine.internal.scan.AllowFilter;
import dev.custos.engine.internal.scan.ScanEngine;
import dev.custos.engine.internal.scan.ScanSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

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
 *
 * <p>A policy with {@linkplain Policy#pluginDetectors() plugin detectors} needs a runtime for them:
 * {@link Builder#pluginDetectors(PluginDetectorFactory)}. Plugins run synchronously inside {@link
 * StreamScanner#feed}; a caller on an event loop should feed such streams elsewhere.
 */
public final class Scanner implements AutoCloseable {
  private final ScanEngine engine;
  private final Policy policy;

  private Scanner(Builder b) {
    this.policy = b.policy;
    EvidenceKey key = b.evidenceKey != null ? b.evidenceKey : EvidenceKey.fromEnvironment();
    List<PluginDetectorDefinition> definitions = b.policy.pluginDetectors();
    List<PluginDetector> plugins = new ArrayList<>(definitions.size());
    try {
      for (PluginDetectorDefinition d : definitions) {
        PluginDetectorFactory factory = b.pluginFactory;
        if (factory == null) {
          throw new IllegalStateException("categories." + d.category() + ": detector '" + d.id()
              + "' (wasm: " + d.location() + ") needs a plugin runtime (expected:"
              + " Scanner.builder(...).pluginDetectors(...), as custos scan and the proxy provide)");
        }
        PluginDetector plugin = factory.create(d);
        if (plugin == null) {
          throw new IllegalStateException("detector '" + d.id()
              + "': the plugin runtime returned null (expected: a plugin detector)");
        }
        plugins.add(plugin);
      }
      this.engine =
          ScanEngine.compile(
              b.policy.detectors(),
              definitions,
              plugins,
              b.backend,
              key,
              new ScanSettings(b.contextWindow, b.maxJsonDepth, b.maxJsonTokenLength,
                  AllowFilter.of(b.policy.allowlist(), b.policy.rules())));
    } catch (RuntimeException e) {
      for (PluginDetector p : plugins) {
        try {
          p.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /**
   * Loads the built-in detector catalog and the automata compiled for it at build time, which the
   * first {@link Policy} or scanner would otherwise load. A process may call this from a background
   * thread as it starts, so that the work overlaps its own set-up. Idempotent and thread-safe; a
   * failure is left for the first real use to report.
   */
  public static void preloadBuiltins() {
    try {
      dev.custos.engine.internal.detect.BuiltinDetectors.all();
      dev.custos.engine.internal.scan.DetectorDfas.builtin();
    } catch (RuntimeException | LinkageError e) {
      // Reported, with its cause, where the catalog is first used.
    }
  }

  /** Returns a builder that compiles {@code policy}. */
  public static Builder builder(Policy policy) {
    return new Builder(requireNonNull(policy, "policy"));
  }

  /** Returns the backend actually running ({@link Backend#JAVA} or {@link Backend#HYPERSCAN}). */
  public Backend backend() {
    return engine.backend();
  }

  /**
   * Returns how the compiled form was obtained, for diagnostics ({@code custos scan --verbose}):
   * whether the detectors' automata came from the build's compiled-detector cache and whether the
   * Hyperscan database was loaded from the on-disk database cache or compiled. Holds no data.
   */
  public String compileNotes() {
    return engine.compileNotes();
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
   * Opens a stream scanner for content of the given type whose declared character set (the
   * {@code charset} parameter of its media type) is {@code charset}, or null when none is declared.
   *
   * <p>Text and JSON are scanned as the characters they encode: the encoding is decided by the
   * first 64 bytes (a byte-order mark; else the NUL bytes of UTF-16 or UTF-32 text holding ASCII;
   * else a declared UTF-16 or UTF-32 {@code charset}, unless the bytes are plain ASCII; else the
   * bytes as they are, UTF-8 or any ASCII-compatible encoding). UTF-16 and UTF-32 are decoded for
   * matching, and JSON string escapes (<code>&#92;u0034</code>, <code>&#92;/</code>) are decoded too. Findings give
   * offsets into the original bytes, covering whole code units and escape sequences, and redaction
   * rewrites the original encoding: {@code mask} and {@code partial} keep its length, an escape
   * sequence is masked whole.
   */
  public StreamScanner newStream(ContentType contentType, @Nullable Charset charset) {
    return engine.newStream(requireNonNull(contentType, "contentType"), charset, null, null);
  }

  /**
   * Opens a redacting stream, as {@link #newRedactingStream(ContentType, RedactionChoice,
   * RedactedOutput)} does, for content declared in {@code charset} (or null; see {@link
   * #newStream(ContentType, Charset)}).
   */
  public StreamScanner newRedactingStream(ContentType contentType, @Nullable Charset charset,
      RedactionChoice choice, RedactedOutput output) {
    return engine.newStream(
        requireNonNull(contentType, "contentType"),
        charset,
        requireNonNull(choice, "choice"),
        requireNonNull(output, "output"));
  }

  /**
   * Opens a stream scanner that also writes the input to {@code output}, with every finding
   * rewritten in the given style.
   */
  public StreamScanner newRedactingStream(
      ContentType contentType, RedactionStyle style, RedactedOutput output) {
    return newRedactingStream(contentType, RedactionChoice.always(style), output);
  }

  /**
   * Opens a stream scanner that also writes the input to {@code output}, with each finding
   * rewritten in the style {@code choice} gives it, or left as it is. Every finding is still
   * reported.
   */
  public StreamScanner newRedactingStream(
      ContentType contentType, RedactionChoice choice, RedactedOutput output) {
    return engine.newStream(
        requireNonNull(contentType, "contentType"),
        requireNonNull(choice, "choice"),
        requireNonNull(output, "output"));
  }

  /**
   * Opens a stream scanner for a {@code multipart/*} body whose media type declares {@code
   * boundary} (see {@link ContentType#MULTIPART}).
   *
   * @throws IllegalArgumentException if {@code boundary} is not valid (see {@link
   *     #isValidBoundary})
   */
  public StreamScanner newMultipartStream(String boundary) {
    requireNonNull(boundary, "boundary");
    return engine.newMultipartStream(boundary, null, 0, null, null);
  }

  /**
   * Opens a redacting stream for a {@code multipart/*} body whose media type declares {@code
   * boundary}: each finding is rewritten in the style {@code choice} gives it, within its part,
   * and the delimiters are written as they came.
   *
   * @throws IllegalArgumentException if {@code boundary} is not valid (see {@link
   *     #isValidBoundary})
   */
  public StreamScanner newRedactingMultipartStream(
      String boundary, RedactionChoice choice, RedactedOutput output) {
    requireNonNull(boundary, "boundary");
    return engine.newMultipartStream(
        boundary, null, 0, requireNonNull(choice, "choice"), requireNonNull(output, "output"));
  }

  /**
   * Returns whether {@code boundary} is a multipart boundary this scanner splits on: 1 to 200
   * characters of RFC 2046's {@code bchars} (letters, digits, space and {@code '()+_,-./:=?}), not
   * ending with a space. A {@code multipart/*} message without one cannot be inspected.
   */
  public static boolean isValidBoundary(@Nullable String boundary) {
    return dev.custos.engine.internal.scan.ScanEngine.isValidBoundary(boundary);
  }

  /**
   * Opens a stream scanner for protobuf or gRPC content ({@link ContentType#PROTOBUF}, {@link
   * ContentType#GRPC} or {@link ContentType#GRPC_WEB_TEXT}) whose (top-level) messages are of type {@code messageType} of {@code schema}:
   * findings carry field names ({@code $.user.payment.card_number}, {@code $[2].card.number} for
   * gRPC), and a field's name is context as a JSON key is.
   *
   * @throws IllegalArgumentException for another content type, or a type the schema lacks
   */
  public StreamScanner newStream(ContentType contentType, ProtobufSchema schema, String messageType) {
    return engine.newProtobufStream(protobufType(contentType), requireNonNull(schema, "schema"),
        rootOf(schema, messageType), null, null);
  }

  /**
   * Opens a redacting stream for protobuf or gRPC content read with a schema, as {@link
   * #newStream(ContentType, ProtobufSchema, String)} reads it, rewriting findings as {@link
   * #newRedactingStream(ContentType, RedactionChoice, RedactedOutput)} does.
   */
  public StreamScanner newRedactingStream(ContentType contentType, ProtobufSchema schema, String messageType,
      RedactionChoice choice, RedactedOutput output) {
    return engine.newProtobufStream(protobufType(contentType), requireNonNull(schema, "schema"),
        rootOf(schema, messageType), requireNonNull(choice, "choice"), requireNonNull(output, "output"));
  }

  private static ContentType protobufType(ContentType contentType) {
    requireNonNull(contentType, "contentType");
    if (contentType != ContentType.PROTOBUF && contentType != ContentType.GRPC
        && contentType != ContentType.GRPC_WEB_TEXT) {
      throw new IllegalArgumentException("contentType: " + contentType.id() + " (expected: protobuf, grpc or grpc_web_text"
          + " with a protobuf schema)");
    }
    return contentType;
  }

  private static ProtobufSchema.Message rootOf(ProtobufSchema schema, String messageType) {
    requireNonNull(messageType, "messageType");
    ProtobufSchema.Message root = schema.message(messageType);
    if (root == null) {
      throw new IllegalArgumentException("messageType: " + messageType
          + " (expected: a message type of the schema, full name without a leading dot)");
    }
    return root;
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

  /** Releases the compiled matcher's native resources, if any, and closes the plugin detectors. */
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
    private @Nullable EvidenceKey evidenceKey;
    private @Nullable PluginDetectorFactory pluginFactory;
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

    /**
     * Sets the runtime that makes the policy's {@linkplain Policy#pluginDetectors() plugin
     * detectors} (such as the WebAssembly one of the {@code wasm} module). Needed only when the
     * policy has any; {@link #build()} calls it once per plugin detector.
     */
    public Builder pluginDetectors(PluginDetectorFactory factory) {
      this.pluginFactory = requireNonNull(factory, "factory");
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
     * @throws IllegalStateException if {@link Backend#HYPERSCAN} was asked for and cannot load, or
     *     the policy has plugin detectors and no {@linkplain #pluginDetectors plugin runtime} was
     *     given
     * @throws PluginDetectorException if the plugin runtime cannot load a plugin detector (the
     *     detectors already made are closed)
     */
    public Scanner build() {
      return new Scanner(this);
    }
  }
}
