package dev.custos.engine;

import java.util.Locale;

/** Which way a message travels through the proxy: a request to, or a response from, upstream. */
public enum Direction {
  /** From the client to the upstream service. */
  REQUEST,
  /** From the upstream service back to the client. */
  RESPONSE;

  /** Returns the lower-case id used in policy YAML ({@code request} or {@code response}). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
