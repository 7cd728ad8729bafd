package dev.custos.wasm.internal;

import static java.util.Objects.requireNonNull;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MemorySection;
import dev.custos.wasm.WasmImport;
import dev.custos.wasm.WasmLoadException;
import dev.custos.wasm.WasmModule;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Implements {@link WasmModule} on a parsed Chicory module and its machine factory. */
public final class LoadedModule implements WasmModule {
  private static final Logger logger = LoggerFactory.getLogger(LoadedModule.class);

  private final String name;
  private final String sha256;
  private final com.dylibso.chicory.wasm.WasmModule parsed;
  private final Function<Instance, Machine> machineFactory;
  private final boolean compiled;
  private final List<WasmImport> imports;
  private final Set<String> functionExports;
  /** Keeps the shared compiled module reachable while this module is. */
  private final @Nullable Object shared;

  private LoadedModule(
      String name,
      String sha256,
      @Nullable Object shared,
      com.dylibso.chicory.wasm.WasmModule parsed,
      Function<Instance, Machine> machineFactory,
      boolean compiled) {
    this.shared = shared;
    this.name = name;
    this.sha256 = sha256;
    this.parsed = parsed;
    this.machineFactory = machineFactory;
    this.compiled = compiled;
    var importList = new ArrayList<WasmImport>();
    var importSection = parsed.importSection();
    for (int i = 0; i < importSection.importCount(); i++) {
      var imp = importSection.getImport(i);
      importList.add(new WasmImport(imp.module(), imp.name()));
    }
    this.imports = List.copyOf(importList);
    var exports = new HashSet<String>();
    var exportSection = parsed.exportSection();
    for (int i = 0; i < exportSection.exportCount(); i++) {
      Export export = exportSection.getExport(i);
      if (export.exportType() == ExternalType.FUNCTION) {
        exports.add(export.name());
      }
    }
    this.functionExports = Set.copyOf(exports);
  }

  /** Loads, pins, parses, validates and compiles the module in {@code file}. */
  public static LoadedModule load(Path file, @Nullable String pin, boolean interpreterOnly) {
    requireNonNull(file, "file");
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new WasmLoadException(file + ": cannot read WebAssembly module: " + e, e);
    }
    String actual = sha256(bytes);
    if (pin != null && !pin.toLowerCase(Locale.ROOT).equals(actual)) {
      throw new WasmLoadException(
          file
              + ": sha256 does not match the pin (expected: "
              + pin.toLowerCase(Locale.ROOT)
              + ", actual: "
              + actual
              + ")");
    }
    return create(nameOf(file), bytes, actual, interpreterOnly, file.toString());
  }

  /** Parses, validates and compiles a module from bytes. */
  public static LoadedModule of(String name, byte[] bytes, boolean interpreterOnly) {
    requireNonNull(name, "name");
    requireNonNull(bytes, "bytes");
    return create(name, bytes, sha256(bytes), interpreterOnly, name);
  }

  /** A parsed and compiled module, shared by every {@link LoadedModule} of the same bytes. */
  private record Compiled(
      com.dylibso.chicory.wasm.WasmModule parsed,
      Function<Instance, Machine> machineFactory,
      boolean compiled) {}

  /**
   * Compiled modules by digest (and interpreter choice), so that the same module loaded for
   * several routes or plugins is parsed and compiled once; an entry goes when no module holds it.
   */
  private static final ConcurrentHashMap<String, WeakReference<Compiled>> COMPILED =
      new ConcurrentHashMap<>();

  private static LoadedModule create(
      String name, byte[] bytes, String sha256, boolean interpreterOnly, String source) {
    String key = sha256 + (interpreterOnly ? "/interpreter" : "/compiled");
    WeakReference<Compiled> ref = COMPILED.get(key);
    Compiled cached = ref == null ? null : ref.get();
    if (cached == null) {
      synchronized (COMPILED) {
        ref = COMPILED.get(key);
        cached = ref == null ? null : ref.get();
        if (cached == null) {
          COMPILED.values().removeIf(r -> r.get() == null);
          cached = compile(name, bytes, interpreterOnly, source);
          COMPILED.put(key, new WeakReference<>(cached));
        }
      }
    }
    return new LoadedModule(name, sha256, cached, cached.parsed(), cached.machineFactory(),
        cached.compiled());
  }

  /** Returns how many distinct modules are held compiled; for tests. */
  static int compiledCount() {
    return (int) COMPILED.values().stream().filter(r -> r.get() != null).count();
  }

  private static Compiled compile(
      String name, byte[] bytes, boolean interpreterOnly, String source) {
    com.dylibso.chicory.wasm.WasmModule parsed;
    try {
      parsed = Parser.parse(bytes);
    } catch (RuntimeException e) {
      throw new WasmLoadException(
          source + ": not a valid WebAssembly module: " + e.getMessage(), e);
    }
    if (interpreterOnly) {
      return new Compiled(parsed, InterpreterMachine::new, false);
    }
    try {
      Function<Instance, Machine> factory =
          MachineFactoryCompiler.builder(parsed)
              .withInterpreterFallback(InterpreterFallback.WARN)
              .compile();
      return new Compiled(parsed, factory, true);
    } catch (RuntimeException | LinkageError e) {
      logger.warn("{}: compilation failed, running on the interpreter: {}", name, e.toString());
      return new Compiled(parsed, InterpreterMachine::new, false);
    }
  }

  static String nameOf(Path file) {
    Path fileName = file.getFileName();
    String base = fileName == null ? file.toString() : fileName.toString();
    return base.endsWith(".wasm") ? base.substring(0, base.length() - 5) : base;
  }

  /** Returns the lower-case hex SHA-256 digest of {@code bytes}. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String sha256() {
    return sha256;
  }

  @Override
  public List<WasmImport> imports() {
    return imports;
  }

  @Override
  public boolean hasExport(String name) {
    return functionExports.contains(name);
  }

  @Override
  public boolean compiled() {
    return compiled;
  }

  @Override
  public WasmModule interpreted() {
    return compiled
        ? new LoadedModule(name, sha256, shared, parsed, InterpreterMachine::new, false)
        : this;
  }

  /** Returns the parsed Chicory module. */
  public com.dylibso.chicory.wasm.WasmModule parsed() {
    return parsed;
  }

  /** Returns the factory of execution machines: compiled code or the interpreter. */
  public Function<Instance, Machine> machineFactory() {
    return machineFactory;
  }

  /** Returns the memory the module declares, if it defines one. */
  public Optional<MemoryLimits> declaredMemory() {
    return parsed
        .memorySection()
        .filter(section -> section.memoryCount() > 0)
        .map((MemorySection section) -> section.getMemory(0).limits());
  }

  @Override
  public String toString() {
    return "WasmModule{name=" + name + ", sha256=" + sha256 + ", compiled=" + compiled + '}';
  }
}
