package dev.custos.wasm.internal.proxywasm;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExportSection;
import dev.custos.wasm.proxywasm.Action;
import dev.custos.wasm.proxywasm.Direction;
import dev.custos.wasm.proxywasm.HeaderMapType;
import dev.custos.wasm.proxywasm.ProxyWasmException;
import dev.custos.wasm.proxywasm.ProxyWasmException.Kind;
import dev.custos.wasm.proxywasm.ProxyWasmFilterConfig;
import dev.custos.wasm.proxywasm.ProxyWasmHost;
import dev.custos.wasm.proxywasm.ProxyWasmSharedData;
import dev.custos.wasm.proxywasm.ProxyWasmStream;
import dev.custos.wasm.proxywasm.ProxyWasmVm;
import dev.custos.wasm.proxywasm.StreamHost;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Implements {@link ProxyWasmVm} and the host side of the ABI. Confined to one thread. */
public final class ProxyWasmVmImpl implements ProxyWasmVm {
  static final int ROOT_CONTEXT = 1;
  private static final Logger PLUGIN_LOG = LoggerFactory.getLogger("dev.custos.wasm.proxywasm.plugin");

  private final ProxyWasmFilterConfig config;
  private final String name;
  private final byte[] pluginConfiguration;
  private final byte[] vmConfiguration;
  private final PluginMetrics metrics;
  private final ProxyWasmSharedData sharedData;
  private final Clock clock;
  private final ProxyWasmHost rootHost;
  private final Map<List<String>, byte[]> rootProperties = new HashMap<>();
  private final Map<Integer, StreamImpl> streams = new HashMap<>();
  private final Set<Integer> pendingCalls = new HashSet<>();
  private final StdioLines stdout;
  private final StdioLines stderr;
  private final List<PluginMetrics.Metric> definedMetrics = new ArrayList<>();
  private final Set<String> exports = new HashSet<>();
  /** The guest functions called so far, looked up once each on the instance. */
  private final Map<String, ExportFunction> functions = new HashMap<>();
  private final Map<String, ImportFunction> hostFunctions = new HashMap<>();
  private ImportValues imports = ImportValues.empty();
  private boolean started;

  private @Nullable Instance instance;
  private String abiVersion = "";
  private String allocator = "";
  private int nextContextId = ROOT_CONTEXT + 1;
  private int nextToken = 1;
  private int effectiveContext = ROOT_CONTEXT;
  private long tickPeriodMillis;
  private @Nullable CallResponse callResponse;
  private boolean failed;

  private record CallResponse(
      List<Map.Entry<String, String>> headers, byte[] body, List<Map.Entry<String, String>> trailers) {}

  private ProxyWasmVmImpl(
      ProxyWasmFilterConfig config,
      PluginMetrics metrics,
      ProxyWasmSharedData sharedData,
      Clock clock,
      ProxyWasmHost rootHost) {
    this.config = config;
    this.name = config.name();
    this.pluginConfiguration = config.pluginConfiguration();
    this.vmConfiguration = config.vmConfiguration();
    this.metrics = metrics;
    this.sharedData = sharedData;
    this.clock = clock;
    this.rootHost = rootHost;
    this.stdout = new StdioLines(metrics.log(), 1);
    this.stderr = new StdioLines(metrics.log(), 2);
  }

  /** Checks the ABI, creates the imports, lets {@code instantiate} build the instance, starts. */
  public static ProxyWasmVmImpl start(
      ProxyWasmFilterConfig config,
      PluginMetrics metrics,
      ProxyWasmSharedData sharedData,
      Clock clock,
      ProxyWasmHost rootHost,
      WasmModule module,
      Function<ImportValues, Instance> instantiate) {
    ProxyWasmVmImpl vm = prepare(config, metrics, sharedData, clock, rootHost, module);
    vm.attach(instantiate.apply(vm.imports));
    return vm;
  }

  /**
   * Checks the ABI and creates the host functions, without an instance yet; {@link #begin} starts
   * the VM on one. Used by the sandbox, whose grants call {@link #hostFunction} of the VM that
   * belongs to the calling instance.
   */
  public static ProxyWasmVmImpl prepare(
      ProxyWasmFilterConfig config,
      PluginMetrics metrics,
      ProxyWasmSharedData sharedData,
      Clock clock,
      ProxyWasmHost rootHost,
      WasmModule module) {
    ProxyWasmVmImpl vm = new ProxyWasmVmImpl(config, metrics, sharedData, clock, rootHost);
    vm.checkAbi(module);
    List<String> stubbed = new ArrayList<>();
    vm.imports = HostFunctions.imports(vm, module, stubbed);
    for (int i = 0; i < vm.imports.functionCount(); i++) {
      ImportFunction f = vm.imports.function(i);
      vm.hostFunctions.put(f.module() + "." + f.name(), f);
    }
    if (!stubbed.isEmpty()) {
      PLUGIN_LOG.info("[{}] imports not implemented by this host (stubbed): {}", vm.name, stubbed);
    }
    return vm;
  }

  /** Starts a prepared VM on an instance of its module (initialize, VM start, configure). */
  public void begin(Instance instance) {
    attach(instance);
  }

  /** Returns whether {@link #begin} completed. */
  public boolean started() {
    return started;
  }

  /** Returns the host function this VM provides for an import, or null. */
  public @Nullable ImportFunction hostFunction(String module, String name) {
    return hostFunctions.get(module + "." + name);
  }

  private void checkAbi(WasmModule module) {
    ExportSection section = module.exportSection();
    for (int i = 0; i < section.exportCount(); i++) {
      exports.add(section.getExport(i).name());
    }
    if (exports.contains("proxy_abi_version_0_2_1")) {
      abiVersion = "0.2.1";
    } else if (exports.contains("proxy_abi_version_0_2_0")) {
      abiVersion = "0.2.0";
    } else {
      List<String> found =
          exports.stream().filter(e -> e.startsWith("proxy_abi_version_")).sorted().toList();
      throw new ProxyWasmException(
          Kind.UNSUPPORTED_ABI,
          "proxy-wasm plugin "
              + name
              + ": ABI version: "
              + (found.isEmpty() ? "none exported" : found)
              + " (expected: proxy_abi_version_0_2_0 or proxy_abi_version_0_2_1)");
    }
    if (exports.contains("proxy_on_memory_allocate")) {
      allocator = "proxy_on_memory_allocate";
    } else if (exports.contains("malloc")) {
      allocator = "malloc";
    }
  }

  private void attach(Instance instance) {
    if (instance.module().exportSection().exportCount() != exports.size()) {
      throw new IllegalArgumentException(
          "instantiate: an instance of another module (expected: an instance of the module given)");
    }
    this.instance = instance;
    if (exports.contains("_initialize")) {
      call(ROOT_CONTEXT, "_initialize", 0);
    } else if (exports.contains("_start")) {
      try {
        call(ROOT_CONTEXT, "_start", 0);
      } catch (ProxyWasmException e) {
        if (!(e.getCause() instanceof ProcExit exit) || exit.code != 0) {
          throw e;
        }
        failed = false;
      }
    }
    // Envoy's order: create the root context, start the VM, configure the plugin.
    call(ROOT_CONTEXT, "proxy_on_context_create", 0, ROOT_CONTEXT, 0);
    if (call(ROOT_CONTEXT, "proxy_on_vm_start", 1, ROOT_CONTEXT, vmConfiguration.length) == 0) {
      throw new ProxyWasmException(
          Kind.START_FAILED, "proxy-wasm plugin " + name + ": proxy_on_vm_start returned false");
    }
    if (call(ROOT_CONTEXT, "proxy_on_configure", 1, ROOT_CONTEXT, pluginConfiguration.length)
        == 0) {
      throw new ProxyWasmException(
          Kind.START_FAILED, "proxy-wasm plugin " + name + ": proxy_on_configure returned false");
    }
    started = true;
  }

  // ---- ProxyWasmVm

  @Override
  public String abiVersion() {
    return abiVersion;
  }

  @Override
  public ProxyWasmStream newStream(StreamHost host) {
    int id = nextContextId++;
    StreamImpl stream = new StreamImpl(id, host);
    streams.put(id, stream);
    call(id, "proxy_on_context_create", 0, id, ROOT_CONTEXT);
    return stream;
  }

  @Override
  public Optional<Duration> tickPeriod() {
    return tickPeriodMillis == 0 ? Optional.empty() : Optional.of(Duration.ofMillis(tickPeriodMillis));
  }

  @Override
  public void onTick() {
    call(ROOT_CONTEXT, "proxy_on_tick", 0, ROOT_CONTEXT);
  }

  @Override
  public void onHttpCallResponse(
      int token,
      List<Map.Entry<String, String>> headers,
      byte[] body,
      List<Map.Entry<String, String>> trailers) {
    if (!pendingCalls.remove(token)) {
      throw new IllegalArgumentException("token: " + token + " (expected: a pending HTTP call)");
    }
    callResponse = new CallResponse(List.copyOf(headers), body.clone(), List.copyOf(trailers));
    try {
      // Envoy makes every HTTP call on the root context and answers it there: SDKs look the
      // root context up by this id and switch to the calling stream themselves.
      call(
          ROOT_CONTEXT,
          "proxy_on_http_call_response",
          0,
          ROOT_CONTEXT,
          token,
          headers.size(),
          body.length,
          trailers.size());
    } finally {
      callResponse = null;
    }
  }

  @Override
  public void onQueueReady(int token) {
    call(ROOT_CONTEXT, "proxy_on_queue_ready", 0, ROOT_CONTEXT, token);
  }

  // ---- calling the guest

  private long call(int context, String function, long absent, long... args) {
    if (failed) {
      throw new ProxyWasmException(
          Kind.VM_FAILED, "proxy-wasm plugin " + name + ": VM failed earlier; refusing " + function);
    }
    if (!exports.contains(function)) {
      return absent;
    }
    int saved = effectiveContext;
    effectiveContext = context;
    try {
      long[] result = function(function).apply(args);
      return result == null || result.length == 0 ? 0 : result[0];
    } catch (ChicoryInterruptedException | ProxyWasmException e) {
      failed = true;
      throw e;
    } catch (RuntimeException e) {
      failed = true;
      String why =
          e instanceof ChicoryException || e instanceof ProcExit
              ? e.getMessage()
              : e.getClass().getName();
      throw new ProxyWasmException(
          Kind.TRAP, "proxy-wasm plugin " + name + ": " + function + " trapped: " + why, e);
    } finally {
      effectiveContext = saved;
    }
  }

  private ExportFunction function(String name) {
    ExportFunction f = functions.get(name);
    if (f == null) {
      f = instance().export(name);
      functions.put(name, f);
    }
    return f;
  }

  private Instance instance() {
    Instance i = instance;
    if (i == null) {
      throw new TrapException("proxy-wasm host called before the instance exists");
    }
    return i;
  }

  // ---- guest memory

  /** Signals a guest pointer outside its memory; host functions answer InvalidMemoryAccess. */
  static final class BadPointer extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadPointer() {
      super(null, null, false, false);
    }
  }

  /** Signals {@code proc_exit}. */
  static final class ProcExit extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int code;

    ProcExit(int code) {
      super("proc_exit(" + code + ")", null, false, false);
      this.code = code;
    }
  }

  Memory memory() {
    return instance().memory();
  }

  byte[] read(long ptr, long size) {
    check(ptr, size);
    return size == 0 ? new byte[0] : memory().readBytes((int) ptr, (int) size);
  }

  String readString(long ptr, long size) {
    return new String(read(ptr, size), StandardCharsets.UTF_8);
  }

  long readU32(long ptr) {
    check(ptr, 4);
    return memory().readU32((int) ptr);
  }

  void writeI32(long ptr, int value) {
    check(ptr, 4);
    memory().writeI32((int) ptr, value);
  }

  void writeI64(long ptr, long value) {
    check(ptr, 8);
    memory().writeLong((int) ptr, value);
  }

  void write(long ptr, byte[] bytes) {
    check(ptr, bytes.length);
    memory().write((int) ptr, bytes);
  }

  private void check(long ptr, long size) {
    long p = ptr & 0xffffffffL;
    long s = size & 0xffffffffL;
    if (p + s > (long) memory().pages() * 65536L) {
      throw new BadPointer();
    }
  }

  /** Copies bytes into guest memory it allocates, and stores the pointer and size. */
  int copyOut(byte[] data, long retPtrPtr, long retSizePtr) {
    int ptr = 0;
    if (data.length > 0) {
      if (allocator.isEmpty()) {
        throw new TrapException("module exports neither proxy_on_memory_allocate nor malloc");
      }
      ptr = (int) function(allocator).apply(data.length)[0];
      if (ptr == 0) {
        throw new TrapException(allocator + " returned 0");
      }
      write(ptr, data);
    }
    writeI32(retPtrPtr, ptr);
    writeI32(retSizePtr, data.length);
    return Abi.OK;
  }

  // ---- host functions (called by HostFunctions; arguments are raw i32/i64 values)

  int log(long level, long ptr, long size) {
    String message = readString(ptr, size);
    switch ((int) level) {
      case Abi.TRACE -> PLUGIN_LOG.trace("[{}] {}", name, message);
      case Abi.DEBUG -> PLUGIN_LOG.debug("[{}] {}", name, message);
      case Abi.INFO -> PLUGIN_LOG.info("[{}] {}", name, message);
      case Abi.WARN -> PLUGIN_LOG.warn("[{}] {}", name, message);
      case Abi.ERROR, Abi.CRITICAL -> PLUGIN_LOG.error("[{}] {}", name, message);
      default -> {
        return Abi.BAD_ARGUMENT;
      }
    }
    return Abi.OK;
  }

  void stdio(int fd, byte[] bytes) {
    (fd == 2 ? stderr : stdout).write(bytes);
  }

  int logLevel(long retPtr) {
    int level =
        PLUGIN_LOG.isTraceEnabled()
            ? Abi.TRACE
            : PLUGIN_LOG.isDebugEnabled()
                ? Abi.DEBUG
                : PLUGIN_LOG.isInfoEnabled() ? Abi.INFO : PLUGIN_LOG.isWarnEnabled() ? Abi.WARN : Abi.ERROR;
    writeI32(retPtr, level);
    return Abi.OK;
  }

  long nowNanos() {
    Instant now = clock.instant();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  int currentTime(long retPtr) {
    writeI64(retPtr, nowNanos());
    return Abi.OK;
  }

  int setTickPeriod(long millis) {
    tickPeriodMillis = millis & 0xffffffffL;
    return Abi.OK;
  }

  private @Nullable StreamImpl stream() {
    return streams.get(effectiveContext);
  }

  private @Nullable BodyBuffer body(int type) {
    StreamImpl s = stream();
    if (s == null) {
      return null;
    }
    return switch (type) {
      case Abi.HTTP_REQUEST_BODY -> s.bodies[0];
      case Abi.HTTP_RESPONSE_BODY -> s.bodies[1];
      default -> null;
    };
  }

  int getBufferBytes(long type, long start, long maxSize, long retPtrPtr, long retSizePtr) {
    long from = start & 0xffffffffL;
    long max = maxSize & 0xffffffffL;
    byte[] whole =
        switch ((int) type) {
          case Abi.VM_CONFIGURATION -> vmConfiguration;
          case Abi.PLUGIN_CONFIGURATION -> pluginConfiguration;
          case Abi.HTTP_CALL_RESPONSE_BODY -> callResponse == null ? null : callResponse.body();
          default -> null;
        };
    byte[] bytes;
    if (whole != null) {
      int f = (int) Math.min(from, whole.length);
      bytes = Arrays.copyOfRange(whole, f, (int) Math.min(whole.length, f + max));
    } else {
      BodyBuffer buffer = body((int) type);
      if (buffer == null) {
        return Abi.NOT_FOUND;
      }
      bytes = buffer.slice(from, max);
    }
    return copyOut(bytes, retPtrPtr, retSizePtr);
  }

  int setBufferBytes(long type, long start, long size, long dataPtr, long dataSize) {
    BodyBuffer buffer = body((int) type);
    if (buffer == null) {
      return Abi.NOT_FOUND;
    }
    buffer.replace(start & 0xffffffffL, size & 0xffffffffL, read(dataPtr, dataSize));
    return Abi.OK;
  }

  private @Nullable List<Map.Entry<String, String>> headerMap(int type) {
    if (type == Abi.HTTP_CALL_RESPONSE_HEADERS || type == Abi.HTTP_CALL_RESPONSE_TRAILERS) {
      CallResponse r = callResponse;
      return r == null ? null : type == Abi.HTTP_CALL_RESPONSE_HEADERS ? r.headers() : r.trailers();
    }
    StreamImpl s = stream();
    if (s == null || type < 0 || type > 3) {
      return null;
    }
    return s.host.headers(HeaderMapType.values()[type]);
  }

  private int updateHeaderMap(int type, List<Map.Entry<String, String>> pairs) {
    StreamImpl s = stream();
    if (s == null || type < 0 || type > 3) {
      return Abi.BAD_ARGUMENT;
    }
    s.host.headers(HeaderMapType.values()[type], List.copyOf(pairs));
    return Abi.OK;
  }

  int getHeaderMapPairs(long type, long retPtrPtr, long retSizePtr) {
    List<Map.Entry<String, String>> map = headerMap((int) type);
    if (map == null) {
      return Abi.NOT_FOUND;
    }
    return copyOut(HeaderPairs.encode(map), retPtrPtr, retSizePtr);
  }

  int setHeaderMapPairs(long type, long ptr, long size) {
    List<Map.Entry<String, String>> pairs;
    try {
      pairs = HeaderPairs.decode(read(ptr, size));
    } catch (IllegalArgumentException e) {
      return Abi.BAD_ARGUMENT;
    }
    List<Map.Entry<String, String>> lower = new ArrayList<>(pairs.size());
    for (Map.Entry<String, String> e : pairs) {
      lower.add(Map.entry(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
    }
    return updateHeaderMap((int) type, lower);
  }

  int getHeaderMapValue(long type, long keyPtr, long keySize, long retPtrPtr, long retSizePtr) {
    List<Map.Entry<String, String>> map = headerMap((int) type);
    if (map == null) {
      return Abi.NOT_FOUND;
    }
    String key = readString(keyPtr, keySize);
    for (Map.Entry<String, String> e : map) {
      if (e.getKey().equalsIgnoreCase(key)) {
        return copyOut(e.getValue().getBytes(StandardCharsets.UTF_8), retPtrPtr, retSizePtr);
      }
    }
    return Abi.NOT_FOUND;
  }

  int addHeaderMapValue(long type, long keyPtr, long keySize, long valuePtr, long valueSize) {
    List<Map.Entry<String, String>> map = headerMap((int) type);
    if (map == null) {
      return Abi.BAD_ARGUMENT;
    }
    List<Map.Entry<String, String>> next = new ArrayList<>(map);
    next.add(
        Map.entry(readString(keyPtr, keySize).toLowerCase(Locale.ROOT), readString(valuePtr, valueSize)));
    return updateHeaderMap((int) type, next);
  }

  int replaceHeaderMapValue(long type, long keyPtr, long keySize, long valuePtr, long valueSize) {
    List<Map.Entry<String, String>> map = headerMap((int) type);
    if (map == null) {
      return Abi.BAD_ARGUMENT;
    }
    String key = readString(keyPtr, keySize).toLowerCase(Locale.ROOT);
    String value = readString(valuePtr, valueSize);
    List<Map.Entry<String, String>> next = new ArrayList<>(map.size() + 1);
    boolean replaced = false;
    for (Map.Entry<String, String> e : map) {
      if (!e.getKey().equalsIgnoreCase(key)) {
        next.add(e);
      } else if (!replaced) {
        next.add(Map.entry(key, value));
        replaced = true;
      }
    }
    if (!replaced) {
      next.add(Map.entry(key, value));
    }
    return updateHeaderMap((int) type, next);
  }

  int removeHeaderMapValue(long type, long keyPtr, long keySize) {
    List<Map.Entry<String, String>> map = headerMap((int) type);
    if (map == null) {
      return Abi.BAD_ARGUMENT;
    }
    String key = readString(keyPtr, keySize);
    List<Map.Entry<String, String>> next = new ArrayList<>(map);
    next.removeIf(e -> e.getKey().equalsIgnoreCase(key));
    return next.size() == map.size() ? Abi.OK : updateHeaderMap((int) type, next);
  }

  int getHeaderMapSize(long type, long retPtr) {
    List<Map.Entry<String, String>> map = headerMap((int) type);
    if (map == null) {
      return Abi.NOT_FOUND;
    }
    int bytes = 0;
    for (Map.Entry<String, String> e : map) {
      bytes += e.getKey().length() + e.getValue().length();
    }
    writeI32(retPtr, bytes);
    return Abi.OK;
  }

  private static List<String> path(byte[] raw) {
    List<String> segments = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= raw.length; i++) {
      if (i == raw.length || raw[i] == 0) {
        if (i > from || i < raw.length) {
          segments.add(new String(raw, from, i - from, StandardCharsets.UTF_8));
        }
        from = i + 1;
      }
    }
    if (segments.size() == 1 && segments.get(0).contains(".")) {
      return List.of(segments.get(0).split("\\."));
    }
    return segments;
  }

  int getProperty(long pathPtr, long pathSize, long retPtrPtr, long retSizePtr) {
    List<String> path = path(read(pathPtr, pathSize));
    StreamImpl s = stream();
    byte[] stored = (s == null ? rootProperties : s.properties).get(path);
    if (stored == null && s != null) {
      stored = rootProperties.get(path);
    }
    Object value = stored != null ? stored : property(s, path);
    if (value == null) {
      return Abi.NOT_FOUND;
    }
    return copyOut(PropertyValues.serialize(value), retPtrPtr, retSizePtr);
  }

  private @Nullable Object property(@Nullable StreamImpl s, List<String> path) {
    String joined = String.join(".", path);
    switch (joined) {
      case "plugin_name" -> {
        return name;
      }
      case "plugin_root_id" -> {
        return config.rootId();
      }
      case "plugin_vm_id" -> {
        return config.vmId();
      }
      default -> {}
    }
    if (s != null) {
      Object derived = s.derivedProperty(joined);
      if (derived != null) {
        return derived;
      }
      return s.host.property(path);
    }
    return rootHost.property(path);
  }

  int setProperty(long pathPtr, long pathSize, long valuePtr, long valueSize) {
    List<String> path = path(read(pathPtr, pathSize));
    StreamImpl s = stream();
    (s == null ? rootProperties : s.properties).put(path, read(valuePtr, valueSize));
    return Abi.OK;
  }

  int sendLocalResponse(
      long status,
      long detailsPtr,
      long detailsSize,
      long bodyPtr,
      long bodySize,
      long headersPtr,
      long headersSize,
      long grpcStatus) {
    StreamImpl s = stream();
    if (s == null) {
      return Abi.NOT_FOUND;
    }
    List<Map.Entry<String, String>> headers;
    try {
      headers = HeaderPairs.decode(read(headersPtr, headersSize));
    } catch (IllegalArgumentException e) {
      return Abi.BAD_ARGUMENT;
    }
    s.localResponse = true;
    s.host.sendLocalResponse(
        (int) status,
        readString(detailsPtr, detailsSize),
        read(bodyPtr, bodySize),
        headers,
        (int) grpcStatus);
    return Abi.OK;
  }

  int continueStream(long streamType) {
    StreamImpl s = stream();
    if (s == null) {
      return Abi.NOT_FOUND;
    }
    if (streamType != 0 && streamType != 1) {
      return Abi.UNIMPLEMENTED;
    }
    s.host.continueStream(streamType == 0 ? Direction.REQUEST : Direction.RESPONSE);
    return Abi.OK;
  }

  int closeStream(long streamType) {
    StreamImpl s = stream();
    if (s == null) {
      return Abi.NOT_FOUND;
    }
    if (streamType != 0 && streamType != 1) {
      return Abi.UNIMPLEMENTED;
    }
    s.host.closeStream(streamType == 0 ? Direction.REQUEST : Direction.RESPONSE);
    return Abi.OK;
  }

  int httpCall(
      long upstreamPtr,
      long upstreamSize,
      long headersPtr,
      long headersSize,
      long bodyPtr,
      long bodySize,
      long trailersPtr,
      long trailersSize,
      long timeoutMillis,
      long retTokenPtr) {
    String cluster = readString(upstreamPtr, upstreamSize);
    List<Map.Entry<String, String>> headers;
    List<Map.Entry<String, String>> trailers;
    try {
      headers = HeaderPairs.decode(read(headersPtr, headersSize));
      trailers = HeaderPairs.decode(read(trailersPtr, trailersSize));
    } catch (IllegalArgumentException e) {
      return Abi.BAD_ARGUMENT;
    }
    byte[] body = read(bodyPtr, bodySize);
    StreamImpl s = stream();
    ProxyWasmHost host = s == null ? rootHost : s.host;
    int token = nextToken++;
    if (!host.httpCall(
        token, cluster, headers, body, trailers, Duration.ofMillis(timeoutMillis & 0xffffffffL))) {
      return Abi.BAD_ARGUMENT;
    }
    pendingCalls.add(token);
    writeI32(retTokenPtr, token);
    return Abi.OK;
  }

  int setEffectiveContext(long context) {
    if (context != ROOT_CONTEXT && !streams.containsKey((int) context)) {
      return Abi.BAD_ARGUMENT;
    }
    effectiveContext = (int) context;
    return Abi.OK;
  }

  int defineMetric(long type, long namePtr, long nameSize, long retIdPtr) {
    if (type < Abi.COUNTER || type > Abi.HISTOGRAM) {
      return Abi.BAD_ARGUMENT;
    }
    String metricName = readString(namePtr, nameSize);
    if (metricName.isEmpty()) {
      return Abi.BAD_ARGUMENT;
    }
    PluginMetrics.Metric metric;
    try {
      metric = metrics.define((int) type, metricName);
    } catch (IllegalArgumentException e) {
      return Abi.BAD_ARGUMENT;
    }
    int index = definedMetrics.indexOf(metric);
    if (index < 0) {
      definedMetrics.add(metric);
      index = definedMetrics.size() - 1;
    }
    writeI32(retIdPtr, index + 1);
    return Abi.OK;
  }

  private PluginMetrics.@Nullable Metric metric(long id) {
    return id < 1 || id > definedMetrics.size() ? null : definedMetrics.get((int) id - 1);
  }

  int incrementMetric(long id, long offset) {
    PluginMetrics.Metric m = metric(id);
    if (m == null) {
      return Abi.NOT_FOUND;
    }
    if (m.counter != null && offset >= 0) {
      m.counter.increment(offset);
    } else if (m.gauge != null) {
      m.gauge.addAndGet(offset);
    } else {
      return Abi.BAD_ARGUMENT;
    }
    return Abi.OK;
  }

  int recordMetric(long id, long value) {
    PluginMetrics.Metric m = metric(id);
    if (m == null) {
      return Abi.NOT_FOUND;
    }
    if (m.gauge != null) {
      m.gauge.set(value);
    } else if (m.histogram != null) {
      m.histogram.record(value);
    } else if (m.counter != null && value >= m.counter.count()) {
      m.counter.increment(value - m.counter.count());
    } else {
      return Abi.BAD_ARGUMENT;
    }
    return Abi.OK;
  }

  int getMetric(long id, long retPtr) {
    PluginMetrics.Metric m = metric(id);
    if (m == null) {
      return Abi.NOT_FOUND;
    }
    if (m.counter != null) {
      writeI64(retPtr, (long) m.counter.count());
    } else if (m.gauge != null) {
      writeI64(retPtr, m.gauge.get());
    } else {
      return Abi.BAD_ARGUMENT;
    }
    return Abi.OK;
  }

  int getSharedData(long keyPtr, long keySize, long retPtrPtr, long retSizePtr, long retCasPtr) {
    ProxyWasmSharedData.Value value = sharedData.get(config.vmId(), readString(keyPtr, keySize));
    if (value == null) {
      return Abi.NOT_FOUND;
    }
    copyOut(value.bytes(), retPtrPtr, retSizePtr);
    writeI32(retCasPtr, value.cas());
    return Abi.OK;
  }

  int setSharedData(long keyPtr, long keySize, long valuePtr, long valueSize, long cas) {
    boolean stored =
        sharedData.compareAndSet(
            config.vmId(), readString(keyPtr, keySize), read(valuePtr, valueSize), (int) cas);
    return stored ? Abi.OK : Abi.CAS_MISMATCH;
  }

  int registerSharedQueue(long namePtr, long nameSize, long retTokenPtr) {
    String queue = readString(namePtr, nameSize);
    ProxyWasmHost host = rootHost;
    int token = sharedData.registerQueue(config.vmId(), queue, host::queueReady);
    writeI32(retTokenPtr, token);
    return Abi.OK;
  }

  int resolveSharedQueue(
      long vmIdPtr, long vmIdSize, long namePtr, long nameSize, long retTokenPtr) {
    int token = sharedData.resolveQueue(readString(vmIdPtr, vmIdSize), readString(namePtr, nameSize));
    if (token == 0) {
      return Abi.NOT_FOUND;
    }
    writeI32(retTokenPtr, token);
    return Abi.OK;
  }

  int enqueueSharedQueue(long token, long dataPtr, long dataSize) {
    return switch (sharedData.enqueue((int) token, read(dataPtr, dataSize))) {
      case OK -> Abi.OK;
      case NOT_FOUND -> Abi.NOT_FOUND;
      case FULL -> Abi.INTERNAL_FAILURE;
    };
  }

  int dequeueSharedQueue(long token, long retPtrPtr, long retSizePtr) {
    if (!sharedData.hasQueue((int) token)) {
      return Abi.NOT_FOUND;
    }
    byte[] item = sharedData.dequeue((int) token);
    if (item == null) {
      return Abi.EMPTY;
    }
    return copyOut(item, retPtrPtr, retSizePtr);
  }

  // ---- streams

  private static Action headersAction(long status, boolean localResponse) {
    return localResponse || (status != 0 && status != 2) ? Action.PAUSE : Action.CONTINUE;
  }

  private final class StreamImpl implements ProxyWasmStream {
    final int id;
    final StreamHost host;
    final BodyBuffer[] bodies = {new BodyBuffer(), new BodyBuffer()};
    final Map<List<String>, byte[]> properties = new HashMap<>();
    boolean localResponse;
    boolean closed;

    StreamImpl(int id, StreamHost host) {
      this.id = id;
      this.host = host;
    }

    @Override
    public int contextId() {
      return id;
    }

    private void open() {
      if (closed) {
        throw new IllegalStateException("stream " + id + " is closed");
      }
    }

    private Action headers(String function, HeaderMapType type, boolean endOfStream) {
      open();
      long status = call(id, function, 0, id, host.headers(type).size(), endOfStream ? 1 : 0);
      return headersAction(status, localResponse);
    }

    private Action body(String function, Direction direction, byte[] chunk, boolean endOfStream) {
      open();
      BodyBuffer buffer = bodies[direction.ordinal()];
      buffer.append(chunk);
      long status = call(id, function, 0, id, buffer.size(), endOfStream ? 1 : 0);
      return localResponse || status != 0 ? Action.PAUSE : Action.CONTINUE;
    }

    private Action trailers(String function, HeaderMapType type) {
      open();
      long status = call(id, function, 0, id, host.headers(type).size());
      return localResponse || status != 0 ? Action.PAUSE : Action.CONTINUE;
    }

    @Override
    public Action onRequestHeaders(boolean endOfStream) {
      return headers("proxy_on_request_headers", HeaderMapType.REQUEST_HEADERS, endOfStream);
    }

    @Override
    public Action onRequestBody(byte[] chunk, boolean endOfStream) {
      return body("proxy_on_request_body", Direction.REQUEST, chunk, endOfStream);
    }

    @Override
    public Action onRequestTrailers() {
      return trailers("proxy_on_request_trailers", HeaderMapType.REQUEST_TRAILERS);
    }

    @Override
    public Action onResponseHeaders(boolean endOfStream) {
      return headers("proxy_on_response_headers", HeaderMapType.RESPONSE_HEADERS, endOfStream);
    }

    @Override
    public Action onResponseBody(byte[] chunk, boolean endOfStream) {
      return body("proxy_on_response_body", Direction.RESPONSE, chunk, endOfStream);
    }

    @Override
    public Action onResponseTrailers() {
      return trailers("proxy_on_response_trailers", HeaderMapType.RESPONSE_TRAILERS);
    }

    @Override
    public byte[] takeBody(Direction direction) {
      return bodies[direction.ordinal()].take();
    }

    @Override
    public int bufferedBytes(Direction direction) {
      return bodies[direction.ordinal()].size();
    }

    @Override
    public boolean localResponseSent() {
      return localResponse;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      try {
        if (!failed) {
          call(id, "proxy_on_done", 1, id);
          call(id, "proxy_on_log", 0, id);
          call(id, "proxy_on_delete", 0, id);
        }
      } finally {
        // HTTP calls belong to the root context: their responses still arrive (Envoy).
        streams.remove(id);
      }
    }

    @Nullable Object derivedProperty(String property) {
      return switch (property) {
        case "request.path" -> header(HeaderMapType.REQUEST_HEADERS, ":path");
        case "request.url_path" -> {
          String p = header(HeaderMapType.REQUEST_HEADERS, ":path");
          yield p == null ? null : p.indexOf('?') < 0 ? p : p.substring(0, p.indexOf('?'));
        }
        case "request.host" -> header(HeaderMapType.REQUEST_HEADERS, ":authority");
        case "request.method" -> header(HeaderMapType.REQUEST_HEADERS, ":method");
        case "request.scheme" -> header(HeaderMapType.REQUEST_HEADERS, ":scheme");
        case "request.id" -> header(HeaderMapType.REQUEST_HEADERS, "x-request-id");
        case "request.headers" -> host.headers(HeaderMapType.REQUEST_HEADERS);
        case "response.headers" -> host.headers(HeaderMapType.RESPONSE_HEADERS);
        case "response.trailers" -> host.headers(HeaderMapType.RESPONSE_TRAILERS);
        case "response.code" -> {
          String status = header(HeaderMapType.RESPONSE_HEADERS, ":status");
          yield status == null ? null : Long.valueOf(status.trim());
        }
        default -> null;
      };
    }

    private @Nullable String header(HeaderMapType type, String name) {
      for (Map.Entry<String, String> e : host.headers(type)) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue();
        }
      }
      return null;
    }
  }

  /** Serializes property values as Envoy does. */
  static final class PropertyValues {
    private PropertyValues() {}

    @SuppressWarnings("unchecked")
    static byte[] serialize(Object value) {
      if (value instanceof byte[] bytes) {
        return bytes.clone();
      } else if (value instanceof String s) {
        return s.getBytes(StandardCharsets.UTF_8);
      } else if (value instanceof Boolean b) {
        return new byte[] {(byte) (b ? 1 : 0)};
      } else if (value instanceof Long || value instanceof Integer) {
        return ByteBuffer.allocate(8)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putLong(((Number) value).longValue())
            .array();
      } else if (value instanceof Duration d) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(d.toNanos()).array();
      } else if (value instanceof List<?> list) {
        return HeaderPairs.encode((List<Map.Entry<String, String>>) list);
      }
      return value.toString().getBytes(StandardCharsets.UTF_8);
    }
  }
}
