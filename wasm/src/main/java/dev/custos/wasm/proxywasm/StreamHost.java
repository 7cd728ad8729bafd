package dev.custos.wasm.proxywasm;

import java.util.List;
import java.util.Map;

/**
 * Gives a filter access to one HTTP exchange in the proxy: its header maps, local responses and
 * flow control. Bodies are not here: {@link ProxyWasmStream} keeps the body buffers itself.
 *
 * <p>Called only on the thread that drives the VM, from inside the stream's callbacks or {@link
 * ProxyWasmVm#onHttpCallResponse}/{@link ProxyWasmVm#onTick}.
 */
public interface StreamHost extends ProxyWasmHost {
  /**
   * Returns the header map in order, names lower-case, or an empty list if the map does not exist
   * (yet). The list is not modified by the caller.
   */
  List<Map.Entry<String, String>> headers(HeaderMapType type);

  /** Replaces the header map with the given ordered pairs (the filter changed it). */
  void headers(HeaderMapType type, List<Map.Entry<String, String>> headers);

  /**
   * Answers the client directly instead of the upstream ({@code proxy_send_local_response}).
   *
   * @param grpcStatus the gRPC status to send, or -1 for none
   */
  void sendLocalResponse(
      int status,
      String details,
      byte[] body,
      List<Map.Entry<String, String>> headers,
      int grpcStatus);

  /** Resumes a direction the filter paused ({@code proxy_continue_stream}). */
  void continueStream(Direction direction);

  /** Resets a direction ({@code proxy_close_stream}). */
  void closeStream(Direction direction);
}
