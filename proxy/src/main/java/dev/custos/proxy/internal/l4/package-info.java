/**
 * Layer-4 log streams: TCP (and TLS) listeners that frame a byte stream into records (newline
 * lines, syslog over TCP, Fluentd forward), inspect each record and forward it to a cluster.
 * Anything in this package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.proxy.internal.l4;

import org.jspecify.annotations.NullMarked;
