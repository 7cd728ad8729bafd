package dev.custos.wasm.internal.proxywasm;

/** Holds the numeric values of the proxy-wasm ABI 0.2.x (public specification). */
final class Abi {
  // WasmResult
  static final int OK = 0;
  static final int NOT_FOUND = 1;
  static final int BAD_ARGUMENT = 2;
  static final int INVALID_MEMORY_ACCESS = 6;
  static final int EMPTY = 7;
  static final int CAS_MISMATCH = 8;
  static final int INTERNAL_FAILURE = 10;
  static final int UNIMPLEMENTED = 12;

  // BufferType
  static final int HTTP_REQUEST_BODY = 0;
  static final int HTTP_RESPONSE_BODY = 1;
  static final int HTTP_CALL_RESPONSE_BODY = 4;
  static final int VM_CONFIGURATION = 6;
  static final int PLUGIN_CONFIGURATION = 7;

  // MapType (0..3 are HeaderMapType in order)
  static final int HTTP_CALL_RESPONSE_HEADERS = 6;
  static final int HTTP_CALL_RESPONSE_TRAILERS = 7;

  // MetricType
  static final int COUNTER = 0;
  static final int GAUGE = 1;
  static final int HISTOGRAM = 2;

  // LogLevel
  static final int TRACE = 0;
  static final int DEBUG = 1;
  static final int INFO = 2;
  static final int WARN = 3;
  static final int ERROR = 4;
  static final int CRITICAL = 5;

  private Abi() {}
}
