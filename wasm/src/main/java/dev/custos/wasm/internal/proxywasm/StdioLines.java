package dev.custos.wasm.internal.proxywasm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Joins what a VM writes to one of stdout/stderr into lines ({@code fd_write} calls split lines
 * anywhere: a Go panic writes its message in pieces), caps each line at {@link #MAX_LINE} bytes
 * (the rest of a longer line is dropped and the line marked), escapes control characters and
 * hands the lines to the plugin's {@link PluginLog}. Confined to the VM's thread; holds at most
 * {@link #MAX_LINE} bytes.
 */
final class StdioLines {
  /** The most bytes of one line that are logged. */
  static final int MAX_LINE = 4096;

  private final PluginLog log;
  private final int fd;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private boolean truncated;

  StdioLines(PluginLog log, int fd) {
    this.log = log;
    this.fd = fd;
  }

  /** Takes the bytes of one {@code fd_write}, logging each line they complete. */
  void write(byte[] bytes) {
    for (byte b : bytes) {
      if (b == '\n') {
        flush();
      } else if (pending.size() < MAX_LINE) {
        pending.write(b);
      } else {
        truncated = true;
      }
    }
  }

  private void flush() {
    byte[] bytes = pending.toByteArray();
    int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
    String line = escape(new String(bytes, 0, length, StandardCharsets.UTF_8));
    log.line(fd, truncated ? line + " [truncated]" : line);
    pending.reset();
    truncated = false;
  }

  /** Returns the text with backslashes and control characters written as escapes. */
  static String escape(String s) {
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean control = c < 0x20 && c != '\t' || c == 0x7f || (c >= 0x80 && c < 0xa0);
      if (control || c == '\\') {
        if (out == null) {
          out = new StringBuilder(s.length() + 16).append(s, 0, i);
        }
        if (c == '\\') {
          out.append("\\\\");
        } else {
          out.append(String.format("\\x%02x", (int) c));
        }
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? s : out.toString();
  }
}
