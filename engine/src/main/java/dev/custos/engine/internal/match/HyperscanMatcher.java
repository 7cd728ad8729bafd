package dev.custos.engine.internal.match;

import static java.util.Objects.requireNonNull;

import com.gliwka.hyperscan.jni.hs_compile_error_t;
import com.gliwka.hyperscan.jni.hs_database_t;
import com.gliwka.hyperscan.jni.hs_scratch_t;
import com.gliwka.hyperscan.jni.hs_stream_t;
import com.gliwka.hyperscan.jni.hyperscan;
import com.gliwka.hyperscan.jni.match_event_handler;
import dev.custos.engine.internal.pattern.PatternNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.jspecify.annotations.Nullable;

/**
 * The Hyperscan backend: all patterns compiled into one streaming database.
 *
 * <p>Thread-safe: the database is shared by all threads; each {@link MatchStream} holds only its
 * Hyperscan stream state. Scratch space and the native input buffer are needed only while a call
 * runs, so they come from a pool that grows to the number of concurrent calls. A chunk is copied
 * into the native buffer in slices of at most {@value #SLICE_BYTES} bytes, so no call allocates
 * once the pool is warm, and memory does not grow with chunk size.
 *
 * <p>{@link #close()} may be called while streams are still open (policy reload): the database is
 * freed when the last stream closes.
 */
public final class HyperscanMatcher implements MultiPatternMatcher {
  static final int SLICE_BYTES = 32 * 1024;

  private final @Nullable hs_database_t database;
  private final @Nullable hs_scratch_t prototype;
  private final ConcurrentLinkedDeque<ScanContext> pool = new ConcurrentLinkedDeque<>();
  private final Object cloneLock = new Object();
  /** One reference held by the matcher until {@link #close()}, one per open stream. */
  private final AtomicInteger references = new AtomicInteger(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final String origin;

  private HyperscanMatcher(
      @Nullable hs_database_t database, @Nullable hs_scratch_t prototype, String origin) {
    this.database = database;
    this.prototype = prototype;
    this.origin = origin;
  }

  /** Returns whether the Hyperscan native library loads and supports this CPU. Never throws. */
  public static boolean isAvailable() {
    return Availability.REASON == null;
  }

  /** Returns why Hyperscan is unavailable, for logs, or {@code null} when it is available. */
  public static @Nullable String unavailableReason() {
    return Availability.REASON;
  }

  /**
   * Compiles patterns into a streaming database; pattern {@code i} of the list reports as {@code
   * i}.
   *
   * @throws IllegalArgumentException naming the index of a pattern Hyperscan refuses
   * @throws IllegalStateException if Hyperscan is not {@linkplain #isAvailable() available}
   */
  public static HyperscanMatcher compile(List<PatternNode> patterns) {
    requireNonNull(patterns, "patterns");
    if (!isAvailable()) {
      throw new IllegalStateException("hyperscan: unavailable (" + unavailableReason() + ")");
    }
    List<String> expressions = new java.util.ArrayList<>(patterns.size());
    for (int i = 0; i < patterns.size(); i++) {
      expressions.add(requireNonNull(patterns.get(i), "patterns[" + i + "]").toHyperscan());
    }
    return compileExpressions(expressions);
  }

  /**
   * Compiles Hyperscan expressions (byte mode, no flags) into a streaming database; expression
   * {@code i} of the list reports as {@code i}.
   *
   * @throws IllegalArgumentException naming the index of an expression Hyperscan refuses
   * @throws IllegalStateException if Hyperscan is not {@linkplain #isAvailable() available}
   */
  public static HyperscanMatcher compileExpressions(List<String> sources) {
    return compileExpressions(sources, HyperscanCache.none());
  }

  /**
   * Compiles as {@link #compileExpressions(List)} does, or loads the database {@code cache} holds
   * for exactly these expressions (and this Hyperscan library); a database compiled here is stored
   * in {@code cache} for the next process. {@link #origin()} tells which happened.
   *
   * @throws IllegalArgumentException naming the index of an expression Hyperscan refuses
   * @throws IllegalStateException if Hyperscan is not {@linkplain #isAvailable() available}
   */
  public static HyperscanMatcher compileExpressions(List<String> sources, HyperscanCache cache) {
    requireNonNull(sources, "sources");
    requireNonNull(cache, "cache");
    if (!isAvailable()) {
      throw new IllegalStateException("hyperscan: unavailable (" + unavailableReason() + ")");
    }
    int count = sources.size();
    if (count == 0) {
      return new HyperscanMatcher(null, null, "empty database");
    }
    for (int i = 0; i < count; i++) {
      requireNonNull(sources.get(i), "sources[" + i + "]");
    }
    if (cache.directory() == null) {
      return compileNative(sources, "compiled (database cache off)");
    }
    byte[] key = HyperscanCache.key(Availability.VERSION, hyperscan.HS_MODE_STREAM, sources);
    byte[] stored = cache.read(key);
    if (stored != null) {
      hs_database_t loaded = deserialize(stored);
      if (loaded != null) {
        try {
          return new HyperscanMatcher(loaded, allocScratch(loaded),
              "database loaded from cache (" + cache.directory() + ")");
        } catch (RuntimeException e) {
          hyperscan.hs_free_database(loaded);
          throw e;
        }
      }
    }
    HyperscanMatcher compiled = compileNative(sources, "compiled");
    byte[] serialized = compiled.serialize();
    boolean written = serialized != null && cache.write(key, serialized);
    return new HyperscanMatcher(compiled.database, compiled.prototype,
        written
            ? "compiled, database cached (" + cache.directory() + ")"
            : "compiled (database cache not writable: " + cache.directory() + ")");
  }

  /** Returns how the database was obtained (compiled or loaded from the cache), for logs. */
  public String origin() {
    return origin;
  }

  /** Returns the serialized database, or null when Hyperscan cannot serialize it. */
  private byte @Nullable [] serialize() {
    if (database == null) {
      return null;
    }
    try (PointerPointer<BytePointer> bytesOut = new PointerPointer<>(1);
        SizeTPointer length = new SizeTPointer(1)) {
      if (hyperscan.hs_serialize_database(database, bytesOut, length) != hyperscan.HS_SUCCESS) {
        return null;
      }
      BytePointer bytes = bytesOut.get(BytePointer.class);
      try {
        long n = length.get();
        if (n <= 0 || n > Integer.MAX_VALUE - 64) {
          return null;
        }
        byte[] out = new byte[(int) n];
        bytes.capacity(n).get(out);
        return out;
      } finally {
        // Hyperscan allocates the serialized form with its misc allocator, malloc by default.
        Pointer.free(bytes);
      }
    }
  }

  /** Returns the database Hyperscan rebuilds from {@code bytes}, or null when it refuses them. */
  private static @Nullable hs_database_t deserialize(byte[] bytes) {
    try (BytePointer in = new BytePointer(bytes.length);
        PointerPointer<hs_database_t> databaseOut = new PointerPointer<>(1)) {
      in.put(bytes);
      databaseOut.put(0, null);
      int rc = hyperscan.hs_deserialize_database(in, bytes.length, databaseOut);
      if (rc != hyperscan.HS_SUCCESS) {
        return null;
      }
      hs_database_t database = databaseOut.get(hs_database_t.class);
      return database == null || database.isNull() ? null : database;
    }
  }

  private static hs_scratch_t allocScratch(hs_database_t database) {
    try (PointerPointer<hs_scratch_t> scratchOut = new PointerPointer<>(1)) {
      scratchOut.put(0, null);
      check(hyperscan.hs_alloc_scratch(database, scratchOut), "hs_alloc_scratch");
      return scratchOut.get(hs_scratch_t.class);
    }
  }

  private static HyperscanMatcher compileNative(List<String> sources, String origin) {
    int count = sources.size();
    BytePointer[] expressions = new BytePointer[count];
    int[] ids = new int[count];
    for (int i = 0; i < count; i++) {
      expressions[i] =
          new BytePointer(requireNonNull(sources.get(i), "sources[" + i + "]"), StandardCharsets.US_ASCII);
      ids[i] = i;
    }
    try (PointerPointer<BytePointer> expressionArray = new PointerPointer<>(expressions);
        IntPointer flagArray = new IntPointer(new int[count]);
        IntPointer idArray = new IntPointer(ids);
        PointerPointer<hs_database_t> databaseOut = new PointerPointer<>(1);
        PointerPointer<hs_compile_error_t> errorOut = new PointerPointer<>(1)) {
      int rc =
          hyperscan.hs_compile_multi(
              expressionArray,
              flagArray,
              idArray,
              count,
              hyperscan.HS_MODE_STREAM,
              null,
              databaseOut,
              errorOut);
      if (rc != hyperscan.HS_SUCCESS) {
        throw compileError(rc, errorOut.get(hs_compile_error_t.class));
      }
      hs_database_t database = databaseOut.get(hs_database_t.class);
      hs_scratch_t prototype;
      try {
        prototype = allocScratch(database);
      } catch (RuntimeException e) {
        hyperscan.hs_free_database(database);
        throw e;
      }
      return new HyperscanMatcher(database, prototype, origin);
    } finally {
      for (BytePointer e : expressions) {
        if (e != null) {
          e.close();
        }
      }
    }
  }

  private static RuntimeException compileError(int rc, @Nullable hs_compile_error_t error) {
    if (error == null || error.isNull()) {
      return new IllegalStateException("hs_compile_multi: error " + rc);
    }
    try {
      BytePointer message = error.message();
      String text = message == null || message.isNull() ? "unknown error" : message.getString();
      int index = error.expression();
      return index < 0
          ? new IllegalArgumentException(
              "patterns: " + text + " (expected: a database Hyperscan can build)")
          : new IllegalArgumentException(
              "patterns[" + index + "]: " + text + " (expected: an expression Hyperscan accepts)");
    } finally {
      hyperscan.hs_free_compile_error(error);
    }
  }

  @Override
  public String name() {
    return "hyperscan";
  }

  /**
   * Opens a new stream. The stream keeps this matcher's native database alive until it closes.
   *
   * @throws IllegalStateException if this matcher is closed
   */
  @Override
  public MatchStream newStream() {
    if (closed.get()) {
      throw new IllegalStateException("matcher: closed (expected: open)");
    }
    retain();
    if (database == null) {
      return new Stream(this, null);
    }
    try (PointerPointer<hs_stream_t> streamOut = new PointerPointer<>(1)) {
      check(hyperscan.hs_open_stream(database, 0, streamOut), "hs_open_stream");
      return new Stream(this, streamOut.get(hs_stream_t.class));
    } catch (RuntimeException e) {
      release();
      throw e;
    }
  }

  /** Returns the native memory each open stream holds for its state, in bytes. */
  long streamStateBytes() {
    if (database == null) {
      return 0;
    }
    try (SizeTPointer size = new SizeTPointer(1)) {
      check(hyperscan.hs_stream_size(database, size), "hs_stream_size");
      return size.get();
    }
  }

  /** Closes this matcher; native memory is freed once every stream opened from it is closed. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      release();
    }
  }

  private void retain() {
    while (true) {
      int n = references.get();
      if (n == 0) {
        throw new IllegalStateException("matcher: closed (expected: open)");
      }
      if (references.compareAndSet(n, n + 1)) {
        return;
      }
    }
  }

  private void release() {
    if (references.decrementAndGet() == 0) {
      ScanContext c;
      while ((c = pool.pollFirst()) != null) {
        c.free();
      }
      if (prototype != null) {
        hyperscan.hs_free_scratch(prototype);
      }
      if (database != null) {
        hyperscan.hs_free_database(database);
      }
    }
  }

  private ScanContext borrow() {
    ScanContext c = pool.pollFirst();
    if (c != null) {
      return c;
    }
    hs_scratch_t scratch;
    // hs_clone_scratch only reads the prototype, but clones are rare: keep them serial anyway.
    synchronized (cloneLock) {
      try (PointerPointer<hs_scratch_t> scratchOut = new PointerPointer<>(1)) {
        scratchOut.put(0, null);
        check(hyperscan.hs_clone_scratch(prototype, scratchOut), "hs_clone_scratch");
        scratch = scratchOut.get(hs_scratch_t.class);
      }
    }
    return new ScanContext(scratch);
  }

  private void giveBack(ScanContext c) {
    pool.offerFirst(c);
  }

  private static void check(int rc, String call) {
    if (rc == hyperscan.HS_NOMEM) {
      throw new OutOfMemoryError(call + ": out of native memory");
    }
    if (rc != hyperscan.HS_SUCCESS) {
      throw new IllegalStateException(
          call + ": error " + rc + " (expected: " + hyperscan.HS_SUCCESS + ")");
    }
  }

  /** Per-call native resources: scratch space and an input buffer. Used by one thread at a time. */
  private static final class ScanContext {
    final hs_scratch_t scratch;
    final BytePointer buffer = new BytePointer(SLICE_BYTES);

    ScanContext(hs_scratch_t scratch) {
      this.scratch = scratch;
    }

    void free() {
      hyperscan.hs_free_scratch(scratch);
      buffer.close();
    }
  }

  /** One Hyperscan stream. Confined to one thread at a time. */
  private static final class Stream implements MatchStream {
    private final HyperscanMatcher matcher;
    private @Nullable hs_stream_t state;
    private @Nullable EndSink lastSink;
    private boolean open = true;
    private boolean terminated;

    Stream(HyperscanMatcher matcher, @Nullable hs_stream_t state) {
      this.matcher = matcher;
      this.state = state;
    }

    @Override
    public void scan(byte[] bytes, int offset, int length, EndSink sink) {
      requireNonNull(bytes, "bytes");
      requireNonNull(sink, "sink");
      if (offset < 0 || length < 0 || length > bytes.length - offset) {
        throw new IndexOutOfBoundsException(
            "offset: " + offset + ", length: " + length
                + " (expected: within " + bytes.length + ")");
      }
      if (!open) {
        throw new IllegalStateException("stream: closed (expected: open)");
      }
      if (terminated) {
        throw new IllegalStateException(
            "stream: stopped by a failing sink (expected: a live stream)");
      }
      lastSink = sink;
      hs_stream_t s = state;
      if (s == null || length == 0) {
        return;
      }
      ScanContext c = matcher.borrow();
      Callback.Route route = Callback.ROUTE.get();
      EndSink outer = route.sink;
      route.sink = sink;
      try {
        for (int done = 0; done < length; ) {
          int n = Math.min(SLICE_BYTES, length - done);
          c.buffer.put(bytes, offset + done, n);
          int rc =
              hyperscan.hs_scan_stream(s, c.buffer, n, 0, c.scratch, Callback.HANDLER, null);
          done += n;
          if (rc == hyperscan.HS_SCAN_TERMINATED) {
            terminated = true;
            throw route.takeFailure();
          }
          check(rc, "hs_scan_stream");
        }
      } finally {
        route.sink = outer;
        matcher.giveBack(c);
      }
    }

    /**
     * Ends the data: Hyperscan reports the matches that needed to know the data ends here (such as
     * a {@code \b} after the last byte) to {@code sink}. The stream takes no more bytes.
     */
    @Override
    public void finish(EndSink sink) {
      requireNonNull(sink, "sink");
      if (!open) {
        throw new IllegalStateException("stream: closed (expected: open)");
      }
      hs_stream_t s = state;
      if (s == null) {
        return;
      }
      lastSink = sink;
      state = null;
      closeStream(s);
    }

    /** Closes the stream; matches Hyperscan reports at end of data go to the last sink. */
    @Override
    public void close() {
      if (!open) {
        return;
      }
      open = false;
      hs_stream_t s = state;
      state = null;
      try {
        if (s != null) {
          closeStream(s);
        }
      } finally {
        lastSink = null;
        matcher.release();
      }
    }

    private void closeStream(hs_stream_t s) {
      EndSink sink = lastSink;
      if (sink == null || terminated) {
        check(hyperscan.hs_close_stream(s, null, null, null), "hs_close_stream");
        return;
      }
      ScanContext c = matcher.borrow();
      Callback.Route route = Callback.ROUTE.get();
      EndSink outer = route.sink;
      route.sink = sink;
      try {
        int rc = hyperscan.hs_close_stream(s, c.scratch, Callback.HANDLER, null);
        if (rc == hyperscan.HS_SCAN_TERMINATED) {
          throw route.takeFailure();
        }
        check(rc, "hs_close_stream");
      } finally {
        route.sink = outer;
        matcher.giveBack(c);
      }
    }
  }

  /**
   * The one match callback of the process. JavaCPP gives each callback class a fixed number of
   * native slots (256 for this binding), so a handler per stream would cap open streams; instead
   * the handler finds the current sink through a thread-local route, since Hyperscan calls it on
   * the scanning thread before {@code hs_scan_stream} returns.
   */
  private static final class Callback extends match_event_handler {
    static final ThreadLocal<Route> ROUTE = ThreadLocal.withInitial(Route::new);
    static final Callback HANDLER = new Callback();

    static final class Route {
      @Nullable EndSink sink;
      @Nullable Throwable failure;

      /** Returns the sink's exception to rethrow; an {@link Error} is thrown from here. */
      RuntimeException takeFailure() {
        Throwable t = failure;
        failure = null;
        if (t instanceof RuntimeException r) {
          return r;
        }
        if (t instanceof Error e) {
          throw e;
        }
        return new IllegalStateException("sink: failed", t);
      }
    }

    @Override
    public int call(int id, long from, long to, int flags, @Nullable Pointer context) {
      Route route = ROUTE.get();
      try {
        requireNonNull(route.sink, "sink").onEnd(id, to);
        return 0;
      } catch (Throwable t) {
        // An exception must not unwind through native frames: stop scanning and rethrow later.
        route.failure = t;
        return 1;
      }
    }
  }

  /** Loads the native library once. */
  static final class Availability {
    static final @Nullable String REASON = probe();
    /** The library's version string (version and build date), part of the database cache key. */
    static final String VERSION = REASON == null ? version() : "unavailable";

    private static String version() {
      BytePointer v = hyperscan.hs_version();
      return v == null || v.isNull() ? "unknown" : v.getString();
    }

    /**
     * JavaCPP refuses native allocations once the process's resident memory passes twice the
     * maximum heap, and throws {@link OutOfMemoryError} from whatever thread allocates. A proxy
     * with a small heap that streams large bodies and compiles Hyperscan databases crosses that
     * line while nothing is wrong, so unless the deployment set it, the check is turned off:
     * Hyperscan's memory is bounded by the databases and streams we open, not by the heap.
     */
    private static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxPhysicalBytes";

    private static @Nullable String probe() {
      try {
        if (System.getProperty(MAX_PHYSICAL_BYTES) == null) {
          System.setProperty(MAX_PHYSICAL_BYTES, "0");
        }
        Loader.load(hyperscan.class);
        int rc = hyperscan.hs_valid_platform();
        return rc == hyperscan.HS_SUCCESS
            ? null
            : "hs_valid_platform: error " + rc + " (expected: a CPU with SSSE3)";
      } catch (LinkageError | RuntimeException e) {
        return e.toString();
      }
    }
  }
}
