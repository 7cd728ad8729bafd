package dev.custos.wasm.internal.proxywasm;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ImportSection;
import com.dylibso.chicory.wasm.types.ValType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import dev.custos.wasm.HostGrants;
import dev.custos.wasm.HostGrantsBuilder;
import org.jspecify.annotations.Nullable;
import java.util.List;
import java.util.Map;

/**
 * Builds the imports of a proxy-wasm module: the {@code env} functions of ABI 0.2.x (plus the
 * 0.1.0 names SDKs still import) and a minimal {@code wasi_snapshot_preview1} (also as the older
 * {@code wasi_unstable}, which AssemblyScript's proxy-runtime imports) without files, sockets,
 * arguments or environment.
 */
final class HostFunctions {
  private static final String ENV = "env";
  private static final String WASI = "wasi_snapshot_preview1";
  private static final String WASI_UNSTABLE = "wasi_unstable";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int ERRNO_SUCCESS = 0;
  private static final int ERRNO_BADF = 8;
  private static final int ERRNO_FAULT = 21;
  private static final int ERRNO_INVAL = 28;
  private static final int ERRNO_NOSYS = 52;
  private static final int SUBSCRIPTION_SIZE = 48;
  private static final int EVENT_SIZE = 32;
  private static final int MAX_SUBSCRIPTIONS = 1024;

  private HostFunctions() {}

  /** Returns a host call's status, mapping a bad guest pointer to InvalidMemoryAccess. */
  @FunctionalInterface
  private interface Call {
    int apply(long[] a);
  }

  /**
   * Returns the functions the module imports from {@code env}, {@code wasi_snapshot_preview1} and
   * {@code wasi_unstable}. An import this host does not know, or knows with another signature,
   * gets a stub that returns Unimplemented (WASI: ENOSYS), or does nothing if it returns nothing;
   * the names of stubbed imports are returned in {@code stubbed}.
   */
  static ImportValues imports(ProxyWasmVmImpl vm, WasmModule module, List<String> stubbed) {
    Map<String, ImportFunction> known = new HashMap<>();
    for (ImportFunction function : all(vm)) {
      known.put(function.module() + "." + function.name(), function);
    }
    List<ImportFunction> provided = new ArrayList<>();
    ImportSection imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      if (!(imports.getImport(i) instanceof FunctionImport imported)) {
        continue;
      }
      String from = imported.module();
      if (!from.equals(ENV) && !from.equals(WASI) && !from.equals(WASI_UNSTABLE)) {
        continue;
      }
      FunctionType type = module.typeSection().getType(imported.typeIndex());
      ImportFunction function = known.get(from + "." + imported.name());
      if (function == null || !function.functionType().equals(type)) {
        function = stub(from, imported.name(), type);
        stubbed.add(from + "." + imported.name());
      }
      provided.add(function);
    }
    return ImportValues.builder().withFunctions(provided).build();
  }

  /**
   * Returns sandbox grants for a proxy-wasm module: every function this host knows, plus stubs for
   * the {@code env}/WASI imports of {@code module} it does not know (or knows with another
   * signature). Each grant calls the function of the VM in the calling instance's {@link VmSlot}.
   * Imports from any other module are not granted, so linking refuses them.
   */
  static HostGrants grants(WasmModule module) {
    Map<String, FunctionType> types = new LinkedHashMap<>();
    for (ImportFunction function : all(null)) {
      types.put(function.module() + "\u0000" + function.name(), function.functionType());
    }
    ImportSection imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      if (imports.getImport(i) instanceof FunctionImport imported
          && (imported.module().equals(ENV)
              || imported.module().equals(WASI)
              || imported.module().equals(WASI_UNSTABLE))) {
        types.put(
            imported.module() + "\u0000" + imported.name(),
            module.typeSection().getType(imported.typeIndex()));
      }
    }
    HostGrantsBuilder grants = HostGrants.builder();
    types.forEach(
        (key, type) -> {
          int nul = key.indexOf('\u0000');
          String from = key.substring(0, nul);
          String name = key.substring(nul + 1);
          grants.function(
              from,
              name,
              type,
              (instance, args) -> {
                ProxyWasmVmImpl vm = instance.state(VmSlot.class).vm();
                ImportFunction f = vm == null ? null : vm.hostFunction(from, name);
                if (f == null) {
                  throw new TrapException(from + "." + name + " called before the VM exists");
                }
                return ((HostFunction) f).handle().apply(instance.instance(), args);
              });
        });
    return grants.build();
  }

  private static ImportFunction stub(String module, String name, FunctionType type) {
    long status = module.equals(ENV) ? Abi.UNIMPLEMENTED : ERRNO_NOSYS;
    return new HostFunction(
        module,
        name,
        type,
        (instance, args) -> {
          if (type.returns().isEmpty()) {
            return null;
          }
          if (type.returns().equals(List.of(ValType.I32))) {
            return new long[] {status};
          }
          throw new TrapException(module + "." + name + " is not implemented by this host");
        });
  }

  private static List<ImportFunction> all(@Nullable ProxyWasmVmImpl vm) {
    List<ImportFunction> f = new ArrayList<>();
    f.add(i32(ENV, "proxy_log", 3, a -> vm.log(a[0], a[1], a[2])));
    f.add(i32(ENV, "proxy_get_log_level", 1, a -> vm.logLevel(a[0])));
    f.add(i32(ENV, "proxy_get_current_time_nanoseconds", 1, a -> vm.currentTime(a[0])));
    f.add(i32(ENV, "proxy_set_tick_period_milliseconds", 1, a -> vm.setTickPeriod(a[0])));
    f.add(
        i32(ENV, "proxy_get_buffer_bytes", 5, a -> vm.getBufferBytes(a[0], a[1], a[2], a[3], a[4])));
    f.add(
        i32(ENV, "proxy_set_buffer_bytes", 5, a -> vm.setBufferBytes(a[0], a[1], a[2], a[3], a[4])));
    f.add(i32(ENV, "proxy_get_header_map_pairs", 3, a -> vm.getHeaderMapPairs(a[0], a[1], a[2])));
    f.add(i32(ENV, "proxy_set_header_map_pairs", 3, a -> vm.setHeaderMapPairs(a[0], a[1], a[2])));
    f.add(
        i32(
            ENV,
            "proxy_get_header_map_value",
            5,
            a -> vm.getHeaderMapValue(a[0], a[1], a[2], a[3], a[4])));
    f.add(
        i32(
            ENV,
            "proxy_add_header_map_value",
            5,
            a -> vm.addHeaderMapValue(a[0], a[1], a[2], a[3], a[4])));
    f.add(
        i32(
            ENV,
            "proxy_replace_header_map_value",
            5,
            a -> vm.replaceHeaderMapValue(a[0], a[1], a[2], a[3], a[4])));
    f.add(
        i32(ENV, "proxy_remove_header_map_value", 3, a -> vm.removeHeaderMapValue(a[0], a[1], a[2])));
    f.add(i32(ENV, "proxy_get_header_map_size", 2, a -> vm.getHeaderMapSize(a[0], a[1])));
    f.add(i32(ENV, "proxy_get_property", 4, a -> vm.getProperty(a[0], a[1], a[2], a[3])));
    f.add(i32(ENV, "proxy_set_property", 4, a -> vm.setProperty(a[0], a[1], a[2], a[3])));
    f.add(
        i32(
            ENV,
            "proxy_send_local_response",
            8,
            a -> vm.sendLocalResponse(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])));
    f.add(i32(ENV, "proxy_continue_stream", 1, a -> vm.continueStream(a[0])));
    f.add(i32(ENV, "proxy_close_stream", 1, a -> vm.closeStream(a[0])));
    f.add(i32(ENV, "proxy_continue_request", 0, a -> vm.continueStream(0)));
    f.add(i32(ENV, "proxy_continue_response", 0, a -> vm.continueStream(1)));
    Call httpCall =
        a -> vm.httpCall(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    f.add(i32(ENV, "proxy_http_call", 10, httpCall));
    f.add(i32(ENV, "proxy_dispatch_http_call", 10, httpCall));
    f.add(i32(ENV, "proxy_set_effective_context", 1, a -> vm.setEffectiveContext(a[0])));
    f.add(i32(ENV, "proxy_done", 0, a -> Abi.OK));
    f.add(i32(ENV, "proxy_define_metric", 4, a -> vm.defineMetric(a[0], a[1], a[2], a[3])));
    f.add(
        fn(
            ENV,
            "proxy_increment_metric",
            List.of(ValType.I32, ValType.I64),
            a -> vm.incrementMetric(a[0], a[1])));
    f.add(
        fn(
            ENV,
            "proxy_record_metric",
            List.of(ValType.I32, ValType.I64),
            a -> vm.recordMetric(a[0], a[1])));
    f.add(i32(ENV, "proxy_get_metric", 2, a -> vm.getMetric(a[0], a[1])));
    f.add(
        i32(ENV, "proxy_get_shared_data", 5, a -> vm.getSharedData(a[0], a[1], a[2], a[3], a[4])));
    f.add(
        i32(ENV, "proxy_set_shared_data", 5, a -> vm.setSharedData(a[0], a[1], a[2], a[3], a[4])));
    f.add(
        i32(ENV, "proxy_register_shared_queue", 3, a -> vm.registerSharedQueue(a[0], a[1], a[2])));
    f.add(
        i32(
            ENV,
            "proxy_resolve_shared_queue",
            5,
            a -> vm.resolveSharedQueue(a[0], a[1], a[2], a[3], a[4])));
    f.add(
        i32(ENV, "proxy_enqueue_shared_queue", 3, a -> vm.enqueueSharedQueue(a[0], a[1], a[2])));
    f.add(
        i32(ENV, "proxy_dequeue_shared_queue", 3, a -> vm.dequeueSharedQueue(a[0], a[1], a[2])));
    // Not implemented: gRPC, foreign functions, status (documented).
    f.add(i32(ENV, "proxy_grpc_call", 12, a -> Abi.UNIMPLEMENTED));
    f.add(i32(ENV, "proxy_grpc_stream", 9, a -> Abi.UNIMPLEMENTED));
    f.add(i32(ENV, "proxy_grpc_send", 4, a -> Abi.UNIMPLEMENTED));
    f.add(i32(ENV, "proxy_grpc_cancel", 1, a -> Abi.UNIMPLEMENTED));
    f.add(i32(ENV, "proxy_grpc_close", 1, a -> Abi.UNIMPLEMENTED));
    f.add(i32(ENV, "proxy_get_status", 3, a -> Abi.UNIMPLEMENTED));
    f.add(i32(ENV, "proxy_call_foreign_function", 6, a -> Abi.NOT_FOUND));

    for (String wasi : List.of(WASI, WASI_UNSTABLE)) {
      wasi(f, wasi, vm);
    }
    return f;
  }

  private static void wasi(List<ImportFunction> f, String module, @Nullable ProxyWasmVmImpl vm) {
    f.add(i32(module, "fd_write", 4, a -> fdWrite(vm, a)));
    f.add(i32(module, "fd_read", 4, a -> ERRNO_BADF));
    f.add(i32(module, "fd_close", 1, a -> ERRNO_BADF));
    f.add(
        fn(
            module,
            "fd_seek",
            List.of(ValType.I32, ValType.I64, ValType.I32, ValType.I32),
            a -> ERRNO_BADF));
    f.add(i32(module, "fd_fdstat_get", 2, a -> ERRNO_BADF));
    f.add(i32(module, "fd_prestat_get", 2, a -> ERRNO_BADF));
    f.add(i32(module, "fd_prestat_dir_name", 3, a -> ERRNO_BADF));
    f.add(
        fn(
            module,
            "clock_time_get",
            List.of(ValType.I32, ValType.I64, ValType.I32),
            a -> clockTimeGet(vm, a)));
    f.add(i32(module, "clock_res_get", 2, a -> {
      vm.writeI64(a[1], 1);
      return ERRNO_SUCCESS;
    }));
    f.add(i32(module, "random_get", 2, a -> randomGet(vm, a)));
    f.add(i32(module, "environ_sizes_get", 2, a -> zeroSizes(vm, a)));
    f.add(i32(module, "environ_get", 2, a -> ERRNO_SUCCESS));
    f.add(i32(module, "args_sizes_get", 2, a -> zeroSizes(vm, a)));
    f.add(i32(module, "args_get", 2, a -> ERRNO_SUCCESS));
    f.add(i32(module, "sched_yield", 0, a -> ERRNO_SUCCESS));
    f.add(i32(module, "poll_oneoff", 4, a -> pollOneoff(vm, a)));
    f.add(
        new HostFunction(
            module,
            "proc_exit",
            FunctionType.of(List.of(ValType.I32), List.of()),
            (instance, args) -> {
              throw new ProxyWasmVmImpl.ProcExit((int) args[0]);
            }));
  }

  private static int fdWrite(ProxyWasmVmImpl vm, long[] a) {
    int fd = (int) a[0];
    if (fd != 1 && fd != 2) {
      return ERRNO_BADF;
    }
    long written = 0;
    for (int i = 0; i < (int) a[2]; i++) {
      long iov = a[1] + 8L * i;
      long ptr = vm.readU32(iov);
      long len = vm.readU32(iov + 4);
      vm.stdio(fd, vm.read(ptr, len));
      written += len;
    }
    vm.writeI32(a[3], (int) written);
    return ERRNO_SUCCESS;
  }

  /**
   * Answers every subscription at once without waiting (a host call must not block the event
   * loop): clocks as expired, file descriptors with EBADF. Enough for a Go runtime that sleeps
   * briefly, e.g. while it prints a panic.
   */
  private static int pollOneoff(ProxyWasmVmImpl vm, long[] a) {
    long in = a[0];
    long out = a[1];
    long count = a[2] & 0xffffffffL;
    if (count == 0 || count > MAX_SUBSCRIPTIONS) {
      return ERRNO_INVAL;
    }
    for (int i = 0; i < count; i++) {
      byte[] subscription = vm.read(in + SUBSCRIPTION_SIZE * i, SUBSCRIPTION_SIZE);
      ByteBuffer s = ByteBuffer.wrap(subscription).order(ByteOrder.LITTLE_ENDIAN);
      int tag = subscription[8] & 0xff;
      ByteBuffer event = ByteBuffer.allocate(EVENT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      event.putLong(0, s.getLong(0)); // userdata
      event.putShort(8, (short) (tag == 0 ? ERRNO_SUCCESS : ERRNO_BADF));
      event.put(10, (byte) tag);
      vm.write(out + EVENT_SIZE * (long) i, event.array());
    }
    vm.writeI32(a[3], (int) count);
    return ERRNO_SUCCESS;
  }

  private static int clockTimeGet(ProxyWasmVmImpl vm, long[] a) {
    long nanos =
        switch ((int) a[0]) {
          case 0 -> vm.nowNanos();
          case 1, 2, 3 -> System.nanoTime();
          default -> -1;
        };
    if (nanos == -1) {
      return ERRNO_INVAL;
    }
    vm.writeI64(a[2], nanos);
    return ERRNO_SUCCESS;
  }

  private static int randomGet(ProxyWasmVmImpl vm, long[] a) {
    byte[] bytes = new byte[(int) a[1]];
    RANDOM.nextBytes(bytes);
    vm.write(a[0], bytes);
    return ERRNO_SUCCESS;
  }

  private static int zeroSizes(ProxyWasmVmImpl vm, long[] a) {
    vm.writeI32(a[0], 0);
    vm.writeI32(a[1], 0);
    return ERRNO_SUCCESS;
  }

  private static HostFunction i32(String module, String name, int arity, Call call) {
    return fn(module, name, Collections.nCopies(arity, ValType.I32), call);
  }

  private static HostFunction fn(String module, String name, List<ValType> params, Call call) {
    boolean wasi = !module.equals(ENV);
    return new HostFunction(
        module,
        name,
        FunctionType.of(params, List.of(ValType.I32)),
        (instance, args) -> {
          try {
            return new long[] {call.apply(args)};
          } catch (ProxyWasmVmImpl.BadPointer e) {
            return new long[] {wasi ? ERRNO_FAULT : Abi.INVALID_MEMORY_ACCESS};
          }
        });
  }
}
