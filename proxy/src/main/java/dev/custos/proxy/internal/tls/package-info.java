/**
 * TLS material from PEM files, reloaded while the proxy runs, for the listener and for upstream
 * clusters. Anything in this package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.proxy.internal.tls;

import org.jspecify.annotations.NullMarked;
