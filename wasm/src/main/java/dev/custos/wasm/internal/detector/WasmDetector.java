package dev.custos.wasm.internal.detector;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.custos.engine.PluginDetector;
import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.PluginDetectorException;
import dev.custos.engine.PluginMatch;
import dev.custos.wasm.FailureMode;
import dev.custos.wasm.HostGrants;
import dev.custos.wasm.Sandbox;
import dev.custos.wasm.SandboxInstance;
import dev.custos.wasm.SandboxLimits;
import dev.custos.wasm.WasmCallException;
import dev.custos.wasm.WasmLoadException;
import dev.custos.wasm.WasmModule;
import dev.custos.wasm.internal.LoadedModule;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A {@link PluginDetector} running a module of the Custos detector ABI v1 in a {@link Sandbox}.
 *
 * <p>Per call: the window is copied into the buffer the module's {@code alloc} gave this
 * instance (once per instance, {@code max_window} bytes), {@code detect(ptr, len)} runs, and the
 * match list it points at is read back and checked. All of it runs under one deadline. A thread
 * that calls for the first time also instantiates the module under that deadline. Thread-safe.
 */
public final class WasmDetector implements PluginDetector {
  /** The export whose presence says which ABI version the module follows. */
  public static final String ABI_MARKER = "custos_detector_abi_v1";
  /** The most category ids a module may list. */
  static final int MAX_CATEGORIES = 256;
  /** The most bytes of the category list. */
  static final int MAX_CATEGORY_BYTES = 64 * 1024;
  /** The bytes of one match: start, end, score and category index, each an i32. */
  static final int MATCH_BYTES = 16;

  private static final FunctionType ALLOC =
      FunctionType.of(new ValType[] {ValType.I32}, new ValType[] {ValType.I32});
  private static final FunctionType DETECT =
      FunctionType.of(new ValType[] {ValType.I32, ValType.I32}, new ValType[] {ValType.I32});
  private static final FunctionType CATEGORIES =
      FunctionType.of(new ValType[0], new ValType[] {ValType.I32});

  /** The input buffer of one instance. */
  private static final class Buffer {
    long address = -1;
    int capacity;
  }

  private final String id;
  private final int maxWindow;
  private final Sandbox sandbox;
  private final List<String> categories;

  private WasmDetector(
      PluginDetectorDefinition definition, Sandbox sandbox, List<String> categories) {
    this.id = definition.id();
    this.maxWindow = definition.maxWindow();
    this.sandbox = sandbox;
    this.categories = categories;
  }

  /**
   * Loads the module of {@code definition}, checks its pin, imports and exports, reads its
   * category list, and returns its detector.
   *
   * @throws PluginDetectorException when any of that fails
   */
  public static WasmDetector load(
      PluginDetectorDefinition definition, SandboxLimits limits, MeterRegistry registry) {
    String id = definition.id();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(definition.module());
    } catch (IOException e) {
      throw new PluginDetectorException(id, "load", "cannot read module " + definition.location()
          + " (" + e.getClass().getSimpleName() + ")", e);
    }
    String pin = definition.sha256();
    if (pin != null) {
      String actual = LoadedModule.sha256(bytes);
      if (!pin.equals(actual)) {
        throw new PluginDetectorException(id, "hash_mismatch", "module " + definition.location()
            + " has sha256 " + actual + " (expected: " + pin + ")");
      }
    }
    WasmModule module;
    try {
      module = WasmModule.of(nameOf(definition), bytes);
    } catch (WasmLoadException e) {
      throw new PluginDetectorException(id, "load", e.getMessage(), e);
    }
    Sandbox sandbox;
    try {
      sandbox = Sandbox.builder(module)
          .limits(limits)
          .grants(HostGrants.none())
          .meterRegistry(registry)
          .failureMode(definition.onError() == PluginDetectorDefinition.OnError.BLOCK
              ? FailureMode.FAIL_CLOSED : FailureMode.FAIL_OPEN)
          .instanceState(Buffer::new)
          .build();
    } catch (WasmCallException e) {
      throw failure(id, e);
    }
    try {
      List<String> categories = sandbox.withInstance(WasmDetector::checkExports);
      checkCategories(definition, categories);
      return new WasmDetector(definition, sandbox, categories);
    } catch (WasmCallException e) {
      sandbox.close();
      throw failure(id, e);
    } catch (RuntimeException e) {
      sandbox.close();
      throw e;
    }
  }

  private static String nameOf(PluginDetectorDefinition definition) {
    java.nio.file.Path file = definition.module().getFileName();
    String name = file == null ? definition.id() : file.toString();
    return name.endsWith(".wasm") ? name.substring(0, name.length() - 5) : name;
  }

  /** Checks the ABI's exports and returns the module's category list (empty without one). */
  private static List<String> checkExports(SandboxInstance instance) {
    if (!instance.hasExport(ABI_MARKER)) {
      throw abi(instance, "no export " + ABI_MARKER
          + " (expected: a module of the Custos detector ABI v1)");
    }
    instance.memory(); // Throws ABI when the module has no memory.
    checkType(instance, "alloc", ALLOC);
    checkType(instance, "detect", DETECT);
    if (!instance.hasExport("categories")) {
      return List.of();
    }
    checkType(instance, "categories", CATEGORIES);
    long list = unsigned(instance.call("categories")[0]);
    int size = instance.memory().readInt((int) checked(instance, list, 4));
    if (size < 0 || size > MAX_CATEGORY_BYTES) {
      throw abi(instance, "category list of " + Integer.toUnsignedString(size)
          + " bytes (expected: at most " + MAX_CATEGORY_BYTES + ")");
    }
    byte[] utf8 = instance.read(list + 4, size);
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(utf8))
          .toString();
    } catch (CharacterCodingException e) {
      throw abi(instance, "category list is not UTF-8 (expected: ids separated by newlines)");
    }
    if (text.isEmpty()) {
      return List.of();
    }
    String[] ids = text.split("\n", -1);
    if (ids.length > MAX_CATEGORIES) {
      throw abi(instance, "category list of " + ids.length + " ids (expected: at most "
          + MAX_CATEGORIES + ")");
    }
    List<String> out = new ArrayList<>(ids.length);
    for (String c : ids) {
      if (c.isEmpty()) {
        throw abi(instance, "empty id in the category list (expected: ids separated by single"
            + " newlines, no trailing newline)");
      }
      out.add(c);
    }
    return List.copyOf(out);
  }

  private static void checkType(SandboxInstance instance, String export, FunctionType expected) {
    if (!instance.hasExport(export)) {
      throw abi(instance, "no exported function " + export + " (expected: " + expected + ")");
    }
    FunctionType actual = instance.instance().exportType(export);
    if (!expected.equals(actual)) {
      throw abi(instance, "export " + export + " has type " + actual + " (expected: " + expected
          + ")");
    }
  }

  private static void checkCategories(PluginDetectorDefinition definition, List<String> listed) {
    Set<String> allowed = new HashSet<>(definition.categories());
    allowed.add(definition.category());
    for (String c : listed) {
      if (!allowed.contains(c)) {
        String shown = c.length() > 64 ? c.substring(0, 64) + "…" : c;
        throw new PluginDetectorException(definition.id(), "abi", "the module lists category '"
            + shown + "', which the policy does not allow (expected one of: "
            + String.join(", ", new java.util.TreeSet<>(allowed)) + "; add it under categories)");
      }
    }
  }

  /** Returns the category ids the module lists, in index order. */
  public List<String> categories() {
    return categories;
  }

  /** Returns the sandbox the module runs in; for tests. */
  Sandbox sandbox() {
    return sandbox;
  }

  @Override
  public List<PluginMatch> detect(byte[] bytes, int offset, int length) {
    if (offset < 0 || length < 0 || offset > bytes.length - length) {
      throw new IndexOutOfBoundsException(
          "offset: " + offset + ", length: " + length + " (expected: within " + bytes.length + ")");
    }
    try {
      return sandbox.withInstance(instance -> run(instance, bytes, offset, length));
    } catch (WasmCallException e) {
      throw failure(id, e);
    }
  }

  private List<PluginMatch> run(SandboxInstance instance, byte[] bytes, int offset, int length) {
    Buffer buffer = instance.state(Buffer.class);
    if (buffer.address < 0 || buffer.capacity < length) {
      int capacity = Math.max(length, maxWindow);
      long address = unsigned(instance.call("alloc", capacity)[0]);
      checked(instance, address, capacity);
      buffer.address = address;
      buffer.capacity = capacity;
    }
    instance.write(buffer.address, bytes, offset, length);
    long results = unsigned(instance.call("detect", buffer.address, length)[0]);
    int count = instance.memory().readInt((int) checked(instance, results, 4));
    if (count < 0 || count > length) {
      throw abi(instance, "match count " + Integer.toUnsignedString(count)
          + " (expected: 0 to the window length, " + length + ")");
    }
    if (count == 0) {
      return List.of();
    }
    long size = (long) count * MATCH_BYTES;
    byte[] raw = instance.read(checked(instance, results + 4, size), size);
    ByteBuffer in = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    List<PluginMatch> matches = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int start = in.getInt();
      int end = in.getInt();
      int score = in.getInt();
      int category = in.getInt();
      if (start < 0 || end <= start || end > length) {
        throw abi(instance, "match " + i + " at [" + start + ", " + end
            + ") (expected: 0 <= start < end <= " + length + ")");
      }
      if (score != PluginMatch.UNSPECIFIED && (score < 0 || score > 100)) {
        throw abi(instance, "match " + i + " has score " + score + " (expected: 0 to 100, or -1)");
      }
      if (category < -1 || category >= categories.size()) {
        throw abi(instance, "match " + i + " has category index " + category
            + " (expected: -1" + (categories.isEmpty() ? "" : " or 0 to " + (categories.size() - 1))
            + ")");
      }
      matches.add(PluginMatch.of(start, end, score, category < 0 ? null : categories.get(category)));
    }
    return matches;
  }

  private static long unsigned(long i32) {
    return i32 & 0xFFFF_FFFFL;
  }

  /** Checks that {@code [address, address + length)} lies in memory and returns the address. */
  private static long checked(SandboxInstance instance, long address, long length) {
    instance.checkRange(address, length);
    return address;
  }

  private static WasmCallException abi(SandboxInstance instance, String message) {
    return new WasmCallException(WasmCallException.Kind.ABI, instance.module().name(), message);
  }

  private static PluginDetectorException failure(String id, WasmCallException e) {
    return new PluginDetectorException(
        id, e.kind().name().toLowerCase(Locale.ROOT), e.getMessage(), e);
  }

  @Override
  public void close() {
    sandbox.close();
  }

  @Override
  public String toString() {
    return "WasmDetector{" + id + ", module=" + sandbox.module().name() + '}';
  }
}
