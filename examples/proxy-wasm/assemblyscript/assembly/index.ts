// The Custos example proxy-wasm filter in AssemblyScript on @solo-io/proxy-runtime 0.1.8.
//
// - plugin configuration: a header name (plain text, default "x-checked"); every response gets
//   that header with the value "yes" and loses content-length (the body may be rewritten);
// - a request whose :path contains /forbidden is answered locally with 403 "access denied";
// - response bodies are stopped and buffered until the end of the stream, then every "secret"
//   is replaced by "******".
export * from "@solo-io/proxy-runtime/proxy";
import {
  RootContext,
  Context,
  registerRootContext,
  FilterHeadersStatusValues,
  FilterDataStatusValues,
  GrpcStatusValues,
  stream_context,
  send_local_response,
} from "@solo-io/proxy-runtime";
import { get_buffer_bytes, BufferTypeValues } from "@solo-io/proxy-runtime/runtime";

// The SDK 0.1.8 has no wrapper for proxy_set_buffer_bytes (its set_buffer_status points at
// proxy_get_buffer_status), so the filter imports it itself.
@external("env", "proxy_set_buffer_bytes")
declare function proxy_set_buffer_bytes(
  typ: u32, start: u32, length: u32, data: usize, size: usize): u32;

class ExampleRoot extends RootContext {
  header: string = "x-checked";

  // Overrides the SDK's onConfigure, which passes the configuration size where the host expects
  // a pointer for the returned size (the host then writes into low memory and corrupts the heap).
  onConfigure(configuration_size: u32): bool {
    if (configuration_size > 0) {
      this.header = String.UTF8.decode(
        get_buffer_bytes(BufferTypeValues.PluginConfiguration, 0, configuration_size));
    }
    return true;
  }

  createContext(context_id: u32): Context {
    return new ExampleFilter(context_id, this);
  }
}

class ExampleFilter extends Context {
  constructor(context_id: u32, root_context: ExampleRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const path = stream_context.headers.request.get(":path");
    if (path.includes("/forbidden")) {
      send_local_response(
        403, "forbidden", String.UTF8.encode("access denied"), [], GrpcStatusValues.InvalidCode);
      return FilterHeadersStatusValues.StopIteration;
    }
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.add((this.root_context as ExampleRoot).header, "yes");
    stream_context.headers.response.remove("content-length");
    return FilterHeadersStatusValues.Continue;
  }

  onResponseBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues {
    if (!end_of_stream) {
      return FilterDataStatusValues.StopIterationAndBuffer;
    }
    const body = String.UTF8.decode(
      get_buffer_bytes(BufferTypeValues.HttpResponseBody, 0, body_buffer_length as u32));
    const rewritten = body.replaceAll("secret", "******");
    const bytes = String.UTF8.encode(rewritten);
    proxy_set_buffer_bytes(
      BufferTypeValues.HttpResponseBody, 0, body_buffer_length as u32,
      changetype<usize>(bytes), bytes.byteLength);
    return FilterDataStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => {
  return new ExampleRoot(context_id);
}, "custos_example");
