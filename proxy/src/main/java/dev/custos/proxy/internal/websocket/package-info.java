/**
 * The WebSocket relay: a proxied session's upstream handshake, and its frames carried and
 * inspected both ways. Anything in this package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.proxy.internal.websocket;

import org.jspecify.annotations.NullMarked;
