/**
 * Sends findings events to the command plane: a bounded queue, gzip batches of JSON lines, retries
 * with backoff, and a disk spool of length- and CRC-framed records for when the plane is down.
 * Anything in this package can be changed or removed at any time.
 */
@NullMarked
package dev.custos.proxy.internal.telemetry.commandplane;

import org.jspecify.annotations.NullMarked;
