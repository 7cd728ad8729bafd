package dev.custos.engine.internal.scan;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.ProtobufSchema;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.PluginDetector;
import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.RedactedOutput;
import dev.custos.engine.RedactionChoice;
import dev.custos.engine.StreamScanner;
import dev.custos.engine.internal.match.HyperscanCache;
import dev.custos.engine.internal.match.HyperscanMatcher;
import dev.custos.engine.internal.match.JavaMatcher;
import dev.custos.engine.internal.match.MultiPatternMatcher;
import dev.custos.engine.internal.pattern.ByteDfa;
import dev.custos.engine.internal.pattern.DfaCache;
import dev.custos.engine.internal.pattern.PatternNode;
import dev.custos.engine.internal.pattern.PatternParser;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A compiled set of detectors, the matcher that finds their candidates, and shared settings.
 * Immutable and thread-safe; each stream gets its own {@link StreamScannerImpl}.
 */
public final class ScanEngine implements AutoCloseable {
  private final CompiledDetector[] detectors;
  private final PluginRunner[] plugins;
  private final MatcherLayout layout;
  private final MultiPatternMatcher matcher;
  private final Backend backend;
  private final EvidenceKey key;
  private final ScanSettings settings;
  private final int maxLength;
  private final String dfaCacheStatus;

  private ScanEngine(
      CompiledDetector[] detectors,
      PluginRunner[] plugins,
      MatcherLayout layout,
      MultiPatternMatcher matcher,
      Backend backend,
      EvidenceKey key,
      ScanSettings settings,
      String dfaCacheStatus) {
    this.dfaCacheStatus = dfaCacheStatus;
    this.detectors = detectors;
    this.plugins = plugins;
    this.layout = layout;
    this.matcher = matcher;
    this.backend = backend;
    this.key = key;
    this.settings = settings;
    int max = 1;
    for (CompiledDetector d : detectors) {
      max = Math.max(max, d.maxLength);
    }
    for (PluginRunner p : plugins) {
      max = Math.max(max, p.maxLength);
    }
    this.maxLength = max;
  }

  /**
   * Compiles detectors for a backend, without plugin detectors.
   *
   * @throws IllegalArgumentException for an invalid pattern or unknown validator
   * @throws IllegalStateException when Hyperscan is asked for and cannot load
   */
  public static ScanEngine compile(
      List<DetectorDefinition> definitions, Backend backend, EvidenceKey key, ScanSettings settings) {
    return compile(definitions, List.of(), List.of(), backend, key, settings);
  }

  /**
   * Compiles detectors for a backend, with plugin detectors ({@code pluginDetectors.get(i)} made
   * from {@code pluginDefinitions.get(i)}), which the engine closes with itself.
   *
   * @throws IllegalArgumentException for an invalid pattern or unknown validator
   * @throws IllegalStateException when Hyperscan is asked for and cannot load
   */
  public static ScanEngine compile(
      List<DetectorDefinition> definitions,
      List<PluginDetectorDefinition> pluginDefinitions,
      List<PluginDetector> pluginDetectors,
      Backend backend,
      EvidenceKey key,
      ScanSettings settings) {
    return compile(definitions, pluginDefinitions, pluginDetectors, backend, key, settings,
        DetectorDfas.builtin());
  }

  /**
   * Compiles as {@link #compile(List, List, List, Backend, EvidenceKey, ScanSettings)} does,
   * taking detectors' automata from {@code cache} where it holds them.
   */
  static ScanEngine compile(
      List<DetectorDefinition> definitions,
      List<PluginDetectorDefinition> pluginDefinitions,
      List<PluginDetector> pluginDetectors,
      Backend backend,
      EvidenceKey key,
      ScanSettings settings,
      DfaCache cache) {
    return compile(definitions, pluginDefinitions, pluginDetectors, backend, key, settings, cache,
        HyperscanCache.fromEnvironment());
  }

  /**
   * Compiles as {@link #compile(List, List, List, Backend, EvidenceKey, ScanSettings, DfaCache)}
   * does, loading (and storing) the Hyperscan database in {@code databases}.
   */
  static ScanEngine compile(
      List<DetectorDefinition> definitions,
      List<PluginDetectorDefinition> pluginDefinitions,
      List<PluginDetector> pluginDetectors,
      Backend backend,
      EvidenceKey key,
      ScanSettings settings,
      DfaCache cache,
      HyperscanCache databases) {
    if (pluginDefinitions.size() != pluginDetectors.size()) {
      throw new IllegalArgumentException("pluginDetectors: " + pluginDetectors.size()
          + " (expected: one per definition, " + pluginDefinitions.size() + ")");
    }
    PluginRunner[] plugins = new PluginRunner[pluginDefinitions.size()];
    for (int i = 0; i < plugins.length; i++) {
      plugins[i] = new PluginRunner(
          definitions.size() + i, pluginDefinitions.get(i), pluginDetectors.get(i));
    }
    CompiledDetector[] detectors =
        java.util.stream.IntStream.range(0, definitions.size())
            .parallel()
            .mapToObj(i -> new CompiledDetector(i, definitions.get(i), cache))
            .toArray(CompiledDetector[]::new);
    Backend chosen = Backends.choose(backend);
    MatcherLayout layout = MatcherLayout.of(detectors);
    MultiPatternMatcher matcher = Backends.compile(chosen, layout, detectors, cache, databases);
    return new ScanEngine(
        detectors, plugins, layout, matcher, chosen, key, settings, cache.status());
  }

  /** Returns the backend running. */
  public Backend backend() {
    return backend;
  }

  /** Returns how many detectors took their automata from the compiled-detector cache. */
  public int cachedDetectors() {
    int n = 0;
    for (CompiledDetector d : detectors) {
      n += d.fromCache ? 1 : 0;
    }
    return n;
  }

  /**
   * Returns how the compiled form was obtained, for {@code --verbose}: how many detectors' automata
   * came from the compiled-detector cache and, with Hyperscan, whether its database was loaded from
   * the database cache or compiled.
   */
  public String compileNotes() {
    String automata = "automata of " + cachedDetectors() + " of " + detectors.length
        + " detectors from the compiled-detector cache (" + dfaCacheStatus + ")";
    return matcher instanceof HyperscanMatcher h
        ? automata + "; hyperscan " + h.origin()
        : automata;
  }

  /** Returns the number of pattern detectors. */
  public int detectorCount() {
    return detectors.length;
  }

  /** Returns the longest match of any detector, in bytes. */
  public int maxLength() {
    return maxLength;
  }

  /** Opens a stream; redacting when {@code redaction} and {@code output} are given. */
  public StreamScanner newStream(
      ContentType type, @Nullable RedactionChoice redaction, @Nullable RedactedOutput output) {
    return newStream(type, null, redaction, output);
  }

  /**
   * Opens a stream of text declared in {@code charset} (null when none is), which decides the
   * encoding only when the bytes do not (see {@link TextDecoder}); redacting when {@code
   * redaction} and {@code output} are given.
   */
  public StreamScanner newStream(ContentType type, @Nullable Charset charset,
      @Nullable RedactionChoice redaction, @Nullable RedactedOutput output) {
    if (type == ContentType.FORM) {
      return stream(null, new FormDecoder(output != null), null, redaction, output);
    }
    if (type == ContentType.GRPC || type == ContentType.GRPC_WEB_TEXT || type == ContentType.PROTOBUF) {
      return newProtobufStream(type, null, null, redaction, output);
    }
    if (type == ContentType.MULTIPART) {
      return newMultipartStream(null, charset, 0, redaction, output);
    }
    if (type == ContentType.EVENT_STREAM) {
      // A choice stream reports a finding at most this far behind the bytes fed to it.
      int horizon = 2 * maxLength + settings.contextWindow + 1024;
      return new EventStream((t, r, o) -> newStream(t, StandardCharsets.UTF_8, r, o), horizon,
          redaction, output);
    }
    return new TranscodedStream(
        out -> stream(
            type == ContentType.JSON ? new JsonTracker(settings.maxJsonDepth, settings.maxJsonTokenLength) : null,
            null,
            new TextDecoder(type == ContentType.JSON, charset, out != null),
            redaction,
            out),
        out -> stream(null, null, null, redaction, out),
        charset,
        output);
  }

  /**
   * Opens a stream of a multipart body split on {@code boundary} (or on the one its first line
   * gives, when null), nested {@code depth} deep; redacting when {@code redaction} and {@code
   * output} are given.
   *
   * @throws IllegalArgumentException if {@code boundary} is not a valid multipart boundary
   */
  public StreamScanner newMultipartStream(@Nullable String boundary, @Nullable Charset charset,
      int depth, @Nullable RedactionChoice redaction, @Nullable RedactedOutput output) {
    return new MultipartStream(this::part, boundary, charset, depth, redaction, output);
  }

  /** Returns whether {@code boundary} is a valid multipart boundary. */
  public static boolean isValidBoundary(@Nullable String boundary) {
    return MultipartStream.isValidBoundary(boundary);
  }

  private StreamScanner part(ContentType type, @Nullable Charset charset, @Nullable String boundary,
      int depth, @Nullable RedactionChoice redaction, @Nullable RedactedOutput output) {
    if (type == ContentType.MULTIPART) {
      return newMultipartStream(boundary, charset, depth, redaction, output);
    }
    return newStream(type, charset, redaction, output);
  }

  /**
   * Opens a protobuf or gRPC stream whose (top-level) messages are of type {@code root} of {@code
   * schema}, or read without a schema when both are null; redacting when {@code redaction} and
   * {@code output} are given.
   */
  public StreamScanner newProtobufStream(ContentType type, @Nullable ProtobufSchema schema,
      ProtobufSchema.@Nullable Message root, @Nullable RedactionChoice redaction,
      @Nullable RedactedOutput output) {
    if (type == ContentType.GRPC_WEB_TEXT) {
      // Base64 output cannot be released between messages: nothing is held for joining.
      return EncodedStream.ofGrpcWebText(
          (c, o) -> grpcStream(schema, root, c, o, false),
          (c, o) -> newStream(ContentType.TEXT, null, c, o), redaction, output);
    }
    if (type == ContentType.GRPC) {
      return grpcStream(schema, root, redaction, output, true);
    }
    return stream(null, new ProtobufDecoder(output != null, schema, root), null, redaction, output);
  }

  /**
   * Opens a gRPC stream whose consecutive messages join their text over the longest match plus the
   * context window each side of the seam, at most {@link #MAX_JOIN_WINDOW} bytes: the seam is
   * scanned once per message and field, so its window stays small (a card, an IBAN, a key id or an
   * address with the words before it fit; a PEM block split between messages does not).
   */
  private GrpcStream grpcStream(@Nullable ProtobufSchema schema, ProtobufSchema.@Nullable Message root,
      @Nullable RedactionChoice redaction, @Nullable RedactedOutput output, boolean mayHold) {
    return new GrpcStream((t, r, c, o, leaves) -> t == ContentType.PROTOBUF
            ? stream(null, new ProtobufDecoder(o != null, schema, r, leaves), null, c, o)
            : newStream(t, null, c, o),
        root, redaction, output, Math.min(MAX_JOIN_WINDOW, maxLength + settings.contextWindow), mayHold,
        // A seam is a protobuf string's bytes, scanned as they are, as its message's scan does.
        () -> stream(null, null, null, null, null));
  }

  /** The most bytes of text each side of a seam between two gRPC messages scanned as one. */
  static final int MAX_JOIN_WINDOW = 128;

  private StreamScannerImpl stream(@Nullable JsonTracker json, @Nullable FieldDecoder form,
      @Nullable TextDecoder text, @Nullable RedactionChoice redaction, @Nullable RedactedOutput output) {
    return new StreamScannerImpl(
        detectors,
        plugins,
        layout,
        maxLength,
        settings.contextWindow,
        matcher.newStream(),
        json,
        form,
        text,
        new EvidenceMaker(key),
        redaction,
        output,
        settings.allow);
  }

  /** Releases the matcher's native resources and closes the plugin detectors. */
  @Override
  public void close() {
    try {
      matcher.close();
    } finally {
      for (PluginRunner p : plugins) {
        closeQuietly(p.detector);
      }
    }
  }

  /** Closes a plugin detector; its failure to close must not hide the closing of the others. */
  static void closeQuietly(PluginDetector detector) {
    try {
      detector.close();
    } catch (RuntimeException e) {
      // Nothing to do: the detector's resources are its runtime's to account for.
    }
  }

  /** Chooses and builds backends. */
  static final class Backends {
    private Backends() {}

    static Backend choose(Backend requested) {
      switch (requested) {
        case AUTO:
          return HyperscanMatcher.isAvailable() ? Backend.HYPERSCAN : Backend.JAVA;
        case HYPERSCAN:
          if (!HyperscanMatcher.isAvailable()) {
            throw new IllegalStateException(
                "engine: hyperscan (expected: a loadable Hyperscan native library; "
                    + HyperscanMatcher.unavailableReason()
                    + "; use auto or java)");
          }
          return Backend.HYPERSCAN;
        default:
          return requested;
      }
    }

    static MultiPatternMatcher compile(
        Backend backend,
        MatcherLayout layout,
        CompiledDetector[] detectors,
        DfaCache cache,
        HyperscanCache databases) {
      List<PatternNode> patterns = new ArrayList<>(layout.patternCount());
      List<String> expressions = new ArrayList<>(layout.patternCount());
      List<ByteDfa> searching = new ArrayList<>(layout.patternCount());
      boolean[] raw = new boolean[layout.patternCount()];
      for (int p = 0; p < layout.patternCount(); p++) {
        int d = layout.detectorOf(p);
        if (d >= 0) {
          patterns.add(detectors[d].exactPattern);
          if (backend == Backend.HYPERSCAN) {
            expressions.add(bounded(detectors[d].exactPattern));
          }
          searching.add(detectors[d].searchDfa);
        } else {
          PatternNode keyword = PatternParser.caseInsensitiveLiteral(layout.keywordOf(p));
          patterns.add(keyword);
          if (backend == Backend.HYPERSCAN) {
            expressions.add(keyword.toHyperscan());
          } else {
            String literal = layout.keywordOf(p);
            ByteDfa cached = cache.get(DetectorDfas.KEYWORD, literal);
            searching.add(cached != null ? cached : ByteDfa.searching(keyword));
          }
          raw[p] = true;
        }
      }
      return backend == Backend.HYPERSCAN
          ? HyperscanMatcher.compileExpressions(expressions, databases)
          : JavaMatcher.ofSearching(searching, raw);
    }

    /**
     * Returns the Hyperscan expression of a detector pattern with the word boundaries the pipeline
     * demands stated where Hyperscan's {@code \b} expresses them exactly. A candidate may not start
     * or end between two word bytes ({@code [0-9A-Za-z_]}, which is also {@code \w} in Hyperscan's
     * byte mode); when every byte a match may begin with is a word byte, that is {@code \b} before
     * the match, and likewise after it. Ends Hyperscan then leaves out are ones the pipeline would
     * drop, so findings do not change, while no match attempt starts inside a run of digits or
     * letters: on text full of numbers and identifiers this is most of Hyperscan's work.
     */
    static String bounded(PatternNode pattern) {
      String expression = pattern.toHyperscan();
      if (pattern.minLength() == 0) {
        return expression;
      }
      boolean before = allWordBytes(pattern.firstBytes());
      boolean after = allWordBytes(pattern.lastBytes());
      if (!before && !after) {
        return expression;
      }
      return (before ? "\\b" : "") + "(?:" + expression + ")" + (after ? "\\b" : "");
    }

    private static boolean allWordBytes(java.util.BitSet bytes) {
      for (int b = bytes.nextSetBit(0); b >= 0; b = bytes.nextSetBit(b + 1)) {
        if (!((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_')) {
          return false;
        }
      }
      return !bytes.isEmpty();
    }
  }
}
